"""The Mobyt adapter against the simulator, always over real HTTP.

The doc's own example replies come word for word from a small server that answers them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import socket
from typing import cast
from urllib.parse import parse_qsl, quote_plus
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_gateways.gateways import (
    AuthenticationError,
    Balance,
    DeliveryStatus,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidSenderError,
    MessageRejectedError,
    MessageTooLongError,
    MobytGateway,
    OutgoingSms,
    SchedulingError,
    SendOutcomeUnknownError,
    SendResult,
    create_gateway,
)
from custom_components.sms_gateways.gateways.mobyt import (
    DELIVERY_STATUSES,
    ERROR_CODES,
    MAX_APART_ORDERS,
)
from simulator.state import SimInbound, SimMessage
from tests.conftest import RunningSimulator
from tests.gateways.calls import IMPATIENT, fails_after_sending, refused_before_sending
from tests.gateways.clock_changes import CLOCK_CHANGES
from tests.gateways.servers import posts_served

PARIS = ZoneInfo("Europe/Paris")
FR_1 = "+33612345678"
FR_2 = "+33612345679"
FR_FAILING = "+33612340000"
FR_EXPIRING = "+33612347777"
FR_REFUSED = "+33612349999"
IT_1 = "+393123456789"
SEND = "/mobyt/Mobyt/SENDSMS"
_FIXED_SENDER = "Invalid sender: SMS Direct (L) has a fixed sender"
STATUS = "/mobyt/Mobyt/SMSSTATUS"
REMOVE = "/mobyt/Mobyt/REMOVE_DELAYED"


def form_of(request: dict[str, object]) -> dict[str, str]:
    """The form fields of a logged request."""
    return dict(parse_qsl(str(request["body"]), keep_blank_values=True))


def credit_lines(balance: Balance) -> dict[tuple[str | None, str | None], float]:
    return {(line.credit_type, line.nation): line.amount for line in balance.lines}


@pytest.fixture
def gateway(simulator: RunningSimulator, session: aiohttp.ClientSession) -> MobytGateway:
    return simulator.gateway(MobytGateway, session)


@dataclass
class Canned:
    """A server that answers every POST with a fixed body, and keeps what it received."""

    url: str
    body: str = "OK;"
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    """Path prefixes answered with an HTTP error status instead of ``body``."""
    script: list[str] = field(default_factory=list)
    """Bodies for the next SENDSMS requests, in order (``HTTP 500``: that status)."""


@pytest.fixture
async def canned(socket_enabled: None) -> AsyncIterator[Canned]:
    state = Canned(url="")

    async def answer(request: web.Request) -> web.Response:
        form = await request.post()
        state.received.append((request.path, {k: str(v) for k, v in form.items()}))
        if request.path.endswith("/SENDSMS") and state.script:
            body = state.script.pop(0)
            if body.startswith("HTTP "):
                return web.Response(status=int(body.removeprefix("HTTP ")), text="Oops")
            return web.Response(text=body, content_type="text/plain")
        for prefix, status in state.errors.items():
            if request.path.startswith(prefix):
                return web.Response(status=status, text="Not here")
        return web.Response(text=state.body, content_type="text/plain")

    async with posts_served(answer) as root:
        state.url = root
        yield state


@pytest.fixture
def canned_gateway(canned: Canned, session: aiohttp.ClientSession) -> MobytGateway:
    return MobytGateway(session, username="mylogin", password="mypwd", api_url=canned.url)


# --- the gateway's description ------------------------------------------------------------------


def test_description(session: aiohttp.ClientSession) -> None:
    gateway = create_gateway("mobyt", session, username=" Demo ", password="secret")
    assert isinstance(gateway, MobytGateway)
    assert gateway.api_url == "https://api.moby.fr/"
    assert gateway.url("Mobyt/SENDSMS") == "https://api.moby.fr/Mobyt/SENDSMS"
    assert gateway.account_id == "demo"
    assert gateway.region == "FR"
    assert gateway.max_length == 1000
    # Its capabilities are those of the README's table: tests/test_readme.py.
    assert "secret" not in repr(gateway)


# --- sending ---------------------------------------------------------------------------------


async def test_send_many_recipients_in_one_request(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(
        OutgoingSms(recipients=(FR_1, "06 12 34 56 79", IT_1), message="Alarm!", sender="Maison")
    )

    [request] = simulator.requests(SEND)
    assert request["method"] == "POST"
    form = form_of(request)
    assert form["recipient"] == f"{FR_1},{FR_2},{IT_1}"
    assert form["login"] == "demo"
    assert form["password"] == "demo-password"
    assert form["message_type"] == "N"
    assert form["message"] == "Alarm!"
    assert form["sender"] == "Maison"
    assert form["returnCredits"] == "true"
    assert "scheduled_delivery_time" not in form
    order_id = form["order_id"]
    assert order_id.isalnum()
    assert len(order_id) <= 32
    assert result.batch_id == order_id
    assert [m.message_id for m in result.messages] == [
        f"{order_id}:{FR_1}",
        f"{order_id}:{FR_2}",
        f"{order_id}:{IT_1}",
    ]
    assert all(m.accepted and m.status is DeliveryStatus.QUEUED for m in result.messages)
    assert result.credits_used == 3
    balance = await gateway.get_balance()
    assert credit_lines(balance) == {("N", "FR"): 98, ("L", "FR"): 100, ("EE", None): 49}
    assert balance.total == 247


async def test_every_send_has_its_own_order_id(gateway: MobytGateway) -> None:
    first = await gateway.send(OutgoingSms(recipients=(FR_1,), message="one"))
    second = await gateway.send(OutgoingSms(recipients=(FR_1,), message="two"))
    assert first.batch_id != second.batch_id


async def test_long_message_costs_one_credit_per_segment_per_recipient(
    gateway: MobytGateway,
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="x" * 161))
    assert result.info.segments == 2
    assert result.credits_used == 4


async def test_message_of_1000_counted_characters_is_sent(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="€" * 500))
    assert result.info.length == 1000
    assert len(simulator.requests(SEND)) == 1


@pytest.mark.parametrize(
    ("second", "accepted", "status"),
    [
        ("<html>502 Bad Gateway</html>", True, DeliveryStatus.UNKNOWN),
        ("HTTP 500", True, DeliveryStatus.UNKNOWN),
    ],
)
async def test_no_answer_while_sending_the_others_is_not_a_refusal(
    canned: Canned,
    canned_gateway: MobytGateway,
    second: str,
    accepted: bool,
    status: DeliveryStatus,
) -> None:
    """The second order may have gone: its recipients keep their id, outcome unknown."""
    refusal = "KO|4|Invalid+recipient%3A+%2B33612349999"
    canned.script = [refusal, second, refusal]
    result = await canned_gateway.send(
        OutgoingSms(recipients=(FR_1, FR_2, FR_REFUSED), message="hi")
    )
    sends = [form for path, form in canned.received if path.endswith("SENDSMS")]
    assert [form["recipient"] for form in sends] == [
        f"{FR_1},{FR_2},{FR_REFUSED}",
        f"{FR_1},{FR_2}",
        FR_REFUSED,
    ]
    one, two, refused = result.messages
    order_id = sends[1]["order_id"]
    for message, number in ((one, FR_1), (two, FR_2)):
        assert (message.accepted, message.status) == (accepted, status)
        assert message.message_id == f"{order_id}:{number}"
        assert message.error
    assert not refused.accepted
    assert result.batch_id == order_id


async def test_message_over_1000_counted_characters_is_refused_before_sending(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    sms = OutgoingSms(recipients=(FR_1,), message="[" * 500 + "a")
    err = await refused_before_sending(simulator, MessageTooLongError, gateway.send(sms))
    assert (err.length, err.limit) == (1001, 1000)


async def test_message_type_l_uses_the_fixed_sender(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi", message_type="l"))
    form = form_of(simulator.requests(SEND)[0])
    assert form["message_type"] == "L"
    assert "sender" not in form
    balance = await gateway.get_balance()
    assert credit_lines(balance)[("L", "FR")] == 99


@pytest.mark.parametrize("reading", ["refused", "required", "ignored"])
async def test_type_l_sends_the_sender_whenever_there_is_one(
    gateway: MobytGateway, simulator: RunningSimulator, reading: str
) -> None:
    """R13: the doc lists Sender among the mandatory parameters; Mobyt decides, not us."""
    simulator.play(mobyt__sender_with_l=reading)
    sms = OutgoingSms(recipients=(FR_1,), message="hi", sender="Maison", message_type="l")
    if reading == "refused":
        with pytest.raises(GatewayError, match="fixed sender") as err:
            await gateway.send(sms)
        assert type(err.value) is GatewayError  # Mobyt's words, no guessed class
        assert simulator.sim.state.messages == {}
    else:
        result = await gateway.send(sms)
        assert result.accepted
    [request] = simulator.requests(SEND)
    assert form_of(request)["message_type"] == "L"
    assert form_of(request)["sender"] == "Maison"


@pytest.mark.parametrize("reading", ["refused", "required", "ignored"])
async def test_type_l_without_a_sender_is_mobyts_call(
    gateway: MobytGateway, simulator: RunningSimulator, reading: str
) -> None:
    simulator.play(mobyt__sender_with_l=reading)
    sms = OutgoingSms(recipients=(FR_1,), message="hi", message_type="L")
    if reading == "required":
        with pytest.raises(GatewayError, match="mandatory") as err:
            await gateway.send(sms)
        assert type(err.value) is GatewayError
    else:
        assert (await gateway.send(sms)).accepted
    assert "sender" not in form_of(simulator.requests(SEND)[0])
    assert len(simulator.requests(SEND)) == 1


async def test_sms_top_without_a_sender_is_refused_before_sending(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    # The doc lists Sender among the required fields of type N ("expéditeur personnalisé").
    for sender in (None, "  "):
        with pytest.raises(InvalidSenderError, match=r"type N\) needs a sender.*type L"):
            await gateway.send(
                OutgoingSms(recipients=(FR_1,), message="hi", sender=sender, message_type="N")
            )
    assert simulator.requests() == []


@pytest.mark.parametrize(
    ("sender", "message_type"), [("Maison", "N"), (None, "L"), ("+33612345678", "N")]
)
async def test_without_a_type_the_sender_chooses_it(
    gateway: MobytGateway, simulator: RunningSimulator, sender: str | None, message_type: str
) -> None:
    await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi", sender=sender))
    form = form_of(simulator.requests(SEND)[0])
    assert form["message_type"] == message_type
    assert form.get("sender") == sender
    [message] = simulator.sim.state.messages.values()
    assert message.sender == sender


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("+336123456789", "longer than 11 digits"),
        ("336123456789", "longer than 11 digits"),
        ("Nom2Societe1", "longer than 11 characters"),
        ("Nom Societe", "letters and digits"),
        ("Nom-Societe", "letters and digits"),
    ],
)
async def test_sender_beyond_the_doc_is_refused_before_sending(
    gateway: MobytGateway, simulator: RunningSimulator, sender: str, reason: str
) -> None:
    # "une suite de caractères alphanumériques jusqu'à un maximum de 11 caractères"
    sms = OutgoingSms(recipients=(FR_1,), message="hi", sender=sender)
    await refused_before_sending(simulator, InvalidSenderError, gateway.send(sms), match=reason)


async def test_unknown_message_type_is_refused_before_sending(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    sms = OutgoingSms(recipients=(FR_1,), message="hi", message_type="GS")
    await refused_before_sending(
        simulator, MessageRejectedError, gateway.send(sms), match=r"use N .* or L"
    )


def _sent_to(simulator: RunningSimulator) -> list[str]:
    """The numbers the simulator took an SMS for (refused ones never appear)."""
    return sorted(
        m.recipient for m in simulator.sim.state.messages.values() if m.status != "UNKNRCPT"
    )


@pytest.mark.parametrize(
    ("reading", "ko_codes", "requests"),
    [
        ("whole_order", "numbered", 3),
        ("whole_order", "vendor_only", 3),
        ("whole_order_unnamed", "numbered", 3),
        ("whole_order_unnamed", "vendor_only", 3),
    ],
)
async def test_one_refused_number_does_not_stop_the_others(
    gateway: MobytGateway,
    simulator: RunningSimulator,
    reading: str,
    ko_codes: str,
    requests: int,
) -> None:
    """R14: a KO proves nothing was sent, so the others go in a second request.

    The refused number is then tried alone (a KO again: nothing sent), so that a number is
    called refused only on a KO for it alone, never on our reading of Mobyt's words.
    """
    simulator.play(mobyt__bad_recipient=reading, mobyt__ko_codes=ko_codes)
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))

    good, refused = result.messages
    assert (good.recipient, good.accepted, good.status) == (FR_1, True, DeliveryStatus.QUEUED)
    assert (refused.recipient, refused.accepted, refused.message_id) == (FR_REFUSED, False, None)
    assert refused.error is not None
    assert "Mobyt refused the request" in refused.error
    assert _sent_to(simulator) == [FR_1]
    assert len(simulator.requests(SEND)) == requests
    # Each recipient was in at most one request that was not refused.
    forms = [form_of(r) for r in simulator.requests(SEND)]
    assert len({f["order_id"] for f in forms}) == len(forms)
    assert result.batch_id == forms[1]["order_id"]
    assert good.message_id == f"{result.batch_id}:{FR_1}"
    assert (await gateway.get_balance()).total == 249


async def test_refused_numbers_found_among_many(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    simulator.play(mobyt__bad_recipient="whole_order_unnamed")
    numbers = (*(f"+3361234{i:04d}" for i in range(1, 8)), FR_REFUSED)
    result = await gateway.send(OutgoingSms(recipients=numbers, message="hi"))
    assert [m.accepted for m in result.messages] == [True] * 7 + [False]
    assert _sent_to(simulator) == sorted(numbers[:7])
    # The whole order (KO), then halves: 4 + 4 (KO), 2 + 2 (KO), 1 + 1 (KO).
    assert len(simulator.requests(SEND)) == 7
    assert result.batch_id is None  # the messages went in several orders
    assert result.credits_used == 7
    sent = [form_of(r)["recipient"].split(",") for r in simulator.requests(SEND)]
    assert [len(recipients) for recipients in sent] == [8, 4, 4, 2, 2, 1, 1]


async def _hundred_recipients_and_a_refused_sender(
    gateway: MobytGateway, simulator: RunningSimulator
) -> SendResult:
    """A send to 100 recipients with a sender Mobyt refuses for type L (a KO about the message)."""
    simulator.play(mobyt__sender_with_l="refused")
    numbers = tuple(f"+3361234{i:04d}" for i in range(1, 101))
    sms = OutgoingSms(recipients=numbers, message="hi", sender="Maison", message_type="l")
    return await gateway.send(sms)


async def test_a_refused_message_is_not_tried_for_ever(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    """A KO about the message itself: a bounded search, then every recipient refused, none sent."""
    result = await _hundred_recipients_and_a_refused_sender(gateway, simulator)
    assert len(simulator.requests(SEND)) == 1 + MAX_APART_ORDERS  # not 199
    assert simulator.sim.state.messages == {}
    assert not result.accepted
    assert len(result.messages) == 100
    assert {m.error for m in result.messages} == {"Mobyt refused the request: " + _FIXED_SENDER}


async def test_others_sent_reading(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    """R14 the other way: Mobyt sends the others and says OK; nothing is sent twice."""
    simulator.play(mobyt__bad_recipient="others_sent")
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))
    assert len(simulator.requests(SEND)) == 1
    assert result.accepted
    assert _sent_to(simulator) == [FR_1]
    ids = [m.message_id or "" for m in result.messages]
    reports = await gateway.get_delivery_status(ids)
    assert [(r.status, r.provider_status) for r in reports] == [
        (DeliveryStatus.QUEUED, "WAITING"),
        (DeliveryStatus.FAILED, "UNKNRCPT"),
    ]


async def test_every_recipient_refused(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    other_refused = "+33612339999"
    result = await gateway.send(OutgoingSms(recipients=(FR_REFUSED, other_refused), message="x"))
    assert not result.accepted
    assert all(m.error for m in result.messages)
    assert simulator.sim.state.messages == {}


async def test_one_refused_recipient_alone(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    with pytest.raises(GatewayError, match="Invalid recipient") as err:
        await gateway.send(OutgoingSms(recipients=(FR_REFUSED,), message="hi"))
    assert type(err.value) is GatewayError
    assert err.value.provider_code == "4"
    assert len(simulator.requests(SEND)) == 1


async def test_an_unreadable_answer_to_the_whole_order_is_not_sent_again(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    simulator.play(mobyt__bad_recipient="whole_order_unnamed")
    simulator.fault(SEND, "malformed", count=1)
    # The first (whole) order answered unreadably: it may have gone, nothing is sent again.
    with pytest.raises(SendOutcomeUnknownError) as err:
        await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))
    order_id = form_of(simulator.requests(SEND)[0])["order_id"]
    assert err.value.reference == order_id
    assert order_id in str(err.value)
    assert len(simulator.requests(SEND)) == 1


async def test_no_credits(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = simulator.gateway(MobytGateway, session, "empty", "empty-password")
    with pytest.raises(InsufficientCreditsError) as err:
        await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    assert err.value.provider_code == "2"


async def test_scheduled_send(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    send_at = datetime(2030, 6, 1, 10, 15, tzinfo=UTC)
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="later", send_at=send_at))
    form = form_of(simulator.requests(SEND)[0])
    assert form["scheduled_delivery_time"] == "20300601121500"  # Paris, summer time
    assert result.messages[0].status is DeliveryStatus.SCHEDULED
    [report] = await gateway.get_delivery_status([result.messages[0].message_id or ""])
    assert report.status is DeliveryStatus.SCHEDULED
    assert report.provider_status == "SCHEDULED"


@pytest.mark.parametrize(("send_at", "wall_clock"), CLOCK_CHANGES)
async def test_scheduled_time_across_a_dst_change(
    gateway: MobytGateway, simulator: RunningSimulator, send_at: datetime, wall_clock: datetime
) -> None:
    await gateway.send(OutgoingSms(recipients=(FR_1,), message="later", send_at=send_at))
    wire = form_of(simulator.requests(SEND)[0])["scheduled_delivery_time"]
    assert wire == f"{wall_clock:%Y%m%d%H%M%S}"


async def test_send_time_without_zone_is_refused(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    with pytest.raises(SchedulingError):
        await gateway.send(
            OutgoingSms(recipients=(FR_1,), message="x", send_at=datetime(2030, 1, 1))  # noqa: DTZ001
        )
    assert simulator.requests() == []


# --- delivery status ---------------------------------------------------------------------------


async def test_delivery_status_follows_the_lifecycle(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(
        OutgoingSms(recipients=(FR_1, FR_FAILING, FR_EXPIRING), message="hi")
    )
    ids = [m.message_id or "" for m in result.messages]

    async def statuses() -> list[tuple[DeliveryStatus, str]]:
        return [(r.status, r.provider_status) for r in await gateway.get_delivery_status(ids)]

    assert await statuses() == [(DeliveryStatus.QUEUED, "WAITING")] * 3
    await simulator.sim.advance()
    assert await statuses() == [(DeliveryStatus.SENT, "WAIT4DLVR")] * 3
    await simulator.sim.advance()
    reports = await gateway.get_delivery_status(ids)
    assert [(r.status, r.provider_status) for r in reports] == [
        (DeliveryStatus.DELIVERED, "DLVRD"),
        (DeliveryStatus.FAILED, "ERROR"),
        (DeliveryStatus.EXPIRED, "TIMEOUT"),
    ]
    assert [r.message_id for r in reports] == ids
    assert [r.recipient for r in reports] == [FR_1, FR_FAILING, FR_EXPIRING]
    delivered = reports[0].delivered_at
    assert delivered is not None
    assert delivered.tzinfo == PARIS
    assert abs(delivered - datetime.now(UTC)) < timedelta(minutes=1)
    assert reports[1].delivered_at is None


async def test_one_status_request_per_order(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    first = await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="one"))
    second = await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="two"))
    ids = [m.message_id or "" for m in (*second.messages, *first.messages)]
    reports = await gateway.get_delivery_status(ids)
    assert [r.message_id for r in reports] == ids
    orders = [form_of(r)["order_id"] for r in simulator.requests(STATUS)]
    assert orders == [second.batch_id, first.batch_id]


@pytest.mark.parametrize(("provider_status", "expected"), sorted(DELIVERY_STATUSES.items()))
async def test_every_provider_status_is_mapped(
    gateway: MobytGateway,
    simulator: RunningSimulator,
    provider_status: str,
    expected: DeliveryStatus,
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    message_id = result.messages[0].message_id or ""
    simulator.sim.state.messages[message_id].status = provider_status
    [report] = await gateway.get_delivery_status([message_id])
    assert report.status is expected
    assert report.provider_status == provider_status


async def test_unknown_provider_status_is_unknown(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    message_id = result.messages[0].message_id or ""
    simulator.sim.state.messages[message_id].status = "NEWSTATE"
    [report] = await gateway.get_delivery_status([message_id])
    assert report.status is DeliveryStatus.UNKNOWN
    assert report.provider_status == "NEWSTATE"


async def test_status_of_an_id_written_with_a_national_number(gateway: MobytGateway) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    asked = f"{result.batch_id}:06 12 34 56 78"
    [report] = await gateway.get_delivery_status([asked])
    assert report.message_id == asked
    assert report.status is DeliveryStatus.QUEUED


async def test_status_of_an_order_mobyt_does_not_know(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    [report, other] = await gateway.get_delivery_status(
        [f"NOSUCHORDER:{FR_1}", f"{result.batch_id}:{FR_2}"]
    )
    assert report.status is DeliveryStatus.UNKNOWN
    assert report.recipient == FR_1
    assert other.status is DeliveryStatus.UNKNOWN
    assert len(simulator.requests(STATUS)) == 2


async def test_status_of_something_that_is_not_a_mobyt_id(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    with pytest.raises(GatewayError, match="Not a Mobyt message id"):
        await gateway.get_delivery_status(["12345"])
    with pytest.raises(GatewayError, match="Not a Mobyt message id"):
        await gateway.cancel([":+33612345678"])
    assert simulator.requests() == []


# --- cancel --------------------------------------------------------------------------------------


async def test_cancel_a_scheduled_order(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    send_at = datetime.now(UTC) + timedelta(days=1)
    result = await gateway.send(
        OutgoingSms(recipients=(FR_1, FR_2), message="later", send_at=send_at)
    )
    ids = [m.message_id or "" for m in result.messages]

    results = await gateway.cancel(ids)

    assert [(r.message_id, r.canceled, r.error) for r in results] == [
        (ids[0], True, None),
        (ids[1], True, None),
    ]
    assert [form_of(r)["order_id"] for r in simulator.requests(REMOVE)] == [result.batch_id]
    assert {m.status for m in simulator.sim.state.messages.values()} == {"canceled"}
    # Mobyt forgets a cancelled order.
    reports = await gateway.get_delivery_status(ids)
    assert {r.status for r in reports} == {DeliveryStatus.UNKNOWN}
    [again] = await gateway.cancel(ids[:1])
    assert not again.canceled
    assert again.error is not None
    assert "not found" in again.error


async def test_cancel_an_order_already_sent(gateway: MobytGateway) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="now"))
    [outcome] = await gateway.cancel([result.messages[0].message_id or ""])
    assert not outcome.canceled
    assert outcome.error is not None
    assert "not scheduled" in outcome.error


async def test_cancel_with_a_refused_login_raises(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = simulator.gateway(MobytGateway, session, password="wrong")
    with pytest.raises(AuthenticationError):
        await gateway.cancel([f"ABC:{FR_1}"])
    with pytest.raises(AuthenticationError):
        await gateway.get_delivery_status([f"ABC:{FR_1}"])


# --- history and credits -----------------------------------------------------------------------


async def test_history(gateway: MobytGateway) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    now_sent = await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="a", sender="Home"))
    send_at = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    later = await gateway.send(
        OutgoingSms(recipients=(FR_1,), message="b", message_type="L", send_at=send_at)
    )
    entries = await gateway.get_history(before, datetime.now(UTC) + timedelta(minutes=1))
    assert [(e.order_id, e.message_type, e.sender, e.recipients) for e in entries] == [
        (now_sent.batch_id, "N", "Home", 2),
        (later.batch_id, "L", None, 1),
    ]
    assert entries[0].scheduled_at is None
    assert entries[1].scheduled_at == send_at
    assert entries[0].created_at is not None
    assert entries[0].created_at >= before.replace(microsecond=0)
    assert await gateway.get_history(before - timedelta(days=2), before - timedelta(days=1)) == []


async def test_history_needs_dates_with_a_zone(gateway: MobytGateway) -> None:
    with pytest.raises(SchedulingError):
        await gateway.get_history(datetime(2030, 1, 1), datetime.now(UTC))  # noqa: DTZ001


async def test_validate_credentials(gateway: MobytGateway) -> None:
    info = await gateway.validate_credentials()
    assert info.account_id == "demo"
    assert info.balance is not None
    assert info.balance.total == 250
    assert credit_lines(info.balance) == {("N", "FR"): 100, ("L", "FR"): 100, ("EE", None): 50}


async def test_refused_login(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = simulator.gateway(MobytGateway, session, password="wrong")
    with pytest.raises(AuthenticationError) as err:
        await gateway.validate_credentials()
    assert err.value.provider_code == "1"
    assert err.value.provider_message == "Invalid login or password"


# --- received messages ------------------------------------------------------------------------


def _receive(simulator: RunningSimulator, inbound_id: int, text: str, when: datetime) -> None:
    simulator.sim.state.inbound.append(
        SimInbound(
            inbound_id=inbound_id,
            provider="mobyt",
            username="demo",
            sender=FR_1,
            recipient="+33612345680",
            text=text,
            received_at=when,
            keyword=text.split(maxsplit=1)[0].upper(),
        )
    )


async def test_inbound_polling(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    yesterday = datetime(2030, 1, 1, 9, 30, tzinfo=PARIS)
    today = datetime(2030, 1, 2, 9, 30, tzinfo=PARIS)
    _receive(simulator, 1001, "hello world", yesterday)
    _receive(simulator, 1002, "stop now; | 100%", today)

    every = await gateway.get_inbound(after_id=0)
    assert [(m.message_id, m.message, m.keyword) for m in every] == [
        ("1001", "hello world", "HELLO"),
        ("1002", "stop now; | 100%", "STOP"),
    ]
    assert every[0].sender == FR_1
    assert every[0].recipient == "+33612345680"
    assert every[0].received_at == yesterday
    assert form_of(simulator.requests("/mobyt/OESRs/SRHISTORYBYID")[0])["id"] == "0"
    assert [m.message_id for m in await gateway.get_inbound(after_id=1001)] == ["1002"]

    assert [m.message_id for m in await gateway.get_new_inbound()] == ["1001", "1002"]
    assert await gateway.get_new_inbound() == []

    window = await gateway.get_inbound_history(
        datetime(2030, 1, 2, tzinfo=PARIS), datetime(2030, 1, 3, tzinfo=PARIS)
    )
    assert [m.message_id for m in window] == ["1002"]
    form = form_of(simulator.requests("/mobyt/OESRs/SRHISTORY")[-1])
    assert (form["date_from"], form["date_to"]) == ("20300102000000", "20300103000000")


async def test_inbound_after_a_negative_id_is_refused(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    await refused_before_sending(simulator, GatewayError, gateway.get_inbound(after_id=-1))


# --- pushes -----------------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


async def test_pushes_posted_by_the_simulator_are_parsed(
    gateway: MobytGateway, simulator: RunningSimulator, canned: Canned
) -> None:
    simulator.sim.webhooks["mobyt"] = canned.url
    result = await gateway.send(
        OutgoingSms(recipients=(FR_1, FR_FAILING, FR_EXPIRING), message="hi")
    )
    await simulator.sim.advance()
    await simulator.sim.advance()
    reports = [report for _, form in canned.received for report in gateway.parse_status_push(form)]
    assert [(r.message_id, r.status, r.provider_status) for r in reports] == [
        (f"{result.batch_id}:{FR_1}", DeliveryStatus.SENT, "WAIT4DLVR"),
        (f"{result.batch_id}:{FR_FAILING}", DeliveryStatus.SENT, "WAIT4DLVR"),
        (f"{result.batch_id}:{FR_EXPIRING}", DeliveryStatus.SENT, "WAIT4DLVR"),
        (f"{result.batch_id}:{FR_1}", DeliveryStatus.DELIVERED, "DLVRD"),
        (f"{result.batch_id}:{FR_FAILING}", DeliveryStatus.FAILED, "ERROR"),
        (f"{result.batch_id}:{FR_EXPIRING}", DeliveryStatus.EXPIRED, "TIMEOUT"),
    ]
    # As the doc says, only the delivered message's push carries a delivery_date.
    assert ["delivery_date" in form for _, form in canned.received] == [
        False,
        False,
        False,
        True,
        False,
        False,
    ]
    assert reports[3].delivered_at is not None
    assert [r.delivered_at for r in reports if r.provider_status != "DLVRD"] == [None] * 5


def test_inbound_push_is_parsed(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    received_at = datetime(2030, 3, 31, 3, 30, tzinfo=PARIS)
    push = simulator.sim.providers["mobyt"].inbound_push(
        SimInbound(1234, "mobyt", "demo", FR_1, "+33612345680", "Oui & non", received_at)
    )
    assert push is not None
    assert push.content_type == "application/x-www-form-urlencoded"
    [message] = gateway.parse_inbound_push(_form(push.body))
    assert message.message_id == "1234"
    assert message.sender == FR_1
    assert message.recipient == "+33612345680"
    assert message.message == "Oui & non"
    assert message.received_at == received_at
    assert message.keyword is None


def test_status_push_doc_fields_are_parsed(gateway: MobytGateway) -> None:
    [report] = gateway.parse_status_push(
        {
            "order_id": "123FC75",
            "recipient": "0033612345678",
            "status": "DLVRD",
            "delivery_date": "20090309120636",
        }
    )
    assert report.message_id == f"123FC75:{FR_1}"
    assert report.status is DeliveryStatus.DELIVERED
    assert report.delivered_at == datetime(2009, 3, 9, 12, 6, 36, tzinfo=PARIS)


def test_status_push_for_a_sim_message(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    message = SimMessage(
        message_id=f"ORDER1:{FR_EXPIRING}",
        provider="mobyt",
        username="demo",
        recipient=FR_EXPIRING,
        text="hi",
        sender=None,
        created_at=datetime.now(PARIS),
        status="expired",
        batch_id="ORDER1",
    )
    push = simulator.sim.providers["mobyt"].status_push(message)
    assert push is not None
    [report] = gateway.parse_status_push(_form(push.body))
    assert report.status is DeliveryStatus.EXPIRED
    assert report.provider_status == "TIMEOUT"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("ERROR", DeliveryStatus.FAILED), ("TIMEOUT", DeliveryStatus.EXPIRED)],
)
def test_status_push_without_a_delivery_date(
    gateway: MobytGateway, status: str, expected: DeliveryStatus
) -> None:
    # delivery_date: "rempli seulement si le SMS a été délivré sans erreurs (état DLVRD)".
    [report] = gateway.parse_status_push(
        {"order_id": "123FC75", "recipient": FR_1, "status": status}
    )
    assert report.message_id == f"123FC75:{FR_1}"
    assert report.status is expected
    assert report.delivered_at is None


def test_inbound_push_of_an_empty_sms(gateway: MobytGateway) -> None:
    [message] = gateway.parse_inbound_push({k: v for k, v in GOOD_INBOUND.items() if k != "text"})
    assert message.message == ""
    assert message.message_id == "99"


def test_inbound_push_without_a_date_is_dated_on_arrival(gateway: MobytGateway) -> None:
    [message] = gateway.parse_inbound_push(
        {k: v for k, v in GOOD_INBOUND.items() if k != "delivery_date"}
    )
    assert message.received_at.tzinfo == PARIS
    assert abs(message.received_at - datetime.now(UTC)) < timedelta(minutes=1)
    [blank] = gateway.parse_inbound_push({**GOOD_INBOUND, "delivery_date": ""})
    assert abs(blank.received_at - datetime.now(UTC)) < timedelta(minutes=1)


GOOD_INBOUND = {
    "id": "99",
    "text": "hello",
    "sender": FR_1,
    "recipient": "+33612345680",
    "delivery_date": "20300101120000",
}
GOOD_STATUS = {
    "order_id": "ABC123",
    "recipient": FR_1,
    "status": "SENT",
    "delivery_date": "",
}


@pytest.mark.parametrize(
    "form",
    [
        {**GOOD_INBOUND, "id": "1²"},
        {**GOOD_INBOUND, "id": "¹²³"},
        {**GOOD_INBOUND, "id": "12 3"},
        {k: v for k, v in GOOD_INBOUND.items() if k != "id"},
        {k: v for k, v in GOOD_INBOUND.items() if k != "sender"},
        {k: v for k, v in GOOD_INBOUND.items() if k != "recipient"},
        {**GOOD_INBOUND, "sender": ""},
        {**GOOD_INBOUND, "recipient": "1" * 40},
        {**GOOD_INBOUND, "text": "x" * 10_001},
        {**GOOD_INBOUND, "delivery_date": "2030-01-01 12:00"},
        {**GOOD_INBOUND, "delivery_date": "20301301120000"},
    ],
)
def test_bad_inbound_push_is_refused(gateway: MobytGateway, form: dict[str, str]) -> None:
    with pytest.raises(GatewayResponseError):
        gateway.parse_inbound_push(form)


def test_inbound_push_with_a_file_instead_of_text_is_refused(gateway: MobytGateway) -> None:
    # aiohttp's form parser gives a FileField for a file part; a webhook may pass it on.
    form = cast("dict[str, str]", {**GOOD_INBOUND, "text": object()})
    with pytest.raises(GatewayResponseError, match="text that is not text"):
        gateway.parse_inbound_push(form)


@pytest.mark.parametrize(
    "form",
    [
        {k: v for k, v in GOOD_STATUS.items() if k != "order_id"},
        {k: v for k, v in GOOD_STATUS.items() if k != "recipient"},
        {k: v for k, v in GOOD_STATUS.items() if k != "status"},
        {**GOOD_STATUS, "order_id": "no spaces"},
        {**GOOD_STATUS, "order_id": "A" * 33},
        {**GOOD_STATUS, "recipient": "hello"},
        {**GOOD_STATUS, "status": ""},
        {**GOOD_STATUS, "status": "<script>"},
        {**GOOD_STATUS, "delivery_date": "yesterday"},
    ],
)
def test_bad_status_push_is_refused(gateway: MobytGateway, form: dict[str, str]) -> None:
    with pytest.raises(GatewayResponseError):
        gateway.parse_status_push(form)


# --- the doc's example replies, word for word ----------------------------------------------------


async def test_doc_send_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "OK|1F11FEADCB6A4|1"
    result = await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hello world"))
    assert result.batch_id == "1F11FEADCB6A4"
    assert result.messages[0].message_id == f"1F11FEADCB6A4:{FR_1}"
    assert result.credits_used == 1
    # The path is found once with a read, then the send is made once under it.
    [(read, _), (path, form)] = canned.received
    assert (read, path) == ("/Mobyt/CREDITS", "/Mobyt/SENDSMS")
    assert form["login"] == "mylogin"


@pytest.mark.parametrize(
    ("body", "credits_used"), [("OK|", None), ("OK|ABC", None), ("OK|ABC|x", None)]
)
async def test_sparse_send_reply_keeps_our_order_id(
    canned: Canned, canned_gateway: MobytGateway, body: str, credits_used: float | None
) -> None:
    canned.body = body
    result = await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    sent_order = canned.received[-1][1]["order_id"]
    assert result.batch_id == (sent_order if body == "OK|" else "ABC")
    assert result.credits_used == credits_used


async def test_doc_status_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = (
        "OK;%2B336061234567|DLVRD|20090309120636;%2B336106543210|ERROR|;%2B341234567|UNKNRCPT|;"
    )
    ids = ["123FC75:+336061234567", "123FC75:+336106543210", "123FC75:+341234567"]
    reports = await canned_gateway.get_delivery_status(ids)
    assert [(r.message_id, r.status, r.provider_status) for r in reports] == [
        (ids[0], DeliveryStatus.DELIVERED, "DLVRD"),
        (ids[1], DeliveryStatus.FAILED, "ERROR"),
        (ids[2], DeliveryStatus.FAILED, "UNKNRCPT"),
    ]
    assert reports[0].delivered_at == datetime(2009, 3, 9, 12, 6, 36, tzinfo=PARIS)
    assert reports[1].delivered_at is None
    assert [(path, form["order_id"]) for path, form in canned.received] == [
        ("/Mobyt/SMSSTATUS", "123FC75")
    ]


async def test_doc_remove_delayed_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "OK;"
    [result] = await canned_gateway.cancel([f"XXX:{FR_1}"])
    assert result.canceled
    assert canned.received == [
        ("/Mobyt/CREDITS", {"login": "mylogin", "password": "mypwd"}),
        ("/Mobyt/REMOVE_DELAYED", {"login": "mylogin", "password": "mypwd", "order_id": "XXX"}),
    ]


async def test_doc_history_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = (
        "OK;|20090217164232|GS||2|20090219164153;1F11FEAD08FE0|20090309113910|GP|test|1;"
        "|20090309120139|N|eXpEdItEuR|2|"
    )
    entries = await canned_gateway.get_history(
        datetime(2009, 2, 1, tzinfo=PARIS), datetime(2009, 2, 1, 18, 30, tzinfo=PARIS)
    )
    assert [e.to_dict() for e in entries] == [
        {
            "order_id": None,
            "created_at": "2009-02-17T16:42:32+01:00",
            "message_type": "GS",
            "sender": None,
            "recipients": 2,
            "scheduled_at": "2009-02-19T16:41:53+01:00",
        },
        {
            "order_id": "1F11FEAD08FE0",
            "created_at": "2009-03-09T11:39:10+01:00",
            "message_type": "GP",
            "sender": "test",
            "recipients": 1,
            "scheduled_at": None,
        },
        {
            "order_id": None,
            "created_at": "2009-03-09T12:01:39+01:00",
            "message_type": "N",
            "sender": "eXpEdItEuR",
            "recipients": 2,
            "scheduled_at": None,
        },
    ]
    [(path, form)] = canned.received
    assert path == "/Mobyt/SMSHISTORY"
    assert (form["from"], form["to"]) == ("20090201000000", "20090201183000")


async def test_doc_credits_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "OK;N|IT|37;N|IT|37;N|IT|37;L|ES|56;L|ES|56;L|ES|100;EE||81"
    balance = await canned_gateway.get_balance()
    # R25: repeated lines are separate credits or one pool shown on each line: the total and
    # each line count under the reading that gives less (a low-credit warning is never late).
    assert balance.total == 37 + 56 + 81
    assert balance.by_line() == {("N", "IT"): 37, ("L", "ES"): 56, ("EE", None): 81}
    assert [(c.credit_type, c.nation, c.amount) for c in balance.lines] == [
        ("N", "IT", 37),
        ("N", "IT", 37),
        ("N", "IT", 37),
        ("L", "ES", 56),
        ("L", "ES", 56),
        ("L", "ES", 100),
        ("EE", None, 81),
    ]
    assert canned.received[0][0] == "/Mobyt/CREDITS"


async def test_doc_inbound_reply(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "OK;12345678|%2B336061234567|%2B336107654321|hello+world|20090309113910|;"
    [message] = await canned_gateway.get_inbound(after_id=1234567)
    assert message.message_id == "12345678"
    assert message.recipient == "+336061234567"
    assert message.sender == "+336107654321"
    assert message.message == "hello world"
    assert message.received_at == datetime(2009, 3, 9, 11, 39, 10, tzinfo=PARIS)
    assert message.keyword is None
    assert canned.received[0] == (
        "/OESRs/SRHISTORYBYID",
        {"login": "mylogin", "password": "mypwd", "id": "1234567"},
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
async def test_tables_with_records_on_lines(
    canned: Canned, canned_gateway: MobytGateway, newline: str
) -> None:
    # "le caractère ';' comme séparateur de ligne (newline)": a table may come one record a line.
    canned.body = newline.join(["OK", "N|IT|37", "L|ES|56", "EE||81", ""])
    balance = await canned_gateway.get_balance()
    assert [(c.credit_type, c.nation, c.amount) for c in balance.lines] == [
        ("N", "IT", 37),
        ("L", "ES", 56),
        ("EE", None, 81),
    ]

    canned.body = newline.join(
        ["OK", "%2B336061234567|DLVRD|20090309120636", "%2B336106543210|ERROR|"]
    )
    ids = ["123FC75:+336061234567", "123FC75:+336106543210"]
    reports = await canned_gateway.get_delivery_status(ids)
    assert [(r.status, r.delivered_at) for r in reports] == [
        (DeliveryStatus.DELIVERED, datetime(2009, 3, 9, 12, 6, 36, tzinfo=PARIS)),
        (DeliveryStatus.FAILED, None),
    ]

    canned.body = newline.join(
        ["OK", "|20090217164232|GS||2|20090219164153", "1F11FEAD08FE0|20090309113910|GP|test|1"]
    )
    entries = await canned_gateway.get_history(
        datetime(2009, 2, 1, tzinfo=PARIS), datetime(2009, 3, 10, tzinfo=PARIS)
    )
    assert [(e.order_id, e.message_type, e.recipients) for e in entries] == [
        (None, "GS", 2),
        ("1F11FEAD08FE0", "GP", 1),
    ]

    canned.body = newline.join(
        [
            "OK",
            "12345678|%2B336061234567|%2B336107654321|hello+world|20090309113910|",
            "12345679|%2B336061234567|%2B336107654321|line%0Abreak|20090309113911|HI",
        ]
    )
    inbound = await canned_gateway.get_inbound()
    assert [(m.message_id, m.message, m.keyword) for m in inbound] == [
        ("12345678", "hello world", None),
        ("12345679", "line\nbreak", "HI"),
    ]


async def test_a_table_mixing_both_separators(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "OK;N|IT|37;\nL|ES|56;\r\nEE||81;\n"
    balance = await canned_gateway.get_balance()
    assert [(c.credit_type, c.amount) for c in balance.lines] == [("N", 37), ("L", 56), ("EE", 81)]


type Call = Callable[[MobytGateway], Awaitable[object]]
CALLS: dict[str, Call] = {
    "balance": lambda gateway: gateway.get_balance(),
    "history": lambda gateway: gateway.get_history(datetime.now(UTC), datetime.now(UTC)),
    "inbound": lambda gateway: gateway.get_inbound(),
    "status": lambda gateway: gateway.get_delivery_status([f"A:{FR_1}"]),
}


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("history", "OK;ABC|20090217164232|N||two|"),
        ("history", "OK;ABC|20090217164232|N||3²|"),
        ("history", "OK;ABC|2009|N||2|"),
    ],
)
async def test_malformed_tables(
    canned: Canned, canned_gateway: MobytGateway, call: str, body: str
) -> None:
    canned.body = body
    with pytest.raises(GatewayResponseError):
        await CALLS[call](canned_gateway)


# --- KO replies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "error"), sorted(ERROR_CODES.items()))
async def test_every_ko_code_is_mapped(
    canned: Canned, canned_gateway: MobytGateway, code: str, error: type[GatewayError]
) -> None:
    canned.body = f"KO|{code}|Something+went+wrong"
    with pytest.raises(error) as err:
        await canned_gateway.get_balance()
    assert type(err.value) is error
    assert err.value.provider_code == code
    assert err.value.provider_message == "Something went wrong"


@pytest.mark.parametrize(
    "message",
    [
        "Invalid login",
        "Mot de passe incorrect",
        "Identifiant de commande inconnu",
        "Crédit insuffisant",
        "Invalid recipient number",
        "Expéditeur non valide",
        "Message trop long",
        "Service temporarily unavailable",
    ],
)
@pytest.mark.parametrize("code", ["3", "4", "9", "10", "42", "01", "", "1²"])
async def test_an_undocumented_ko_code_is_a_generic_error_with_mobyts_words(
    canned: Canned, canned_gateway: MobytGateway, code: str, message: str
) -> None:
    """R12: no word of the text is read for a meaning; only 1 and 2 have evidence."""
    canned.body = f"KO|{code}|{message}"
    with pytest.raises(GatewayError) as err:
        await canned_gateway.get_balance()
    assert type(err.value) is GatewayError
    assert err.value.provider_code == (code or None)
    assert err.value.provider_message == message
    assert message in str(err.value)


async def test_ko_without_a_message(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.body = "KO|77"
    with pytest.raises(GatewayError, match="no reason given") as err:
        await canned_gateway.get_balance()
    assert err.value.provider_code == "77"
    assert err.value.provider_message is None


@pytest.mark.parametrize("body", ["", "Hello", "OKAY", "<html>maintenance</html>", "KO;1;x"])
async def test_reply_neither_ok_nor_ko(
    canned: Canned, canned_gateway: MobytGateway, body: str
) -> None:
    canned.body = body
    with pytest.raises(GatewayResponseError, match="Unexpected reply from Mobyt"):
        await canned_gateway.get_balance()


# --- faults --------------------------------------------------------------------------------------


async def test_http_500(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    await fails_after_sending(simulator, "/mobyt/Mobyt/CREDITS", "http500", gateway.get_balance())


@pytest.mark.parametrize("reading", ["both", "mobyt_only", "moby_only"])
async def test_the_path_is_found_with_a_read_and_a_send_is_made_once(
    gateway: MobytGateway, simulator: RunningSimulator, reading: str
) -> None:
    """R16: the doc spells both; a send is never repeated on another path."""
    simulator.play(mobyt__path=reading)
    spelling = "Moby" if reading == "moby_only" else "Mobyt"

    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi", sender="Maison"))

    sends = [r["path"] for r in simulator.requests() if r["path"].endswith("/SENDSMS")]
    assert sends == [f"/mobyt/{spelling}/SENDSMS"]
    [message] = simulator.sim.state.messages.values()
    assert message.message_id == result.messages[0].message_id
    # The spelling that answered is used from then on: one request per call.
    before = len(simulator.requests())
    [report] = await gateway.get_delivery_status([message.message_id])
    assert report.status is DeliveryStatus.QUEUED
    assert (await gateway.get_balance()).total == 249
    assert [r["path"] for r in simulator.requests()[before:]] == [
        f"/mobyt/{spelling}/SMSSTATUS",
        f"/mobyt/{spelling}/CREDITS",
    ]


async def test_not_found_under_both_spellings(canned: Canned, canned_gateway: MobytGateway) -> None:
    canned.errors = {"/Mobyt/": 404, "/Moby/": 404}
    with pytest.raises(GatewayConnectionError) as err:
        await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    assert err.value.provider_code == "HTTP 404"
    assert not err.value.request_sent
    assert "nothing was sent" in str(err.value)
    # Only reads were made: no send on either path.
    assert [path for path, _ in canned.received] == ["/Mobyt/CREDITS", "/Moby/CREDITS"]


async def test_a_send_answered_404_is_not_made_again_elsewhere(
    canned: Canned, canned_gateway: MobytGateway
) -> None:
    canned.body = "OK;EE||81"
    await canned_gateway.get_balance()
    canned.errors = {"/Mobyt/SENDSMS": 404}
    with pytest.raises(GatewayConnectionError) as err:
        await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    assert err.value.request_sent
    assert [path for path, _ in canned.received] == ["/Mobyt/CREDITS", "/Mobyt/SENDSMS"]


async def test_back_to_the_mobyt_spelling_when_moby_goes(
    canned: Canned, canned_gateway: MobytGateway
) -> None:
    canned.errors = {"/Mobyt/": 404}
    canned.body = "OK;EE||81"
    await canned_gateway.get_balance()
    canned.errors = {"/Moby/": 404}
    assert (await canned_gateway.get_balance()).total == 81
    assert [path for path, _ in canned.received] == [
        "/Mobyt/CREDITS",
        "/Moby/CREDITS",
        "/Moby/CREDITS",
        "/Mobyt/CREDITS",
    ]


@pytest.mark.parametrize(
    ("errors", "call", "path"),
    [
        ({"/Mobyt/": 500}, "balance", "/Mobyt/CREDITS"),
        ({"/Mobyt/": 403}, "balance", "/Mobyt/CREDITS"),
        ({"/OESRs/": 404}, "inbound", "/OESRs/SRHISTORYBYID"),
    ],
)
async def test_other_http_errors_are_not_tried_again(
    canned: Canned, canned_gateway: MobytGateway, errors: dict[str, int], call: str, path: str
) -> None:
    canned.errors = errors
    with pytest.raises(GatewayConnectionError) as err:
        await CALLS[call](canned_gateway)
    assert err.value.provider_code == f"HTTP {next(iter(errors.values()))}"
    assert [received for received, _ in canned.received] == [path]


async def test_connection_dropped_after_the_send_was_handled(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    sms = OutgoingSms(recipients=(FR_1,), message="maybe")
    err = await fails_after_sending(simulator, SEND, "drop", gateway.send(sms))
    [request] = simulator.requests(SEND)
    order_id = form_of(request)["order_id"]
    assert order_id in str(err)
    # The order can be looked up: it was sent.
    [report] = await gateway.get_delivery_status([f"{order_id}:{FR_1}"])
    assert report.status is DeliveryStatus.QUEUED


async def test_malformed_reply(gateway: MobytGateway, simulator: RunningSimulator) -> None:
    simulator.fault(SEND, "malformed")
    with pytest.raises(GatewayResponseError, match="502 Bad Gateway"):
        await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))


async def test_slow_reply(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = simulator.gateway(MobytGateway, session, timeout=IMPATIENT)
    sms = OutgoingSms(recipients=(FR_1,), message="slow")
    await fails_after_sending(simulator, SEND, "delay", gateway.send(sms))


async def test_provider_unreachable(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = MobytGateway(
        session, username="demo", password="demo-password", api_url=f"http://127.0.0.1:{port}/"
    )
    with pytest.raises(GatewayConnectionError) as err:
        await gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    assert not err.value.request_sent
    assert "order" not in str(err.value)


# --- the readings of the points the doc leaves open (READINGS.md R12, R15, R17) -----------------


@pytest.mark.parametrize("reading", ["ko", "empty", "undocumented_word"])
async def test_status_of_a_cancelled_order_is_unknown_never_failed(
    gateway: MobytGateway, simulator: RunningSimulator, reading: str
) -> None:
    """R15: whatever SMSSTATUS answers for a cancelled order, nothing is called failed."""
    simulator.play(mobyt__cancelled_status=reading)
    send_at = datetime.now(UTC) + timedelta(days=1)
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="x", send_at=send_at))
    ids = [m.message_id or "" for m in result.messages]
    assert all(r.canceled for r in await gateway.cancel(ids))
    reports = await gateway.get_delivery_status(ids)
    assert {r.status for r in reports} == {DeliveryStatus.UNKNOWN}
    expected = {"ko": "KO|9|", "empty": "UNKNOWN", "undocumented_word": "CANCELLED"}[reading]
    assert all(r.provider_status.startswith(expected) for r in reports)


@pytest.mark.parametrize("ko_codes", ["numbered", "vendor_only"])
async def test_undocumented_codes_never_start_a_reauth_nor_hide_a_status(
    gateway: MobytGateway, simulator: RunningSimulator, ko_codes: str
) -> None:
    """R12: under either numbering, only code 1 is a refused login."""
    simulator.play(mobyt__ko_codes=ko_codes)
    result = await gateway.send(OutgoingSms(recipients=(FR_1,), message="now"))
    # An order Mobyt does not know: its own words, status unknown, no error raised.
    [report] = await gateway.get_delivery_status([f"NOSUCHORDER:{FR_1}"])
    assert report.status is DeliveryStatus.UNKNOWN
    assert report.provider_status.startswith("KO|")
    # An order already sent cannot be cancelled: not cancelled, in Mobyt's words.
    [outcome] = await gateway.cancel([result.messages[0].message_id or ""])
    assert not outcome.canceled
    assert outcome.error
    assert ("déjà envoyé" in outcome.error) is (ko_codes == "vendor_only")
    # A refused recipient: a generic error, never an AuthenticationError.
    with pytest.raises(GatewayError) as err:
        await gateway.send(OutgoingSms(recipients=(FR_REFUSED,), message="x"))
    assert type(err.value) is GatewayError
    wrong = simulator.gateway(MobytGateway, gateway._session, password="wrong")
    with pytest.raises(AuthenticationError):
        await wrong.get_balance()


@pytest.mark.parametrize(("reading", "sent"), [("per_line", False), ("pooled", True)])
async def test_credits_reading(
    gateway: MobytGateway,
    simulator: RunningSimulator,
    reading: str,
    sent: bool,
) -> None:
    """R17: the adapter's judgement is the same under both; only the send's fate differs."""
    simulator.play(mobyt__credits=reading)
    simulator.sim.state.accounts[("mobyt", "demo")].extra["lines"] = [
        ["N", "FR", 0],
        ["L", "FR", 500],
        ["EE", "", 20],
    ]
    balance = await gateway.get_balance()
    assert balance.total == 520
    assert gateway.credits_for(balance, recipients=[FR_1], sender="Home", message_type="n") == 0
    assert gateway.credits_for(balance, recipients=[FR_1], sender=None, message_type=None) == 500
    assert gateway.credits_for(balance, recipients=[IT_1], sender="Home", message_type="N") == 20
    sms = OutgoingSms(recipients=(FR_1,), message="hi", sender="Home", message_type="N")
    if sent:
        assert (await gateway.send(sms)).accepted
    else:
        with pytest.raises(InsufficientCreditsError):
            await gateway.send(sms)


# --- R23: a KO to an order to several recipients is not proof that nothing was sent -----------

HISTORY = "/mobyt/Mobyt/SMSHISTORY"
GOOD = tuple(f"+3361234{i:04d}" for i in range(1, 8))


def _orders_reaching(simulator: RunningSimulator) -> dict[str, int]:
    """How many orders reached each number at the simulator (refused numbers never do)."""
    counts: dict[str, int] = {}
    for message in simulator.sim.state.messages.values():
        if message.status != "UNKNRCPT":
            counts[message.recipient] = counts.get(message.recipient, 0) + 1
    return counts


@pytest.mark.parametrize("ko_codes", ["numbered", "vendor_only"])
@pytest.mark.parametrize("bad_recipient", ["whole_order", "whole_order_unnamed"])
@pytest.mark.parametrize("history_order_id", ["kept", "blank"])
async def test_a_ko_executed_for_the_good_numbers_sends_nothing_twice(
    gateway: MobytGateway,
    simulator: RunningSimulator,
    ko_codes: str,
    bad_recipient: str,
    history_order_id: str,
) -> None:
    """Mobyt sent the order to the good numbers and answered KO: nothing is sent again.

    The history lists the order (or a row it cannot rule out): every recipient may have been
    sent, with the order's id, so that its status can be followed.
    """
    simulator.play(
        mobyt__ko_executed="good_numbers",
        mobyt__ko_codes=ko_codes,
        mobyt__bad_recipient=bad_recipient,
        mobyt__history_order_id=history_order_id,
    )
    numbers = (*GOOD, FR_REFUSED)
    result = await gateway.send(OutgoingSms(recipients=numbers, message="hi"))

    assert _orders_reaching(simulator) == dict.fromkeys(GOOD, 1)
    assert len(simulator.requests(SEND)) == 1
    assert len(simulator.requests(HISTORY)) == 1
    order_id = form_of(simulator.requests(SEND)[0])["order_id"]
    assert result.batch_id == order_id
    for message in result.messages:
        assert (message.accepted, message.status) == (True, DeliveryStatus.UNKNOWN)
        assert message.message_id == f"{order_id}:{message.recipient}"
        assert message.error is not None
        assert "may have been sent" in message.error
    # Followed like any sent message: Mobyt's status says who got it.
    reports = await gateway.get_delivery_status([m.message_id or "" for m in result.messages])
    assert {r.status for r in reports[:-1]} == {DeliveryStatus.QUEUED}
    assert reports[-1].status is DeliveryStatus.UNKNOWN


async def test_a_ko_not_executed_is_split_once_the_history_shows_it(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    """The history proves the KO'd order was not executed: the good numbers go once each."""
    simulator.play(mobyt__bad_recipient="whole_order_unnamed")
    numbers = (*GOOD, FR_REFUSED)
    result = await gateway.send(OutgoingSms(recipients=numbers, message="hi"))
    assert _orders_reaching(simulator) == dict.fromkeys(GOOD, 1)
    assert [m.accepted for m in result.messages] == [True] * 7 + [False]
    refused = result.messages[-1]
    assert (refused.status, refused.message_id) == (DeliveryStatus.FAILED, None)
    assert refused.error is not None
    assert "Invalid recipient" in refused.error
    # One history request per round of refused orders (8; 4 + 4; 2 + 2; 1 + 1 alone: none).
    assert len(simulator.requests(HISTORY)) == 3
    forms = [form_of(r) for r in simulator.requests(HISTORY)]
    assert all(f["from"] < f["to"] for f in forms)


