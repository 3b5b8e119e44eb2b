"""The checks every gateway makes before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import re
from typing import Any, override
from zoneinfo import ZoneInfo

import aiohttp
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import (
    GATEWAYS,
    AccountInfo,
    Capability,
    Contact,
    EmptyMessageError,
    InvalidRecipientError,
    InvalidSenderError,
    MessageTooLongError,
    OutgoingSms,
    PreparedSms,
    SchedulingError,
    SendResult,
    SendTimeError,
    SmsGateway,
    UnsupportedOperationError,
    create_gateway,
)
from custom_components.sms_gateways.gateways.numbers import to_e164


class LimitedGateway(SmsGateway):
    """A provider that can only send, at most 20 septets."""

    provider = "limited"
    title = "Limited"
    default_api_url = "https://limited.example/api"
    default_region = "FR"
    timezone = ZoneInfo("Europe/Paris")
    capabilities = frozenset({Capability.SCHEDULE})
    max_length = 20

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        raise NotImplementedError

    @override
    async def validate_credentials(self) -> AccountInfo:
        raise NotImplementedError


@pytest.fixture
def gateway() -> LimitedGateway:
    """A gateway whose session is never used: these checks make no request."""
    return LimitedGateway(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession),
        username=" Demo ",
        password="s3cret",
    )


def test_prepare_normalises_and_deduplicates(gateway: LimitedGateway) -> None:
    """Recipients come out in E.164, in order, each once; the text is measured."""
    prepared = gateway.prepare(
        OutgoingSms(recipients=("06 12 34 56 78", "+33612345678", "0033698765432"), message="Hi €")
    )
    assert prepared.recipients == ("+33612345678", "+33698765432")
    assert prepared.info.length == 5
    assert prepared.sender is None


def _sms(**fields: Any) -> OutgoingSms:
    """A valid message to one valid number, but for ``fields``."""
    return OutgoingSms(**{"recipients": ("0612345678",), "message": "x", **fields})


@pytest.mark.parametrize(
    ("sms", "error", "match"),
    [
        (_sms(message="  "), EmptyMessageError, "empty"),
        (
            _sms(message="€" * 11),
            MessageTooLongError,
            "22 characters long; Limited accepts at most 20",
        ),
        (_sms(recipients=()), InvalidRecipientError, "No recipient"),
        (_sms(recipients=("0612345678", "12")), InvalidRecipientError, "Invalid phone number: 12"),
        (_sms(sender="TwelveChars1"), InvalidSenderError, "longer than 11"),
        (_sms(sender="Al@rm"), InvalidSenderError, "may only have"),
        (_sms(send_at=datetime(2026, 1, 1, 12, 0)), SchedulingError, "time zone"),  # noqa: DTZ001
        (_sms(send_at=datetime.now(UTC) - timedelta(hours=1)), SchedulingError, "in the past"),
        (_sms(flash=True), UnsupportedOperationError, "flash"),
        (_sms(message_type="N"), UnsupportedOperationError, "message type"),
        (_sms(bookmark_url="a.fr"), UnsupportedOperationError, "bookmark"),
        (_sms(tts=True), UnsupportedOperationError, "voice"),
        (_sms(test=True), UnsupportedOperationError, "test mode"),
    ],
)
def test_prepare_refuses_before_sending(
    gateway: LimitedGateway, sms: OutgoingSms, error: type[Exception], match: str
) -> None:
    """Each local check names what is wrong."""
    with pytest.raises(error, match=match):
        gateway.prepare(sms)


def test_senders(gateway: LimitedGateway) -> None:
    """Alphanumeric senders up to 11 characters, and phone numbers, are accepted."""
    assert gateway.validate_sender(" AlarmHome ") == "AlarmHome"
    assert gateway.validate_sender("+33612345678") == "+33612345678"
    with pytest.raises(InvalidSenderError, match="longer than 11 digits"):
        gateway.validate_sender("+336123456789")
    with pytest.raises(InvalidSenderError, match="letters and digits"):
        gateway.validate_sender("Alarm Home")


def test_send_time_in_provider_zone(gateway: LimitedGateway) -> None:
    """An aware time is converted to the provider's zone, across a DST change."""
    winter = gateway.local_time(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    summer = gateway.local_time(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (1, 3)
    future = datetime.now(UTC) + timedelta(days=1)
    prepared = gateway.prepare(_sms(send_at=future))
    assert prepared.sms.send_at == future


def test_identity_and_urls(gateway: LimitedGateway) -> None:
    """The account id is stable, the password never shows, paths join the base URL."""
    assert gateway.account_id == "demo"
    assert "s3cret" not in repr(gateway)
    assert gateway.api_url == "https://limited.example/api/"
    assert gateway.url("send/") == "https://limited.example/api/send/"
    assert gateway.url() == "https://limited.example/api/"
    assert gateway.supports(Capability.SCHEDULE)
    assert not gateway.supports(Capability.CANCEL)
    # Several named: any of them will do.
    assert gateway.supports(Capability.CANCEL, Capability.SCHEDULE)
    assert not gateway.supports(Capability.CANCEL, Capability.FLASH)


async def test_unsupported_calls_say_so(gateway: LimitedGateway) -> None:
    """A call the provider does not have raises a clear error instead of doing nothing."""
    calls = [
        gateway.get_balance(),
        gateway.get_account_status(),
        gateway.cancel(["1"]),
        gateway.get_delivery_status(["1"]),
        gateway.get_history(datetime.now(UTC), datetime.now(UTC)),
        gateway.get_inbound(after_id=0),
        gateway.add_group("g"),
        gateway.rename_group("g", "h"),
        gateway.delete_group("g"),
        gateway.add_contact(Contact(number="0612345678", groups=("g",))),
        gateway.update_contact("0612345678", Contact(number="0612345679", groups=("g",))),
        gateway.delete_contact("0612345678"),
    ]
    for call in calls:
        with pytest.raises(UnsupportedOperationError, match="Limited"):
            await call
    with pytest.raises(UnsupportedOperationError):
        gateway.parse_inbound_push({})
    with pytest.raises(UnsupportedOperationError):
        gateway.parse_status_push({})
    assert await gateway.normalize_number("06 12 34 56 78") == "+33612345678"


def test_registry() -> None:
    """Every provider key of the contract has a gateway."""
    assert set(GATEWAYS) == {"netoxygen", "smsfactor", "mobyt", "sms123"}
    gateway = create_gateway(
        "mobyt",
        aiohttp.ClientSession.__new__(aiohttp.ClientSession),
        username="u",
        password="p",
    )
    assert gateway.provider == "mobyt"
    assert gateway.api_url == "https://api.moby.fr/"


def test_time_zone_is_an_option() -> None:
    """Each provider has an assumed time zone; an account may set another, checked by name."""
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    defaults = {
        provider: create_gateway(provider, session, username="u", password="p").timezone.key
        for provider in GATEWAYS
    }
    assert defaults == {
        "netoxygen": "Europe/Zurich",
        "smsfactor": "Europe/Paris",
        "mobyt": "Europe/Paris",
        "sms123": "Europe/Paris",
    }
    gateway = create_gateway(
        "smsfactor", session, username="u", password="p", timezone="America/Martinique"
    )
    assert gateway.timezone == ZoneInfo("America/Martinique")
    assert type(gateway).timezone == ZoneInfo("Europe/Paris")  # the class keeps its default
    for wrong in ("Mars/Olympus", "../../etc/passwd", " "):
        with pytest.raises(ValueError, match="IANA"):
            create_gateway("mobyt", session, username="u", password="p", timezone=wrong)


@pytest.mark.parametrize(
    ("when", "skipped"),
    [
        # Paris clocks go back from 03:00 to 02:00 on 27 October 2030: 02:30 happens twice.
        (datetime(2030, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Paris")), False),
        (datetime(2030, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")), False),
        # The same instant given with an offset: the provider still reads an ambiguous 02:30.
        (datetime(2030, 10, 27, 0, 30, tzinfo=UTC), False),
        (datetime(2030, 10, 27, 1, 30, tzinfo=UTC), False),
        # They go forward from 02:00 to 03:00 on 31 March 2030: 02:30 never happens.
        (datetime(2030, 3, 31, 2, 30, tzinfo=ZoneInfo("Europe/Paris")), True),
    ],
)
def test_send_time_in_a_clock_change_is_refused(
    gateway: LimitedGateway, when: datetime, *, skipped: bool
) -> None:
    """A wall time the zone shows twice or never is refused, not silently read one way."""
    sms = OutgoingSms(recipients=("+33612345678",), message="Hi", send_at=when)
    with pytest.raises(SendTimeError) as err:
        gateway.prepare(sms, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert err.value.skipped is skipped
    assert err.value.zone == "Europe/Paris"
    assert isinstance(err.value, SchedulingError)


def test_send_time_in_the_user_zone_clock_change_is_refused(gateway: LimitedGateway) -> None:
    """A time the user's own zone repeats is ambiguous too, whatever the provider's zone."""
    new_york = ZoneInfo("America/New_York")  # back from 02:00 to 01:00 on 3 November 2030
    sms = OutgoingSms(
        recipients=("+33612345678",),
        message="Hi",
        send_at=datetime(2030, 11, 3, 1, 30, tzinfo=new_york),
    )
    with pytest.raises(SendTimeError) as err:
        gateway.prepare(sms, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert err.value.zone == "America/New_York"
    assert not err.value.skipped


@pytest.mark.parametrize(
    "when",
    [
        datetime(2030, 10, 27, 1, 59, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2030, 10, 27, 3, 0, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2030, 3, 31, 3, 0, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2030, 3, 31, 0, 30, tzinfo=UTC),  # 01:30 in Paris, before the change
    ],
)
def test_send_time_next_to_a_clock_change_is_kept(gateway: LimitedGateway, when: datetime) -> None:
    """Just outside the repeated or skipped hour, the time is sent as given."""
    sms = OutgoingSms(recipients=("+33612345678",), message="Hi", send_at=when)
    assert gateway.prepare(sms, now=datetime(2030, 1, 1, tzinfo=UTC)).sms.send_at == when


def test_clock_change_of_the_account_zone(gateway: LimitedGateway) -> None:
    """The repeated hour is the account's: a Paris one is fine for an account in New York."""
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    new_york = LimitedGateway(session, username="u", password="p", timezone="America/New_York")
    sms = OutgoingSms(
        recipients=("+33612345678",),
        message="Hi",
        send_at=datetime(2030, 10, 27, 0, 30, tzinfo=UTC),  # 02:30 fold 0 in Paris
    )
    new_york.prepare(sms, now=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(SendTimeError):
        gateway.prepare(sms, now=datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("provider", sorted(GATEWAYS))
async def test_every_provider_refuses_the_repeated_hour(provider: str) -> None:
    """Each adapter's send refuses a time its zone repeats, before any request."""
    gateway = create_gateway(
        provider, aiohttp.ClientSession.__new__(aiohttp.ClientSession), username="u", password="p"
    )
    repeated = datetime(2030, 10, 27, 1, 30, tzinfo=UTC)  # 02:30 (the second) in Paris, Zurich
    sms = OutgoingSms(recipients=("+33612345678",), message="Hi", sender="Home", send_at=repeated)
    with pytest.raises(SendTimeError):
        await gateway.send(sms)


_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")
_NUMERIC = re.compile(r"^\+?[0-9]+$")


def _sender_as_before(gateway: SmsGateway, sender: str) -> str:
    """``validate_sender`` as it read senders with regular expressions: the sender, or why not."""
    sender = sender.strip()
    if _NUMERIC.match(sender):
        if len(sender.removeprefix("+")) > gateway.max_numeric_sender_length:
            return "refused: digits"
        return sender
    if len(sender) > gateway.max_sender_length:
        return "refused: long"
    if not _ALPHANUMERIC.match(sender):
        return "refused: characters"
    return sender


def _sender_now(gateway: SmsGateway, sender: str) -> str:
    try:
        return gateway.validate_sender(sender)
    except InvalidSenderError as err:
        if "digits" in str(err) and "longer" in str(err):
            return "refused: digits"
        return "refused: long" if "longer" in str(err) else "refused: characters"


@settings(max_examples=300)
@given(
    st.text(max_size=14)
    | st.text(alphabet="+0123456789 \n\t\u00b2\u0663aZ\u00e9_-", max_size=14)
    | st.sampled_from(["Home", "+33612345678", "+", "", "12345678901", "123456789012", "a\n"])
)
def test_senders_read_as_the_regular_expressions_read_them(sender: str) -> None:
    """Any sender: the same sender back, or the same refusal, as the regular expressions gave."""
    gateway = LimitedGateway(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession), username="u", password="p"
    )
    assert _sender_now(gateway, sender) == _sender_as_before(gateway, sender)


def _recipients_as_before(gateway: SmsGateway, recipients: tuple[str, ...]) -> object:
    """``normalize_recipients`` making every list unique through a dict, one number too."""
    if not recipients:
        return "none"
    normalized: dict[str, None] = {}
    try:
        for number in recipients:
            normalized[to_e164(number, gateway.region)] = None
    except InvalidRecipientError as err:
        return f"refused: {err}"
    return tuple(normalized)


def _recipients_now(gateway: SmsGateway, recipients: tuple[str, ...]) -> object:
    try:
        return gateway.normalize_recipients(recipients)
    except InvalidRecipientError as err:
        return "none" if not recipients else f"refused: {err}"


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(["+33612345678", "0612345678", " +41791234567 ", "", "x", "+3361234"])
        | st.text(alphabet="+0123456789 ", max_size=14),
        max_size=3,
    )
)
def test_one_recipient_is_normalized_as_before(recipients: list[str]) -> None:
    """One recipient (or more, or none): the numbers or the refusal the dict way gave."""
    gateway = LimitedGateway(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession), username="u", password="p"
    )
    assert _recipients_now(gateway, tuple(recipients)) == _recipients_as_before(
        gateway, tuple(recipients)
    )
