"""What users type, on every provider: refused with the library's own error before any request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import math
from typing import Any

import aiohttp
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import (
    GATEWAYS,
    GatewayError,
    InvalidTextError,
    InvisibleMessageError,
    MessageTooLongError,
    OutgoingSms,
    SendTimeRangeError,
    SmsGateway,
    TooManyRecipientsError,
    create_gateway,
)
from custom_components.sms_gateways.gateways.sms123 import _CONCURRENCY
from custom_components.sms_gateways.gateways.transport import DEFAULT_TIMEOUT
from custom_components.sms_gateways.gateways.user_input import check_visible
from tests.conftest import RunningSimulator
from tests.gateways.calls import refused_before_sending

USERS = {
    "netoxygen": "demo",
    "smsfactor": "demo@example.com",
    "mobyt": "demo",
    "sms123": "demo",
}
PROVIDERS = list(USERS)
FAR = timezone(timedelta(hours=14))

HOSTILE: dict[str, tuple[dict[str, Any], type[GatewayError]]] = {
    "send time in 9999": (
        {"send_at": datetime(9999, 12, 31, 23, 0, tzinfo=UTC)},
        SendTimeRangeError,
    ),
    "send time in year 1, +14:00": (
        {"send_at": datetime(1, 1, 1, tzinfo=FAR)},
        SendTimeRangeError,
    ),
    "lone surrogate in the text": ({"message": "Door \ud800 open"}, InvalidTextError),
    "lone low surrogate at the end": ({"message": "Door open\udc00"}, InvalidTextError),
    "lone surrogate in the sender": ({"sender": "Home\udfff"}, InvalidTextError),
    "zero-width characters only": (
        {"message": "\u200b\u200c\u200d\u2060\ufeff"},
        InvisibleMessageError,
    ),
    "Hangul fillers and variation selectors": (
        {"message": "\u3164\ufe0f \u115f"},
        InvisibleMessageError,
    ),
    "a text of 256 parts": ({"message": "a" * (255 * 153 + 1)}, MessageTooLongError),
    "a text of 1 MB": ({"message": "ж" * 1_000_000}, MessageTooLongError),
    "10,000 recipients": (
        {"recipients": tuple(f"+3361{n:07d}" for n in range(10_000))},
        TooManyRecipientsError,
    ),
}


def make(provider: str, simulator: RunningSimulator, session: aiohttp.ClientSession) -> SmsGateway:
    return create_gateway(
        provider,
        session,
        username=USERS[provider],
        password="demo-password",
        api_url=simulator.api_url(provider),
    )


def sms(**fields: Any) -> OutgoingSms:
    return OutgoingSms(
        **{"recipients": ("+33612345678",), "message": "Hi", "sender": "Home", **fields}
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
async def test_hostile_input_is_refused_before_any_request(
    simulator: RunningSimulator, session: aiohttp.ClientSession, provider: str, case: str
) -> None:
    """Each gets its own error, and the provider never hears of it."""
    fields, error = HOSTILE[case]
    gateway = make(provider, simulator, session)
    await refused_before_sending(simulator, error, gateway.send(sms(**fields)))
    assert simulator.sim.state.messages == {}


async def test_errors_say_what_and_where(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The field, the position and the code point; the count and the limit; the range."""
    gateway = make("mobyt", simulator, session)
    with pytest.raises(InvalidTextError) as text:
        await gateway.send(sms(message="ab\ud83dc"))
    assert (text.value.field, text.value.position, text.value.character) == (
        "message",
        3,
        "U+D83D",
    )
    recipients = tuple(f"+3361{n:07d}" for n in range(gateway.max_recipients + 1))
    with pytest.raises(TooManyRecipientsError) as many:
        await gateway.send(sms(recipients=recipients))
    assert (many.value.count, many.value.limit) == (501, 500)
    with pytest.raises(SendTimeRangeError) as late:
        await gateway.send(sms(send_at=datetime(9999, 1, 1, tzinfo=UTC)))
    assert late.value.latest == datetime(9999, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_date_just_inside_the_range_is_scheduled(
    simulator: RunningSimulator, session: aiohttp.ClientSession, provider: str
) -> None:
    """The bound refuses only what cannot be converted: the last day of 9998 is sent."""
    gateway = make(provider, simulator, session)
    result = await gateway.send(sms(send_at=datetime(9998, 12, 31, 12, tzinfo=UTC)))
    assert result.accepted


@pytest.mark.parametrize(("text", "limit"), [("a" * 39_015, 39_015), ("ж" * 17_085, 17_085)])
def test_255_parts_is_the_longest_sms(text: str, limit: int) -> None:
    """GSM 03.40 numbers parts in one octet: 255 parts of 153 septets or 67 units."""
    for provider in ("netoxygen", "sms123"):  # no documented limit of their own
        gateway = GATEWAYS[provider](None, username="demo", password="x")  # type: ignore[arg-type]
        assert gateway.prepare(sms(message=text)).info.segments == 255
        with pytest.raises(MessageTooLongError) as caught:
            gateway.prepare(sms(message=text + text[0]))
        assert caught.value.limit == limit


def test_visible_texts_are_sent() -> None:
    """One visible character is enough, whatever surrounds it."""
    for text in ("a", ".", "é", "😀", "\u200bx\u200b", " \n!", "\u00a0Ω", "\u0301"):
        check_visible(text)
    for text in ("\u00a0", "\u2028\u2029", "\x00\x07", "\u180e\u034f", "\U000e0100 ", "\u3164"):
        with pytest.raises(InvisibleMessageError):
            check_visible(text)


SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ANY_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(st.characters(), SURROGATES), max_size=30).map("".join),
)