async def test_a_ko_not_executed_but_a_history_without_ids_sends_nothing_again(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    """Rows without an order id (the doc's example) cannot rule our order out."""
    simulator.play(mobyt__history_order_id="blank")
    # An earlier order of the account, listed without an id.
    await gateway.send(OutgoingSms(recipients=(FR_2,), message="earlier"))
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))
    assert len(simulator.requests(SEND)) == 2
    assert _orders_reaching(simulator) == {FR_2: 1}
    assert [(m.accepted, m.status) for m in result.messages] == [
        (True, DeliveryStatus.UNKNOWN),
        (True, DeliveryStatus.UNKNOWN),
    ]


@pytest.mark.parametrize("fault", ["malformed", "http500", "drop"])
async def test_a_ko_whose_history_cannot_be_read_sends_nothing_again(
    gateway: MobytGateway, simulator: RunningSimulator, fault: str
) -> None:
    simulator.play(mobyt__bad_recipient="whole_order_unnamed")
    simulator.fault(HISTORY, fault, count=2)
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))
    assert len(simulator.requests(SEND)) == 1
    assert not _orders_reaching(simulator)
    assert {(m.accepted, m.status) for m in result.messages} == {(True, DeliveryStatus.UNKNOWN)}


@pytest.mark.parametrize(
    ("ko", "history"),
    [
        # The history that would prove what the order did is refused.
        ("KO|4|Invalid recipient", "KO|12|Historique indisponible"),
        # Credits may run out half way through an order: the history does not say how far.
        ("KO|2|Crédit insuffisant", "OK;|20250101000000|N||1|"),
    ],
    ids=["history_refused", "no_credits_for_several"],
)
async def test_a_ko_without_proof_is_not_refused_and_sends_nothing_again(
    canned: Canned, canned_gateway: MobytGateway, ko: str, history: str
) -> None:
    canned.script = [ko]
    canned.body = history
    result = await canned_gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="hi"))
    sends = [path for path, _ in canned.received if path.endswith("/SENDSMS")]
    assert len(sends) == 1
    assert {(m.accepted, m.status) for m in result.messages} == {(True, DeliveryStatus.UNKNOWN)}


