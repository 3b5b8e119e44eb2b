"""The NetOxygen adapter against the simulator (and a canned server for what it cannot say)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
import xmlrpc.client

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.sms_gateways.gateways import errors
from custom_components.sms_gateways.gateways.base import PreparedSms
from custom_components.sms_gateways.gateways.encoding import analyze
from custom_components.sms_gateways.gateways.models import (
    DeliveryStatus,
    OutgoingSms,
)
from custom_components.sms_gateways.gateways.netoxygen import (
    ERROR_CODES,
    STATUS_CODES,
    NetOxygenGateway,
)
from tests.conftest import RunningSimulator
from tests.gateways.calls import IMPATIENT, fails_after_sending, refused_before_sending
from tests.gateways.clock_changes import CLOCK_CHANGES
from tests.gateways.servers import posts_served

PATH = "/netoxygen/api2/"
DEMO = ("demo", "demo-password")


def make_gateway(
    simulator: RunningSimulator, session: aiohttp.ClientSession, login: Any = DEMO, **kwargs: Any
) -> NetOxygenGateway:
    return simulator.gateway(NetOxygenGateway, session, *login, **kwargs)


@pytest.fixture
def gateway(simulator: RunningSimulator, session: aiohttp.ClientSession) -> NetOxygenGateway:
    return make_gateway(simulator, session)


def calls(simulator: RunningSimulator) -> list[tuple[str, tuple[Any, ...]]]:
    """The XML-RPC calls the simulator received: (method, params)."""
    decoded = []
    for request in simulator.requests(PATH):
        params, method = xmlrpc.client.loads(request["body"].encode(), use_builtin_types=True)
        assert method is not None
        decoded.append((method, params))
    return decoded


def sms(*recipients: str, message: str = "Alarm: door open", **kwargs: Any) -> OutgoingSms:
    return OutgoingSms(recipients=recipients, message=message, **kwargs)


# --- a canned XML-RPC server, for answers the simulator never gives ---------------------------


@dataclass
class Canned:
    """A server that answers every POST with ``body``."""

    url: str
    body: bytes = b""
    received: list[bytes] = field(default_factory=list)
    queued: list[bytes] = field(default_factory=list)

    def queue(self, *values: Any) -> None:
        """Answer these values to the next calls, in order."""
        self.queued = [
            xmlrpc.client.dumps((value,), methodresponse=True).encode() for value in values
        ]

    def answer(self, value: Any) -> None:
        """Answer ``value`` to every call."""
        self.body = xmlrpc.client.dumps((value,), methodresponse=True).encode()

    def fault(self, code: int, text: str) -> None:
        """Answer a fault to every call."""
        self.body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text)).encode()


@pytest.fixture
async def canned(socket_enabled: None) -> AsyncIterator[Canned]:
    state = Canned(url="")

    async def handler(request: web.Request) -> web.Response:
        state.received.append(await request.read())
        body = state.queued.pop(0) if state.queued else state.body
        return web.Response(body=body, content_type="text/xml")

    async with posts_served(handler, "/api2/") as root:
        state.url = f"{root}api2/"
        yield state


@pytest.fixture
def canned_gateway(canned: Canned, session: aiohttp.ClientSession) -> NetOxygenGateway:
    return NetOxygenGateway(session, username="u", password="p", api_url=canned.url)


# --- identity and account -------------------------------------------------------------------


def test_declares_what_netoxygen_can_do(gateway: NetOxygenGateway) -> None:
    # Its capabilities are those of the README's table: tests/test_readme.py.
    assert gateway.region == "CH"
    assert str(gateway.timezone) == "Europe/Zurich"
    assert NetOxygenGateway.default_api_url == "https://sms.netoxygen.ch/api2/"


async def test_validate_credentials(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    """auth, then get_guid and account_status, each with user and pass first."""
    info = await gateway.validate_credentials()
    assert info.account_id == "demo"
    assert info.status == "regular"
    assert info.group_id is not None
    assert len(info.group_id) == 36
    made = calls(simulator)
    assert [method for method, _ in made] == ["auth", "get_guid", "account_status"]
    assert all(params == ("demo", "demo-password") for _, params in made)
    for request in simulator.requests(PATH):
        assert request["method"] == "POST"
        assert request["content_type"] == "text/xml"


async def test_free_account(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, ("free", "free-password"))
    assert (await gateway.validate_credentials()).status == "free"
    assert await gateway.get_account_status() == "free"


async def test_wrong_password_is_an_authentication_error(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, ("demo", "wrong"))
    with pytest.raises(errors.AuthenticationError):
        await gateway.validate_credentials()
    assert [method for method, _ in calls(simulator)] == ["auth"]
    # FALSE or a fault from any other method is checked with auth, which alone decides.
    simulator.sim.requests.clear()
    with pytest.raises(errors.AuthenticationError):
        await gateway.get_balance()
    assert [method for method, _ in calls(simulator)] == ["get_credits", "auth"]
    with pytest.raises(errors.AuthenticationError):
        await gateway.get_account_status()
    with pytest.raises(errors.AuthenticationError):
        await gateway.send(sms("0791234567"))
    with pytest.raises(errors.AuthenticationError):
        await gateway.normalize_number("0791234567")
    with pytest.raises(errors.AuthenticationError):
        await gateway.get_delivery_status(["1"])
    with pytest.raises(errors.AuthenticationError):
        await gateway.cancel(["1"])


async def test_false_group_id_still_sets_the_account_up(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """get_guid "returns ... or FALSE" without saying why: the group id is just unknown."""
    canned.queue(True, False, True, "regular")
    info = await canned_gateway.validate_credentials()
    assert (info.account_id, info.group_id, info.status) == ("u", None, "regular")
    assert len(canned.received) == 4


async def test_false_group_id_then_auth_false(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """The password changed between auth and get_guid: auth, asked again, says so."""
    canned.queue(True, False, False)
    with pytest.raises(errors.AuthenticationError):
        await canned_gateway.validate_credentials()
    assert len(canned.received) == 3


def _call(gateway: NetOxygenGateway, method: str) -> Callable[[], Awaitable[object]]:
    """One call of each kind the adapter makes (``status``: the account's status)."""
    return {
        "send": lambda: gateway.send(sms("0791234567")),
        "get_delivery_status": lambda: gateway.get_delivery_status(["5"]),
        "cancel": lambda: gateway.cancel(["5"]),
        "normalize_number": lambda: gateway.normalize_number("0791234567"),
        "get_balance": gateway.get_balance,
        "status": gateway.get_account_status,
    }[method]


@pytest.mark.parametrize(
    "method",
    ["send", "get_delivery_status", "cancel", "normalize_number", "get_balance", "status"],
)
async def test_false_from_any_method_is_judged_by_auth(
    canned: Canned, canned_gateway: NetOxygenGateway, method: str
) -> None:
    """FALSE from a method other than auth: auth is asked, and its FALSE alone is a refusal."""
    canned.answer(False)
    call = _call(canned_gateway, method)
    with pytest.raises(errors.AuthenticationError, match="FALSE"):
        await call()
    assert len(canned.received) == 2
    assert b"<methodName>auth</methodName>" in canned.received[1]


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("send", errors.SendOutcomeUnknownError),
        ("get_delivery_status", errors.GatewayResponseError),
        ("cancel", None),
        ("normalize_number", errors.GatewayError),
        ("get_balance", errors.GatewayResponseError),
        ("status", errors.GatewayResponseError),
    ],
)
async def test_false_with_good_credentials_is_never_an_authentication_error(
    canned: Canned, canned_gateway: NetOxygenGateway, method: str, error: type[Exception] | None
) -> None:
    """FALSE, and auth answers TRUE: a generic error quoting the answer (no reauth).

    A cancel answered FALSE as a whole does not say what became of each message (R32): each
    may have been cancelled.
    """
    canned.queue(False, True)
    if error is None:
        (result,) = await canned_gateway.cancel(["5"])
        assert result.canceled is None
        assert "may have been cancelled" in (result.error or "")
        return
    call = _call(canned_gateway, method)
    with pytest.raises(error) as err:
        await call()
    assert not isinstance(err.value, errors.AuthenticationError)
    assert type(err.value) is error
    assert len(canned.received) == 2