@settings(max_examples=300)
@given(message=ANY_TEXT, sender=st.one_of(st.none(), ANY_TEXT))
def test_any_text_is_prepared_or_refused_by_the_library(message: str, sender: str | None) -> None:
    """No text makes ``prepare`` raise anything but the library's errors."""
    for provider in PROVIDERS:
        gateway = GATEWAYS[provider](None, username="demo", password="x")  # type: ignore[arg-type]
        try:
            prepared = gateway.prepare(sms(message=message, sender=sender))
        except GatewayError:
            continue
        prepared.sms.message.encode("utf-8")
        (prepared.sender or "").encode("utf-8")


OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@settings(max_examples=300)
@given(
    when=st.datetimes(
        min_value=datetime(1, 1, 1),  # noqa: DTZ001  # hypothesis bounds are naive
        max_value=datetime(9999, 12, 31, 23, 59),  # noqa: DTZ001
        timezones=OFFSETS,
    )
)
def test_any_send_time_is_prepared_or_refused_by_the_library(when: datetime) -> None:
    """Any date and offset: prepared, or one of the library's errors, never an OverflowError."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for provider in PROVIDERS:
        gateway = GATEWAYS[provider](None, username="demo", password="x")  # type: ignore[arg-type]
        try:
            gateway.prepare(sms(send_at=when), now=now)
        except GatewayError:
            continue
        gateway.local_time(when)


# --- how many recipients a send takes ---------------------------------------------------------


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "sms123"])
async def test_a_send_to_as_many_recipients_as_allowed_is_read_whole(
    simulator: RunningSimulator, session: aiohttp.ClientSession, provider: str
) -> None:
    """At the cap, the request goes and the answer fits the bound it is read within.

    NetOxygen answers one row per recipient: beyond the cap its answer could outgrow what is
    read, and an SMS that went would be reported "may have been sent".
    """
    for account in simulator.sim.state.accounts.values():
        account.credits = 10_000
    gateway = make(provider, simulator, session)
    recipients = tuple(f"+3361{n:07d}" for n in range(gateway.max_recipients))
    result = await gateway.send(sms(recipients=recipients))
    assert len(result.accepted) == gateway.max_recipients
    assert len(simulator.sim.state.messages) == gateway.max_recipients


def test_123_sms_send_is_bounded_in_time() -> None:
    """One request per recipient, the first alone, then a few at a time: under six minutes.

    Each request may wait its connect timeout, then (once more) its whole timeout; the first
    recipient may wait for two ``solde/`` requests too (finding the pair of credentials).
    """
    limit = GATEWAYS["sms123"].max_recipients
    total, connect = DEFAULT_TIMEOUT.total, DEFAULT_TIMEOUT.sock_connect
    assert total is not None
    assert connect is not None
    rounds = 3 + math.ceil((limit - 1) / _CONCURRENCY)
    assert rounds * (total + connect) < 6 * 60


async def test_duplicates_count_once(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The cap counts numbers, not the ways they were written."""
    gateway = make("sms123", simulator, session)
    written = ("+33612345678", "0612345678", "06 12 34 56 78") * 20
    result = await gateway.send(sms(recipients=written))
    assert [message.recipient for message in result.messages] == ["+33612345678"]