async def test_the_history_lists_our_order_in_another_case(
    canned: Canned, canned_gateway: MobytGateway
) -> None:
    """An id written back in capitals is still ours: nothing is sent again."""
    canned.script = ["KO|4|Invalid recipient"]

    result_task = canned_gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="hi"))
    canned.body = "OK;"  # CREDITS first (the path), then SMSHISTORY
    # The order id is only known once sent: answer the history with every id it was sent under.
    original_post = canned_gateway._post

    async def post(path: str, form: bytes) -> object:
        if path.endswith("SMSHISTORY"):
            sent = [f for p, f in canned.received if p.endswith("/SENDSMS")]
            canned.body = f"OK;{sent[0]['order_id'].upper()}|20250101000000|N||2|"
        return await original_post(path, form)

    canned_gateway._post = post  # type: ignore[method-assign]
    result = await result_task
    assert len([p for p, _ in canned.received if p.endswith("/SENDSMS")]) == 1
    assert {m.status for m in result.messages} == {DeliveryStatus.UNKNOWN}


async def test_no_credits_for_several_proven_not_executed_is_no_credits(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = simulator.gateway(MobytGateway, session, "empty", "empty-password")
    with pytest.raises(InsufficientCreditsError):
        await gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="hi"))
    assert len(simulator.requests(SEND)) == 1
    assert len(simulator.requests(HISTORY)) == 1