@pytest.mark.parametrize(
    ("answer", "error"), [(0, errors.AuthenticationError), ("yes", errors.GatewayResponseError)]
)
async def test_auth_answer_forms(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any, error: type[Exception]
) -> None:
    canned.answer(answer)
    with pytest.raises(error):
        await canned_gateway.validate_credentials()
    assert len(canned.received) == 1


async def test_auth_as_an_integer(canned: Canned, canned_gateway: NetOxygenGateway) -> None:
    guid = "0b5c3f6e-2a53-4e0e-9d0e-6a0f1c2b3d4e"
    canned.queue(1, guid, "regular")
    info = await canned_gateway.validate_credentials()
    assert (info.account_id, info.group_id, info.status) == ("u", guid, "regular")


async def test_balance(
    gateway: NetOxygenGateway, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert (await gateway.get_balance()).total == 100
    assert (
        await make_gateway(simulator, session, ("empty", "empty-password")).get_balance()
    ).total == 0
    simulator.sim.state.accounts[("netoxygen", "demo")].credits = -5
    assert (await gateway.get_balance()).total == -5
    assert [method for method, _ in calls(simulator)] == ["get_credits"] * 3


@pytest.mark.parametrize(("answer", "total"), [("12", 12.0), (7.5, 7.5), (3, 3.0)])
async def test_balance_in_other_types(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any, total: float
) -> None:
    canned.answer(answer)
    assert (await canned_gateway.get_balance()).total == total


@pytest.mark.parametrize("answer", [True, "lots", [1]])
async def test_balance_that_is_not_a_number(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any
) -> None:
    canned.answer(answer)
    with pytest.raises(errors.GatewayResponseError):
        await canned_gateway.get_balance()


async def test_account_status_that_is_not_text(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    canned.answer(5)
    with pytest.raises(errors.GatewayResponseError, match="account_status"):
        await canned_gateway.get_account_status()


# --- sending ----------------------------------------------------------------------------------


async def test_many_recipients_in_one_request(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("079 123 45 67", "+41 78 765 43 21", "0041791112233"))
    assert len(simulator.requests(PATH)) == 1
    ((method, params),) = calls(simulator)
    assert method == "send_message"
    # user, pass, dest (an array of international digits), message: nothing more; dest and
    # message as base64 of UTF-8, as in the doc's accent-safe example.
    assert params == (
        "demo",
        "demo-password",
        [b"41791234567", b"41787654321", b"41791112233"],
        b"Alarm: door open",
    )
    assert b"<base64>" in simulator.requests(PATH)[0]["body"].encode()
    assert [r.recipient for r in result.messages] == [
        "+41791234567",
        "+41787654321",
        "+41791112233",
    ]
    assert all(r.accepted and r.status is DeliveryStatus.QUEUED for r in result.messages)
    stored = simulator.sim.state.messages
    assert [r.message_id for r in result.messages] == list(stored)
    assert {m.recipient for m in stored.values()} == {"41791234567", "41787654321", "41791112233"}
    assert simulator.sim.state.accounts[("netoxygen", "demo")].credits == 97
    assert result.info.segments == 1


async def test_flash_keeps_empty_sender_and_date(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    await gateway.send(sms("0791234567", flash=True))
    ((_, params),) = calls(simulator)
    assert params[4:] == ("", "", "flash")
    assert next(iter(simulator.sim.state.messages.values())).extra["type"] == "flash"


async def test_sender_only(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    await gateway.send(sms("0791234567", sender="HomeAlarm"))
    ((_, params),) = calls(simulator)
    assert params[4:] == ("HomeAlarm",)
    assert next(iter(simulator.sim.state.messages.values())).sender == "HomeAlarm"


async def test_schedule_then_cancel(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    send_at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    result = await gateway.send(sms("0791234567", send_at=send_at))
    (sent,) = result.messages
    assert sent.status is DeliveryStatus.SCHEDULED
    ((_, params),) = calls(simulator)
    # The default sender is kept with an empty string, the date is in Zurich time.
    assert params[4:] == ("", send_at.astimezone(gateway.timezone).strftime("%Y-%m-%d %H:%M:%S"))
    stored = simulator.sim.state.messages[str(sent.message_id)]
    assert stored.status == "scheduled"
    assert stored.scheduled_at == send_at

    (report,) = await gateway.get_delivery_status([str(sent.message_id)])
    assert report.status is DeliveryStatus.SCHEDULED
    assert report.provider_status == "9/9 Pending"

    assert simulator.sim.state.accounts[("netoxygen", "demo")].credits == 99
    (canceled,) = await gateway.cancel([str(sent.message_id)])
    assert canceled.canceled
    assert canceled.error is None
    assert stored.status == "canceled"
    assert simulator.sim.state.accounts[("netoxygen", "demo")].credits == 100

    (report,) = await gateway.get_delivery_status([str(sent.message_id)])
    assert report.status is DeliveryStatus.CANCELED
    assert report.provider_status == "10/9 Message canceled"
    assert report.status.is_final

    (again,) = await gateway.cancel([str(sent.message_id)])
    assert not again.canceled
    assert again.error


@pytest.mark.parametrize(("send_at", "wall_clock"), CLOCK_CHANGES)
async def test_send_time_across_dst(
    gateway: NetOxygenGateway, simulator: RunningSimulator, send_at: datetime, wall_clock: datetime
) -> None:
    await gateway.send(sms("0791234567", send_at=send_at))
    ((_, params),) = calls(simulator)
    assert params[5] == f"{wall_clock:%Y-%m-%d %H:%M:%S}"
    stored = next(iter(simulator.sim.state.messages.values()))
    assert stored.scheduled_at is not None
    assert stored.scheduled_at.astimezone(UTC) == send_at


async def test_refused_recipient_is_reported_not_raised(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("0791234567", "0791239999"))
    assert len(simulator.requests(PATH)) == 1
    ok, refused = result.messages
    assert ok.accepted
    assert ok.message_id
    assert not refused.accepted
    assert refused.recipient == "+41791239999"
    assert refused.error_code == "5"
    assert refused.error == "Invalid destination number"
    assert refused.message_id is None
    assert result.refused == (refused,)
    assert simulator.sim.state.accounts[("netoxygen", "demo")].credits == 99


async def test_sender_the_provider_refuses(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    """No local rule (R27): the provider refuses with error 6, in its words, per recipient."""
    refused = gateway.send(sms("0791234567", sender="My\x00Shop"))
    await refused_before_sending(simulator, errors.InvalidSenderError, refused)
    simulator.play(netoxygen__sender="network_rule")
    result = await gateway.send(sms("0791234567", "0781234567", sender="My-Shop"))
    assert [(r.accepted, r.error_code) for r in result.messages] == [(False, "6"), (False, "6")]
    assert result.messages[0].error == "Invalid source number (sender)"
    assert result.messages[0].status is DeliveryStatus.FAILED
    assert simulator.sim.state.messages == {}


async def test_long_unicode_message_the_provider_refuses(gateway: NetOxygenGateway) -> None:
    """700 UCS-2 units pass the local GSM limit but are more than ten parts."""
    result = await gateway.send(sms("0791234567", message="é" + "ç" * 699))
    (refused,) = result.messages
    assert (refused.accepted, refused.error_code) == (False, "8")
    assert refused.error == "Max message length exceeded"


async def test_empty_message_reaching_the_provider(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    """send() refuses it locally; were it sent, the provider's code 7 is reported."""
    refused = gateway.send(sms("0791234567", message="  "))
    await refused_before_sending(simulator, errors.EmptyMessageError, refused)
    prepared = PreparedSms(sms("0791234567", message=""), ("+41791234567",), analyze(""), None)
    (refused,) = (await gateway._send(prepared)).messages
    assert (refused.accepted, refused.error_code, refused.error) == (False, "7", "Empty message")


async def test_length_is_left_to_the_provider(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    """No limit is documented: the provider's error 8 says when a message is too long."""
    assert gateway.max_length is None
    result = await gateway.send(sms("0791234567", message="a" * 1530))
    assert result.messages[0].accepted
    assert result.info.segments == 10
    (refused,) = (await gateway.send(sms("0791234567", message="a" * 1531))).messages
    assert (refused.accepted, refused.error_code) == (False, "8")
    assert len(simulator.requests(PATH)) == 2


async def test_no_credits(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    """No fault is documented: the provider's words are quoted, the outcome is not guessed."""
    gateway = make_gateway(simulator, session, ("empty", "empty-password"))
    with pytest.raises(errors.SendOutcomeUnknownError) as err:
        await gateway.send(sms("0791234567"))
    assert err.value.provider_code == "402"
    assert err.value.provider_message == "Not enough credits: 1 needed"
    assert "Not enough credits" in str(err.value)
    assert "may have been sent" in str(err.value)
    assert simulator.sim.state.messages == {}


# --- delivery status --------------------------------------------------------------------------


async def test_delivery_status_follows_the_lifecycle(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("0791234567", "0791230000", "0791237777"))
    ids = [str(r.message_id) for r in result.messages]
    simulator.sim.requests.clear()

    reports = await gateway.get_delivery_status(ids)
    assert len(simulator.requests(PATH)) == 1
    ((method, params),) = calls(simulator)
    assert (method, params) == ("get_status", ("demo", "demo-password", ids))
    assert [r.status for r in reports] == [DeliveryStatus.QUEUED] * 3
    assert reports[0].provider_status == "1/8 Message in queue"
    assert [r.recipient for r in reports] == ["+41791234567", "+41791230000", "+41791237777"]
    assert reports[0].updated_at is not None
    assert reports[0].updated_at.utcoffset() is not None

    await simulator.sim.advance()
    reports = await gateway.get_delivery_status(ids)
    assert [r.status for r in reports] == [DeliveryStatus.SENT] * 3
    assert reports[0].provider_status == "1/3 Message submitted"

    await simulator.sim.advance()
    reports = await gateway.get_delivery_status(ids)
    assert [r.status for r in reports] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.EXPIRED,
    ]
    assert [r.provider_status for r in reports] == [
        "1/1 Delivered to the recipient device",
        "1/5 Routing error, delivery failed",
        "1/6 Message expired, delivery cancelled",
    ]
    assert reports[0].delivered_at is not None
    assert reports[0].delivered_at.tzinfo is not None
    assert reports[1].delivered_at is None


async def test_unknown_id(gateway: NetOxygenGateway) -> None:
    (report,) = await gateway.get_delivery_status(["424242"])
    assert report.message_id == "424242"
    assert report.status is DeliveryStatus.UNKNOWN


async def test_nothing_to_ask(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    assert await gateway.get_delivery_status([]) == []
    assert await gateway.cancel([]) == []
    assert simulator.requests(PATH) == []


async def test_cancel_several_in_one_request(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    send_at = datetime.now(UTC) + timedelta(hours=3)
    result = await gateway.send(sms("0791234567", "0781234567", send_at=send_at))
    ids = [str(r.message_id) for r in result.messages]
    simulator.sim.requests.clear()
    canceled = await gateway.cancel([*ids, "999999"])
    assert [(c.message_id, c.canceled) for c in canceled] == [
        (ids[0], True),
        (ids[1], True),
        ("999999", False),
    ]
    assert [method for method, _ in calls(simulator)] == ["cancel_message"]


# --- the provider's two code tables, fully -----------------------------------------------------

# In get_status: 2 to 4 and status 7 are "the current error code" (R31): unknown, followed.
ERROR_EXPECTED = {
    1: None,
    2: DeliveryStatus.UNKNOWN,
    3: DeliveryStatus.UNKNOWN,
    4: DeliveryStatus.UNKNOWN,
    5: DeliveryStatus.FAILED,
    6: DeliveryStatus.FAILED,
    7: DeliveryStatus.FAILED,
    8: DeliveryStatus.FAILED,
    9: DeliveryStatus.SCHEDULED,
    10: DeliveryStatus.CANCELED,
}
STATUS_EXPECTED = {
    1: DeliveryStatus.DELIVERED,
    2: DeliveryStatus.SENT,
    3: DeliveryStatus.SENT,
    4: DeliveryStatus.FAILED,
    5: DeliveryStatus.FAILED,
    6: DeliveryStatus.EXPIRED,
    7: DeliveryStatus.UNKNOWN,
    8: DeliveryStatus.QUEUED,
    9: DeliveryStatus.SCHEDULED,
}


def test_tables_cover_every_documented_code() -> None:
    assert set(ERROR_CODES) == set(range(1, 11)) == set(ERROR_EXPECTED)
    assert set(STATUS_CODES) == set(range(1, 10)) == set(STATUS_EXPECTED)


def status_row(message_id: str, sent: Any, last: Any, **extra: Any) -> list[Any]:
    return [
        message_id,
        {
            "from": "textobox.ch",
            "to": "41791234567",
            "length": 5,
            "sent_date": "2030-03-31 01:30:00",
            "sent_status": sent,
            "sent_status_text": f"error text {sent}",
            "last_date": "2030-03-31 03:30:00",
            "last_status": last,
            "last_status_text": f"status text {last}",
            **extra,
        },
    ]


@pytest.mark.parametrize("code", range(2, 11))
async def test_each_error_code_refusing_a_recipient(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int
) -> None:
    canned.answer([["41791234567", False, code]])
    (refused,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert not refused.accepted
    assert refused.error_code == str(code)
    assert refused.error == ERROR_CODES[code][0]
    expected = DeliveryStatus.CANCELED if code == 10 else DeliveryStatus.FAILED
    assert refused.status is expected


async def test_unknown_error_code_refusing_a_recipient(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    canned.answer([["41791234567", 0, "77"]])
    (refused,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert (refused.accepted, refused.error_code) == (False, "77")
    assert refused.error == "Refused by NetOxygen (error 77)"


@pytest.mark.parametrize(
    ("status", "delivery"),
    [
        (True, DeliveryStatus.QUEUED),
        (1, DeliveryStatus.QUEUED),
        ("1", DeliveryStatus.QUEUED),
        # Code 9 "Pending": the provider took the message for later; it must not be sent again.
        (9, DeliveryStatus.SCHEDULED),
        ("9", DeliveryStatus.SCHEDULED),
    ],
)
async def test_accepted_and_pending_row_status_forms(
    canned: Canned, canned_gateway: NetOxygenGateway, status: Any, delivery: DeliveryStatus
) -> None:
    canned.answer([["41791234567", status, 98765]])
    (accepted,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert accepted.accepted
    assert accepted.message_id == "98765"
    assert accepted.status is delivery
    assert accepted.error is None


async def test_ok_row_for_a_later_send_is_scheduled(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    canned.answer([["41791234567", 1, 98765]])
    send_at = datetime.now(UTC) + timedelta(hours=1)
    (sent,) = (await canned_gateway.send(sms("0791234567", send_at=send_at))).messages
    assert (sent.accepted, sent.status) == (True, DeliveryStatus.SCHEDULED)


@pytest.mark.parametrize("code", [2, 3, 4, 5, 6, 7, 8, 10])
@pytest.mark.parametrize("third", ["", "4711"])
async def test_status_that_is_an_error_code(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int, third: str
) -> None:
    """A status that is a code of the table is true for the doc's Perl client: sent, id third.

    Under the other reading it would be that refusal: the outcome is unknown, never "refused",
    and the id is kept.
    """
    canned.answer([["41791234567", code, third]])
    (outcome,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert outcome.accepted
    assert outcome.status is DeliveryStatus.UNKNOWN
    assert outcome.message_id == (third or None)
    assert outcome.error_code == str(code)
    assert outcome.error is not None
    assert UNKNOWN_OUTCOME in outcome.error


@pytest.mark.parametrize(
    ("row", "error_code"),
    [(["41791234567", 0], None), (["41791234567", False, ""], None)],
)
async def test_refusal_without_an_error_code(
    canned: Canned, canned_gateway: NetOxygenGateway, row: list[Any], error_code: str | None
) -> None:
    canned.answer([row])
    (refused,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert (refused.accepted, refused.status) == (False, DeliveryStatus.FAILED)
    assert refused.error_code == error_code
    assert refused.error == "Refused by NetOxygen (error not given)"


async def test_accepted_row_without_an_id(canned: Canned, canned_gateway: NetOxygenGateway) -> None:
    """Sent, but nothing to follow it by: accepted (never to be sent again), no id."""
    canned.answer([["41791234567", 1]])
    (sent,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert (sent.accepted, sent.message_id, sent.status) == (True, None, DeliveryStatus.QUEUED)


UNKNOWN_OUTCOME = "may have been sent, so it is not sent again"


@pytest.mark.parametrize("status", [42, "sent", None])
async def test_status_outside_the_table_is_an_unknown_outcome(
    canned: Canned, canned_gateway: NetOxygenGateway, status: Any
) -> None:
    canned.answer([["41791234567", status or "", "12345"]])
    (outcome,) = (await canned_gateway.send(sms("0791234567"))).messages
    assert outcome.accepted
    assert outcome.message_id == "12345"
    assert outcome.status is DeliveryStatus.UNKNOWN
    assert outcome.error is not None
    assert UNKNOWN_OUTCOME in outcome.error
    assert outcome.error_code == (str(status) if status else None)


async def test_rows_are_matched_by_destination(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """Rows in another order, each destination in another form (the doc's 0792223344)."""
    canned.answer(
        [
            ["0792223344", 1, 3],
            ["+41 78 765 43 21", 0, 5],
            ["0041791112233", 1, 1],
            ["41791234567", 9, 2],
        ]
    )
    result = await canned_gateway.send(
        sms("079 123 45 67", "0791112233", "0792223344", "0787654321")
    )
    assert [(r.recipient, r.accepted, r.message_id, r.error_code) for r in result.messages] == [
        ("+41791234567", True, "2", None),
        ("+41791112233", True, "1", None),
        ("+41792223344", True, "3", None),
        ("+41787654321", False, None, "5"),
    ]
    assert result.messages[0].status is DeliveryStatus.SCHEDULED


async def test_recipient_without_a_row_is_an_unknown_outcome(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """The SMS may have gone: no error is raised, the ids the answer gave are kept."""
    canned.answer([["41781234567", 1, 77], ["41799999999", 1, 78], "junk"])
    first, second = (await canned_gateway.send(sms("0791234567", "0781234567"))).messages
    assert (first.accepted, first.message_id, first.status) == (
        True,
        None,
        DeliveryStatus.UNKNOWN,
    )
    assert first.error is not None
    assert UNKNOWN_OUTCOME in first.error
    assert (second.accepted, second.message_id) == (True, "77")
    assert len(canned.received) == 1


@pytest.mark.parametrize(
    ("answer", "reference"),
    [("queued", None), ([], None), (1, None), ([["41799999999", 1, 77], ["x"], "junk"], "77")],
)
async def test_answer_without_rows_is_an_unknown_outcome(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any, reference: str | None
) -> None:
    """Nothing names a recipient: the SMS may have gone; the ids the answer held are kept."""
    canned.answer(answer)
    with pytest.raises(errors.SendOutcomeUnknownError, match="may have been sent") as err:
        await canned_gateway.send(sms("0791234567", "0781234567"))
    assert err.value.reference == reference
    assert len(canned.received) == 1


async def test_unreadable_destinations_fall_back_to_position(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """One row per recipient, but not every destination names one: the rest go in order."""
    canned.answer([["", 1, 10], ["41781234567", 1, 11], [{}, 0, 5], [], ["999", 1, 12]])
    result = await canned_gateway.send(
        sms("0791234567", "0781234567", "0791112233", "0792223344", "0787654321")
    )
    assert [(r.accepted, r.message_id, r.error_code) for r in result.messages] == [
        (True, "10", None),
        (True, "11", None),
        (False, None, "5"),
        (True, None, None),  # its row is empty: unknown, never refused
        (True, "12", None),
    ]
    assert result.messages[3].status is DeliveryStatus.UNKNOWN


@pytest.mark.parametrize("code", sorted(ERROR_EXPECTED))
async def test_each_error_code_in_a_status(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int
) -> None:
    canned.answer([status_row("7", code, 8)])
    (report,) = await canned_gateway.get_delivery_status(["7"])
    expected = ERROR_EXPECTED[code] or DeliveryStatus.QUEUED  # OK: the status code decides
    assert report.status is expected
    text = "status text 8" if code == 1 else f"error text {code}"
    current = " (the current state: it may still change)" if code in (2, 3, 4) else ""
    assert report.provider_status == f"{code}/8 {text}{current}"
    assert report.may_change is bool(current)


@pytest.mark.parametrize("code", sorted(STATUS_EXPECTED))
async def test_each_status_code(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int
) -> None:
    canned.answer([status_row("7", 1, code)])
    (report,) = await canned_gateway.get_delivery_status(["7"])
    assert report.status is STATUS_EXPECTED[code]
    current = " (the current state: it may still change)" if code == 7 else ""
    assert report.provider_status == f"1/{code} status text {code}{current}"
    assert report.may_change is bool(current)
    assert report.recipient == "+41791234567"
    zurich = canned_gateway.timezone
    assert report.updated_at == datetime(2030, 3, 31, 3, 30, tzinfo=zurich)
    assert report.updated_at == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    if STATUS_EXPECTED[code] is DeliveryStatus.DELIVERED:
        assert report.delivered_at == report.updated_at


@pytest.mark.parametrize(
    ("sent", "last", "expected"),
    [
        (1, 0, DeliveryStatus.QUEUED),  # accepted, no notification yet
        (1, "", DeliveryStatus.QUEUED),
        (1, 42, DeliveryStatus.UNKNOWN),
        (42, 1, DeliveryStatus.UNKNOWN),
        ("", "", DeliveryStatus.UNKNOWN),
        ("9", "9", DeliveryStatus.SCHEDULED),
    ],
)
async def test_odd_status_codes(
    canned: Canned, canned_gateway: NetOxygenGateway, sent: Any, last: Any, expected: DeliveryStatus
) -> None:
    canned.answer([status_row("7", sent, last)])
    (report,) = await canned_gateway.get_delivery_status(["7"])
    assert report.status is expected


@pytest.mark.parametrize(
    ("row", "status", "provider_status"),
    [
        (["7", 1, 1], DeliveryStatus.DELIVERED, "1/1 Delivered to the recipient device"),
        (["7", "1", "8"], DeliveryStatus.QUEUED, "1/8 Message in queue"),
        (["7", 1, 6], DeliveryStatus.EXPIRED, "1/6 Message expired, delivery cancelled"),
        (["7", 1, 0], DeliveryStatus.QUEUED, "1/0"),
        (["7", 9, 9], DeliveryStatus.SCHEDULED, "9/9 Pending: the message is scheduled"),
        (["7", "5", "5"], DeliveryStatus.FAILED, "5/5 Invalid destination number"),
        (["7", 10, ""], DeliveryStatus.CANCELED, "10/ Message canceled"),
        (["7", 1, 42], DeliveryStatus.UNKNOWN, "1/42"),
        (["7", 42, 1], DeliveryStatus.UNKNOWN, "42/1"),
    ],
)
async def test_status_rows_of_two_codes(
    canned: Canned,
    canned_gateway: NetOxygenGateway,
    row: list[Any],
    status: DeliveryStatus,
    provider_status: str,
) -> None:
    """A row ``[id, error code, status code]``: the doc's "error code and status code"."""
    canned.answer([row])
    (report,) = await canned_gateway.get_delivery_status(["7"])
    assert report.message_id == "7"
    assert report.status is status
    assert report.provider_status == provider_status


@pytest.mark.parametrize("row", [["7", False], ["7", False, 3], ["7", "lost", 3], ["7", 1]])
async def test_status_rows_that_are_not_found(
    canned: Canned, canned_gateway: NetOxygenGateway, row: list[Any]
) -> None:
    canned.answer([row])
    (report,) = await canned_gateway.get_delivery_status(["7"])
    assert report.status is DeliveryStatus.UNKNOWN
    assert report.provider_status.startswith("not found")


async def test_status_dates_in_other_forms(
    canned: Canned, canned_gateway: NetOxygenGateway
) -> None:
    """An XML-RPC dateTime, an ISO date with an offset, or nothing readable."""
    canned.answer(
        [
            status_row("1", 1, 1, last_date=xmlrpc.client.DateTime("20300701T14:00:00")),
            status_row("2", 1, 1, last_date="2030-07-01T12:00:00+00:00"),
            status_row("3", 1, 3, last_date="not a date", sent_date="", to=""),
        ]
    )
    first, second, third = await canned_gateway.get_delivery_status(["1", "2", "3"])
    assert first.updated_at == datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
    assert second.updated_at == datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
    assert second.updated_at is not None
    assert second.updated_at.tzinfo == canned_gateway.timezone
    assert third.updated_at is None
    assert third.recipient is None


# --- normalisation ----------------------------------------------------------------------------


async def test_normalize_number_asks_the_provider(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    assert await gateway.normalize_number("022/364 8000") == "+41223648000"
    assert calls(simulator) == [("clean_number", ("demo", "demo-password", "022/364 8000"))]
    with pytest.raises(errors.InvalidRecipientError) as err:
        await gateway.normalize_number("call me")
    assert err.value.number == "call me"


@pytest.mark.parametrize(
    ("answer", "number"),
    [
        ("+41223648000", "+41223648000"),
        (" 41223648000 ", "+41223648000"),
        # "Returns: a number": an int or a double on the wire.
        (412236480, "+412236480"),
        (41223648000.0, "+41223648000"),
    ],
)
async def test_normalize_number_answer_forms(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any, number: str
) -> None:
    canned.answer(answer)
    assert await canned_gateway.normalize_number("022 364 80 00") == number


def i8_reply(value: int) -> bytes:
    """A reply holding a 64-bit integer (Python's xmlrpc only writes 32-bit ones)."""
    return (
        "<?xml version='1.0'?><methodResponse><params><param><value>"
        f"<i8>{value}</i8></value></param></params></methodResponse>"
    ).encode()


async def test_normalize_number_as_an_i8(canned: Canned, canned_gateway: NetOxygenGateway) -> None:
    canned.body = i8_reply(41223648000)
    assert await canned_gateway.normalize_number("022 364 80 00") == "+41223648000"
    canned.body = i8_reply(-41223648000)
    with pytest.raises(errors.InvalidRecipientError):
        await canned_gateway.normalize_number("022 364 80 00")


@pytest.mark.parametrize("answer", ["0223648000", ["41"], 41.5, -4122364.0, True])
async def test_normalize_number_refused(
    canned: Canned, canned_gateway: NetOxygenGateway, answer: Any
) -> None:
    canned.answer(answer)
    with pytest.raises(errors.InvalidRecipientError):
        await canned_gateway.normalize_number("0223648000")


# --- faults and hostile replies -----------------------------------------------------------------


async def test_http_500(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    await fails_after_sending(simulator, PATH, "http500", gateway.get_balance())


async def test_connection_dropped_after_the_send_is_not_repeated(
    gateway: NetOxygenGateway, simulator: RunningSimulator
) -> None:
    await fails_after_sending(simulator, PATH, "drop", gateway.send(sms("0791234567")))
    # The provider did act on it: one message, never two.
    assert len(simulator.sim.state.messages) == 1


async def test_malformed_reply(gateway: NetOxygenGateway, simulator: RunningSimulator) -> None:
    simulator.fault(PATH, "malformed")
    with pytest.raises(errors.GatewayResponseError):
        await gateway.get_balance()


async def test_slow_reply(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, timeout=IMPATIENT)
    await fails_after_sending(simulator, PATH, "delay", gateway.send(sms("0791234567")))


async def test_unreachable(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    server = TestServer(web.Application(), host="127.0.0.1", port=0)
    await server.start_server()
    url = str(server.make_url("/api2/"))
    await server.close()
    gateway = NetOxygenGateway(session, username="u", password="p", api_url=url)
    with pytest.raises(errors.GatewayConnectionError) as err:
        await gateway.get_balance()
    assert not err.value.request_sent


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<methodResponse><params><param><value><string>&lol3;</string></value></param></params>
</methodResponse>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<methodResponse><params><param><value><string>&secret;</string></value></param></params>
</methodResponse>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY])
async def test_hostile_xml_is_refused(
    canned: Canned, canned_gateway: NetOxygenGateway, body: bytes
) -> None:
    canned.body = body
    with pytest.raises(errors.GatewayResponseError, match="DOCTYPE"):
        await canned_gateway.get_account_status()


FAULT_TEXTS = [
    (3, "Mot de passe incorrect"),
    (12, "Invalid login"),
    (4, "Crédits insuffisants"),
    (5, "Unknown message identifier"),
    (-32602, "invalid method parameters"),
]


@pytest.mark.parametrize(("code", "text"), FAULT_TEXTS)
async def test_fault_texts_never_classify(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int, text: str
) -> None:
    """No fault is documented: auth decides the credentials, the rest quotes code and text."""
    canned.fault(code, text)
    # auth itself answers the fault too: it cannot say, so nothing is read as a refusal.
    with pytest.raises(errors.SendOutcomeUnknownError) as err:
        await canned_gateway.send(sms("0791234567"))
    assert err.value.provider_code == str(code)
    assert err.value.provider_message == text
    assert text in str(err.value)
    for call in (canned_gateway.get_balance, canned_gateway.get_account_status):
        with pytest.raises(errors.GatewayResponseError) as other:
            await call()
        assert not isinstance(
            other.value, errors.AuthenticationError | errors.InsufficientCreditsError
        )
        assert text in str(other.value)


@pytest.mark.parametrize(("code", "text"), FAULT_TEXTS)
async def test_fault_then_auth_true_is_generic(
    canned: Canned, canned_gateway: NetOxygenGateway, code: int, text: str
) -> None:
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text)).encode()
    canned.queued = [fault, xmlrpc.client.dumps((True,), methodresponse=True).encode()]
    canned.body = fault
    with pytest.raises(errors.GatewayResponseError) as err:
        await canned_gateway.get_balance()
    assert type(err.value).__name__ == "_FaultError"
    assert (err.value.provider_code, err.value.provider_message) == (str(code), text)
    assert len(canned.received) == 2


TWO_VALUES = b"""<?xml version="1.0"?><methodResponse><params>
<param><value><int>1</int></value></param><param><value><int>2</int></value></param>
</params></methodResponse>"""


async def test_unexpected_shapes(canned: Canned, canned_gateway: NetOxygenGateway) -> None:
    canned.body = TWO_VALUES
    with pytest.raises(errors.GatewayResponseError, match="2 values"):
        await canned_gateway.get_balance()
    canned.answer([["5"]])
    (not_told,) = await canned_gateway.cancel(["5"])
    assert (not_told.message_id, not_told.canceled) == ("5", None)
    assert not_told.error is not None
    assert "does not mention" in not_told.error
    canned.answer("queued")
    unreadable = await canned_gateway.cancel(["5", "6"])
    assert [(r.message_id, r.canceled) for r in unreadable] == [("5", None), ("6", None)]
    canned.answer([["5"]])
    assert await canned_gateway.get_delivery_status(["5"]) == []
    canned.answer("queued")
    with pytest.raises(errors.GatewayResponseError):
        await canned_gateway.get_delivery_status(["5"])


def test_password_is_never_shown(gateway: NetOxygenGateway) -> None:
    assert "demo-password" not in repr(gateway)


async def test_unreadable_status_row_is_skipped_and_logged_once(
    canned: Canned, canned_gateway: NetOxygenGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """One bad row never blocks the others; it is named by its id, never by its content."""
    canned.answer([status_row("1", 1, 1), ["2"], status_row("3", 1, 8)])
    for _ in range(3):
        reports = await canned_gateway.get_delivery_status(["1", "2", "3"])
        assert [r.message_id for r in reports] == ["1", "3"]
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "get_status" in r.message]
    assert len(warnings) == 1
    assert "id 2" in warnings[0].getMessage()