# --- a refused recipient is refused: failed, in Mobyt's words ----------------------------------


async def test_a_refused_recipient_is_failed_with_mobyts_words(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(OutgoingSms(recipients=(FR_1, FR_REFUSED), message="hi"))
    good, refused = result.messages
    assert (good.accepted, good.status) == (True, DeliveryStatus.QUEUED)
    assert (refused.accepted, refused.status, refused.error_code) == (
        False,
        DeliveryStatus.FAILED,
        "4",
    )
    assert refused.error == f"Mobyt refused the request: Invalid recipient: {FR_REFUSED}"


async def test_recipients_not_tried_within_the_cap_are_failed(
    gateway: MobytGateway, simulator: RunningSimulator
) -> None:
    result = await _hundred_recipients_and_a_refused_sender(gateway, simulator)
    assert {(m.accepted, m.status) for m in result.messages} == {(False, DeliveryStatus.FAILED)}


# --- a reply that echoes the request never shows the password ----------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "login=mylogin&password=mypwd&message_type=N",
        "KO|3|Bad request: login=mylogin&password=mypwd",
        'KO|99|{"login": "mylogin", "password": "mypwd"}',
        "<html>POST /Mobyt/CREDITS login=mylogin password=mypwd</html>",
        "OK;login=mylogin&password=mypwd",
    ],
)
async def test_an_echoed_request_never_shows_the_password(
    canned: Canned,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    body: str,
) -> None:
    for password, echoed in (("mypwd", "mypwd"), ("s3cr&t pass", "s3cr%26t+pass")):
        gateway = MobytGateway(session, username="mylogin", password=password, api_url=canned.url)
        canned.body = body.replace("mypwd", echoed)
        canned.script = [canned.body]
        seen: list[str] = []
        for call in (
            gateway.get_balance(),
            gateway.get_history(datetime.now(UTC) - timedelta(days=1), datetime.now(UTC)),
            gateway.send(OutgoingSms(recipients=(FR_1, FR_2), message="hi")),
        ):
            try:
                seen.append(repr(await call))
            except GatewayError as err:
                seen.extend((str(err), err.provider_message or ""))
        seen.append(caplog.text)
        for text in seen:
            assert password not in text
            assert echoed not in text


# --- one unreadable CREDITS line blocks nothing (and repeated lines, R25) ----------------------


@pytest.mark.parametrize("amount", ["12,5", "illimité", "lots", "3²", "nan", "", "1e3"])
async def test_an_unreadable_credit_line_is_unknown_and_the_others_are_kept(
    canned: Canned, canned_gateway: MobytGateway, amount: str
) -> None:
    canned.body = f"OK;N|FR|{quote_plus(amount)};L|FR|40;EE||9"
    balance = await canned_gateway.get_balance()
    assert balance.total is None  # a sum without the N line would be a number made of an error
    assert balance.by_line() == {("N", "FR"): None, ("L", "FR"): 40, ("EE", None): 9}
    # Sends that the unreadable line may pay are unknown; the others are judged.
    assert (
        canned_gateway.credits_for(balance, recipients=[FR_1], sender="S", message_type="N") is None
    )
    assert (
        canned_gateway.credits_for(balance, recipients=[FR_1], sender=None, message_type="L") == 40
    )
    assert canned_gateway.credits_for(balance, recipients=[IT_1], sender="S", message_type="N") == 9
    assert (await canned_gateway.validate_credentials()).balance == balance


@pytest.mark.parametrize("line", ["N|FR", "garbage", "N|France|5", "|FR|5", "%FF|FR|5"])
async def test_a_credit_line_without_a_type_or_nation(
    canned: Canned, canned_gateway: MobytGateway, line: str
) -> None:
    """A line that cannot be placed may be any line: only lines it cannot be are judged."""
    canned.body = f"OK;{line};L|FR|40"
    balance = await canned_gateway.get_balance()
    assert balance.total is None
    assert (
        canned_gateway.credits_for(balance, recipients=[FR_1], sender=None, message_type="L") == 40
    )
    # Type N to France has no readable line: the unplaced line may be it, not EE.
    assert (
        canned_gateway.credits_for(balance, recipients=[FR_1], sender="S", message_type="N") is None
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("N|IT|37;N|IT|37;N|IT|37", 37),  # one pool shown three times: 37, not 111
        ("L|ES|56;L|ES|56;L|ES|100", 56),
        ("N|IT|-5;N|IT|-5", -10),  # separate debts add up
        ("N|IT|0;N|IT|0", 0),
    ],
)
async def test_repeated_lines_are_judged_on_the_lower_reading(
    canned: Canned, canned_gateway: MobytGateway, lines: str, expected: float
) -> None:
    canned.body = f"OK;{lines}"
    balance = await canned_gateway.get_balance()
    kind = lines[0]
    nation = lines[2:4]
    assert balance.by_line() == {(kind, nation): expected}
    assert balance.total == expected
    number = {"IT": IT_1, "ES": "+34612345678"}[nation]
    judged = canned_gateway.credits_for(balance, recipients=[number], sender="S", message_type=kind)
    assert judged == expected


@pytest.mark.parametrize("reading", ["separate", "one_pool"])
async def test_repeated_lines_under_both_readings(
    gateway: MobytGateway, simulator: RunningSimulator, reading: str
) -> None:
    """R25: the judgement never exceeds what the account can pay for, under either reading."""
    simulator.play(mobyt__repeated_lines=reading)
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [["N", "FR", 6], ["N", "FR", 6], ["EE", "", 0]]
    balance = await gateway.get_balance()
    judged = gateway.credits_for(balance, recipients=[FR_1], sender="S", message_type="N")
    assert judged == 6
    # What the account really pays for, counted at the simulator: never less than judged.
    numbers = tuple(f"+3361234{i:04d}" for i in range(1, 13))
    paid = 0
    for number in numbers:
        try:
            await gateway.send(OutgoingSms(recipients=(number,), message="x", sender="S"))
        except InsufficientCreditsError:
            break
        paid += 1
    assert paid >= judged
    assert paid == {"separate": 12, "one_pool": 6}[reading]


async def test_no_credits_for_one_recipient_is_proven_before_it_is_said(
    canned: Canned, canned_gateway: MobytGateway
) -> None:
    """Not enough credits hands the message to a fallback account: only once proven."""
    canned.script = ["KO|2|Crédit insuffisant"]
    canned.body = "OK;|20250101000000|N||1|"
    result = await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
    [message] = result.messages
    assert (message.accepted, message.status) == (True, DeliveryStatus.UNKNOWN)
    canned.script = ["KO|2|Crédit insuffisant"]
    canned.body = "OK;"
    with pytest.raises(InsufficientCreditsError):
        await canned_gateway.send(OutgoingSms(recipients=(FR_1,), message="hi"))
