"""The 123-SMS.net adapter against the simulator over HTTP: every call, every code, every fault."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
import json
import socket
import time
from typing import Any

import aiohttp
import pytest

from custom_components.sms_gateways.gateways import (
    Contact,
    DeliveryStatus,
    OutgoingSms,
    Sms123Gateway,
    errors,
)
from custom_components.sms_gateways.gateways.sms123 import (
    ADDRESS_BOOK_CODES,
    BALANCE_CODES,
    SEND_CODES,
    _balance,
    decode_message_id,
    encode_message_id,
    parse_reply,
)
from tests.conftest import RunningSimulator
from tests.gateways.calls import fails_after_sending, refused_before_sending
from tests.gateways.clock_changes import CLOCK_CHANGES

SEND = "/sms123/api/send/"
SOLDE = "/sms123/api/solde/"
DEMO_PASSWORD = "demo-password"
FAST = aiohttp.ClientTimeout(total=1, sock_connect=0.5, sock_read=0.3)


def make_gateway(
    simulator: RunningSimulator, session: aiohttp.ClientSession, *args: str, **kwargs: Any
) -> Sms123Gateway:
    return simulator.gateway(Sms123Gateway, session, *args, **kwargs)


@pytest.fixture
async def gateway(simulator: RunningSimulator, session: aiohttp.ClientSession) -> Sms123Gateway:
    """The demo account, its pair of credentials found (as setting up an entry does)."""
    ready = make_gateway(simulator, session)
    await ready.validate_credentials()
    simulator.sim.requests.clear()
    return ready


def account_extra(simulator: RunningSimulator, username: str = "demo") -> dict[str, Any]:
    return simulator.sim.state.accounts[("sms123", username)].extra


def force(simulator: RunningSimulator, *codes: str) -> None:
    """Make the demo account's next requests answer these codes."""
    account_extra(simulator)["next_codes"] = list(codes)


def add_home_group(gateway: Sms123Gateway) -> Awaitable[object]:
    """An address book call (each answers the same codes)."""
    return gateway.add_group("Home")


def credits_of(simulator: RunningSimulator, username: str = "demo") -> float:
    return simulator.sim.state.accounts[("sms123", username)].credits


def bodies(simulator: RunningSimulator, path: str = SEND) -> list[dict[str, Any]]:
    return [json.loads(request["body"]) for request in simulator.requests(path)]


def sms(*recipients: str, message: str = "Alarm: door open", **kwargs: Any) -> OutgoingSms:
    return OutgoingSms(recipients=recipients, message=message, **kwargs)


def later(hours: int = 2) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/sms123/api/"


# --- the class -----------------------------------------------------------------------------------


def test_declares_what_123sms_can_do(gateway: Sms123Gateway) -> None:
    # Its capabilities are those of the README's table: tests/test_readme.py.
    assert gateway.max_length is None
    assert gateway.region == "FR"
    assert str(gateway.timezone) == "Europe/Paris"
    assert gateway.url("send/").endswith("/sms123/api/send/")
    assert "demo-password" not in repr(gateway)


def test_default_api_url_is_the_documented_one(session: aiohttp.ClientSession) -> None:
    gateway = Sms123Gateway(session, username="u", password="k")
    assert gateway.url("solde/") == "https://www.123-sms.net/api/solde/"


# --- sending -------------------------------------------------------------------------------------


async def test_send_posts_json_with_headers_and_international_digits(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("06 12 34 56 78"))

    (message,) = result.messages
    assert message.accepted
    assert message.recipient == "+33612345678"
    # 123-SMS has no delivery status call: 80 ("le message a été envoyé") is its last word.
    assert message.status is DeliveryStatus.SENT
    assert message.message_id is not None
    assert message.message_id.startswith("sms123:")
    assert len(message.message_id) <= 20
    assert "door" not in base64.urlsafe_b64decode(message.message_id[7:] + "==").decode(
        errors="replace"
    )
    (request,) = simulator.requests(SEND)
    assert request["method"] == "POST"
    assert request["content_type"] == "application/json"
    assert request["headers"]["Accept"] == "application/json"
    assert json.loads(request["body"]) == {
        "user": "demo",
        "cleAPI": "demo-password",
        "message": "Alarm: door open",
        "numero": "33612345678",
    }
    assert credits_of(simulator) == 99
    (sent,) = simulator.sim.state.messages.values()
    assert (sent.recipient, sent.status) == ("+33612345678", "queued")


async def test_send_options_on_the_wire(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("+33612345678", sender="Maison", flash=True, tts=True))

    assert result.messages[0].accepted
    (body,) = bodies(simulator)
    assert body["senderid"] == "Maison"
    assert body["flash"] == "o"
    assert body["TTS"] == "o"
    assert "test" not in body
    assert "diff" not in body
    (sent,) = simulator.sim.state.messages.values()
    assert sent.sender == "Maison"
    assert sent.extra["flash"]
    assert sent.extra["tts"]


async def test_long_message_is_billed_per_segment(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("+33612345678", message="x" * 200))

    assert result.info.segments == 2
    assert credits_of(simulator) == 98


async def test_test_send_is_accepted_without_sending_or_billing(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(sms("+33612345678", test=True))

    (message,) = result.messages
    assert message.accepted
    assert message.status is DeliveryStatus.CANCELED
    assert message.message_id is None
    assert bodies(simulator)[0]["test"] == "o"
    assert credits_of(simulator) == 100
    assert not simulator.sim.state.messages


@pytest.mark.parametrize(("send_at", "code"), [(None, "80"), (later(), "81")])
async def test_test_send_answered_as_a_real_send_says_so(
    gateway: Sms123Gateway,
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
    send_at: datetime | None,
    code: str,
) -> None:
    # The doc also spells test mode "0": an account that reads only that sends "o" for real.
    account_extra(simulator)["test_value"] = "0"

    result = await gateway.send(sms("+33612345678", "+33612345679", test=True, send_at=send_at))

    assert [body["test"] for body in bodies(simulator)] == ["o", "o"]
    for message in result.messages:
        assert message.accepted  # it left: never sent again
        assert message.message_id is not None
        assert message.error_code == code
        assert "A real SMS was sent" in (message.error or "")
        assert "although test mode was asked" in (message.error or "")
    assert len(simulator.sim.state.messages) == 2
    assert credits_of(simulator) == 98
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert "test mode" in warnings[0].getMessage()
    assert "+3361\u2022\u2022\u20225678" in warnings[0].getMessage()  # masked above DEBUG


async def test_real_send_outside_test_mode_has_no_error(
    gateway: Sms123Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    result = await gateway.send(sms("+33612345678"))

    assert (result.messages[0].error, result.messages[0].error_code) == (None, None)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


async def test_several_recipients_one_request_each_first_alone(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    recipients = [f"+3361234560{i}" for i in range(9)]
    simulator.fault(SEND, "delay", count=9, seconds=0.25)

    started = time.monotonic()
    result = await gateway.send(sms(*recipients))
    elapsed = time.monotonic() - started

    assert [m.recipient for m in result.messages] == recipients
    assert all(m.accepted for m in result.messages)
    requests = simulator.requests(SEND)
    assert sorted(json.loads(r["body"])["numero"] for r in requests) == sorted(
        r.removeprefix("+") for r in recipients
    )
    first = json.loads(requests[0]["body"])["numero"]
    assert first == "33612345600"
    # Nobody else is tried before the first answered...
    gap = datetime.fromisoformat(requests[1]["time"]) - datetime.fromisoformat(requests[0]["time"])
    assert gap >= timedelta(seconds=0.2)
    # ...then four at a time: 1 + 2 waves of 0.25 s, far less than one at a time (9 x 0.25 s).
    assert 0.7 <= elapsed < 2.0
    assert len({m.message_id for m in result.messages}) == 9


async def test_account_refused_on_first_recipient_stops_there(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, password="wrong")

    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.send(sms("+33612345601", "+33612345602", "+33612345603"))

    # The pair of credentials is looked for on solde/ first: nothing was sent.
    assert caught.value.provider_code == "E505"
    assert not simulator.requests(SEND)

    ready = make_gateway(simulator, session)
    await ready.validate_credentials()
    force(simulator, "82")
    with pytest.raises(errors.AuthenticationError) as refused:
        await ready.send(sms("+33612345601", "+33612345602", "+33612345603"))
    assert refused.value.provider_code == "82"
    assert len(simulator.requests(SEND)) == 1


async def test_no_credits_raises_after_one_request(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, "empty", "empty-password")

    with pytest.raises(errors.InsufficientCreditsError):
        await gateway.send(sms("+33612345601", "+33612345602"))

    assert len(simulator.requests(SEND)) == 1


async def test_blocked_ip_is_access_denied(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, "blocked", "blocked-password")

    with pytest.raises(errors.AccessDeniedError) as caught:
        await gateway.send(sms("+33612345601"))

    assert caught.value.provider_code == "96"


@pytest.mark.parametrize(
    ("username", "password", "code"), [("", "demo-password", "E501"), ("demo", "", "E502")]
)
async def test_empty_credentials_are_named(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    username: str,
    password: str,
    code: str,
) -> None:
    gateway = make_gateway(simulator, session, username, password)

    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.send(sms("+33612345601"))

    assert caught.value.provider_code == code
    assert ("username" if code == "E501" else "API key") in str(caught.value)
    assert not simulator.requests(SEND)


async def test_refused_recipients_are_reported_and_the_others_sent(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    result = await gateway.send(
        sms("+33612349999", "+33612345601", "+33612341010", "+262692123456", "+33612345602")
    )

    outcome = [(m.recipient, m.accepted, m.error_code) for m in result.messages]
    assert outcome == [
        ("+33612349999", False, "84"),
        ("+33612345601", True, None),
        # 101 is "Info", not a refusal (R33): may have been sent, never refused.
        ("+33612341010", True, "101"),
        ("+262692123456", False, "93"),
        ("+33612345602", True, None),
    ]
    dom_tom = result.messages[3]
    assert dom_tom.status is DeliveryStatus.FAILED
    assert dom_tom.error is not None
    assert "DOM-TOM" in dom_tom.error
    assert "option" in dom_tom.error
    assert "blacklisted" in (result.messages[2].error or "")
    assert result.messages[2].status is DeliveryStatus.UNKNOWN
    assert result.messages[2].may_have_been_sent
    assert credits_of(simulator) == 98


async def test_dom_tom_is_sent_once_the_option_is_enabled(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    account_extra(simulator)["dom_tom"] = True

    result = await gateway.send(sms("+262692123456"))

    assert result.messages[0].accepted
    assert bodies(simulator)[0]["numero"] == "262692123456"


async def test_same_message_twice_in_24_hours_is_refused_for_that_recipient(
    gateway: Sms123Gateway,
) -> None:
    await gateway.send(sms("+33612345601"))

    result = await gateway.send(sms("+33612345601", "+33612345602"))

    first, second = result.messages
    assert (first.accepted, first.error_code) == (False, "91")
    assert "24 hours" in (first.error or "")
    assert second.accepted


async def test_sender_refused_by_the_provider(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    # A well-formed sender the account may still not use (not registered, say).
    force(simulator, "97")
    with pytest.raises(errors.InvalidSenderError) as caught:
        await gateway.send(sms("+33612345601", sender="MyHome"))

    assert caught.value.provider_code == "97"


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        # "il ne doit pas dépasser 11 caractères": a length, the '+' one of them.
        ("+33612345678", r"12 characters; 123-SMS takes at most 11, a leading '\+' included"),
        ("336123456789", "12 characters"),
        ("TwelveChars1", "12 characters"),
        ("Maison\nAlarm", "cannot be sent"),
    ],
)
async def test_sender_over_eleven_characters_is_refused_before_sending(
    gateway: Sms123Gateway, simulator: RunningSimulator, sender: str, reason: str
) -> None:
    refused = gateway.send(sms("+33612345601", sender=sender))
    err = await refused_before_sending(simulator, errors.InvalidSenderError, refused, match=reason)

    assert err.provider_code is None


@pytest.mark.parametrize(
    "sender", ["+3361234567", "33612345678", "Nom2Societe", "My-Home", "Café & Co", "+Maison"]
)
async def test_sender_of_eleven_characters_is_sent(
    gateway: Sms123Gateway, simulator: RunningSimulator, sender: str
) -> None:
    result = await gateway.send(sms("+33612345601", sender=sender))

    assert result.messages[0].accepted
    assert bodies(simulator)[0]["senderid"] == sender


async def test_changing_sender_needs_stop_mention(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    account_extra(simulator)["sender_requires_stop"] = True

    with pytest.raises(errors.InvalidSenderError) as caught:
        await gateway.send(sms("+33612345601", sender="Maison"))

    assert caught.value.provider_code == "102"
    assert "stop SMS au 36177" in str(caught.value)
    result = await gateway.send(
        sms("+33612345601", sender="Maison", message="Promo stop SMS au 36177")
    )
    assert result.messages[0].accepted


# Every send code the doc lists, and what a user gets from it: an error raised for the whole
# request, a recipient refused (the others still sent), or a recipient accepted.
RAISED: dict[str, type[errors.GatewayError]] = {
    "-1": errors.GatewayResponseError,
    "-2": errors.SendOutcomeUnknownError,  # R24: it may have left; the others are not tried
    "82": errors.AuthenticationError,
    "83": errors.InsufficientCreditsError,
    "85": errors.SchedulingError,
    "87": errors.AuthenticationError,
    "88": errors.AuthenticationError,
    "89": errors.InvalidRecipientError,
    "90": errors.EmptyMessageError,
    "95": errors.SchedulingError,
    "96": errors.AccessDeniedError,
    "97": errors.InvalidSenderError,
    "102": errors.InvalidSenderError,
}
REFUSED = {"84", "91", "93"}
MAY_HAVE_GONE = {"101"}  # R33: "Info", neither success nor error
ACCEPTED = {
    "80": DeliveryStatus.SENT,
    "81": DeliveryStatus.SCHEDULED,
    "92": DeliveryStatus.CANCELED,
    "94": DeliveryStatus.CANCELED,
}
DOC_SEND_CODES = {"-1", "-2", *(str(c) for c in (*range(80, 86), *range(87, 98))), "101", "102"}


def test_every_documented_send_code_is_mapped() -> None:
    assert set(SEND_CODES) == DOC_SEND_CODES
    assert set(RAISED) | REFUSED | MAY_HAVE_GONE | set(ACCEPTED) == DOC_SEND_CODES


@pytest.mark.parametrize("code", sorted(RAISED))
async def test_whole_request_codes_raise_on_the_first_recipient(
    gateway: Sms123Gateway, simulator: RunningSimulator, code: str
) -> None:
    force(simulator, code)

    with pytest.raises(RAISED[code]) as caught:
        await gateway.send(sms("+33612345601", "+33612345602"))

    assert caught.value.provider_code == code
    assert caught.value.provider_message  # the provider's own text is kept
    assert len(simulator.requests(SEND)) == 1
    if code == "-2":
        assert "may have been sent" in str(caught.value)
        assert "try again" not in str(caught.value)


@pytest.mark.parametrize("code", sorted(REFUSED))
async def test_recipient_codes_are_reported_and_the_others_sent(
    gateway: Sms123Gateway, simulator: RunningSimulator, code: str
) -> None:
    force(simulator, code)

    result = await gateway.send(sms("+33612345601", "+33612345602"))

    first, second = result.messages
    assert (first.accepted, first.status, first.error_code) == (
        False,
        DeliveryStatus.FAILED,
        code,
    )
    assert first.error
    assert second.accepted


@pytest.mark.parametrize("code", sorted(ACCEPTED))
async def test_success_codes_accept_the_recipient(
    gateway: Sms123Gateway, simulator: RunningSimulator, code: str
) -> None:
    force(simulator, code)

    result = await gateway.send(sms("+33612345601"))

    assert result.messages[0].accepted
    assert result.messages[0].status is ACCEPTED[code]


async def test_a_later_recipient_with_an_account_code_is_reported_not_raised(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    force(simulator, "80", "83")

    result = await gateway.send(sms("+33612345601", "+33612345602"))

    first, second = result.messages
    assert first.accepted
    assert (second.accepted, second.error_code) == (False, "83")
    assert "credits" in (second.error or "")


async def test_undocumented_code_is_an_unknown_outcome(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    force(simulator, "77")

    with pytest.raises(errors.SendOutcomeUnknownError) as caught:
        await gateway.send(sms("+33612345601", "+33612345602"))

    assert caught.value.provider_code == "77"
    assert "may have been sent" in str(caught.value)
    assert "refused" not in str(caught.value)
    assert "1 other recipient(s) were not tried" in str(caught.value)
    assert caught.value.reference is None  # sent at once: nothing to cancel
    assert len(simulator.requests(SEND)) == 1


async def test_undocumented_code_for_a_later_recipient_is_reported_unknown(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    force(simulator, "80", "77")

    result = await gateway.send(sms("+33612345601", "+33612345602", send_at=later()))

    first, second = result.messages
    assert first.accepted
    # May have been sent: the one convention of every provider (models.RecipientResult).
    assert (second.accepted, second.status, second.error_code) == (
        True,
        DeliveryStatus.UNKNOWN,
        "77",
    )
    assert "may have been sent" in (second.error or "")
    # A scheduled one that may have been taken can still be cancelled by its id.
    assert second.message_id is not None
    assert second.message_id in (second.error or "")
    assert gateway.message_store[second.message_id]["numero"] == "33612345602"


# --- scheduling and cancelling ------------------------------------------------------------------


async def test_scheduled_send_then_cancel_by_message_id(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    when = later()
    result = await gateway.send(sms("+33612345601", send_at=when))

    (message,) = result.messages
    assert message.status is DeliveryStatus.SCHEDULED
    assert message.message_id is not None
    diff = when.astimezone(gateway.timezone).strftime("%H%M%d%m%Y")
    assert bodies(simulator)[0]["diff"] == diff
    (sent,) = simulator.sim.state.messages.values()
    assert sent.status == "scheduled"
    assert credits_of(simulator) == 99

    (canceled,) = await gateway.cancel([message.message_id])

    assert canceled.canceled
    assert canceled.message_id == message.message_id
    cancel_body = bodies(simulator)[1]
    assert cancel_body["diff"] == f"{diff}s"
    assert cancel_body["numero"] == "33612345601"
    assert cancel_body["message"] == "Alarm: door open"
    assert sent.status == "canceled"
    assert credits_of(simulator) == 100

    # Once cancelled, what the cancel needs is forgotten: a second cancel sends nothing (the
    # provider might read it as a new send).
    assert message.message_id not in gateway.message_store
    (again,) = await gateway.cancel([message.message_id])
    assert not again.canceled
    assert "no longer knows" in (again.error or "")
    assert len(simulator.requests(SEND)) == 2


async def test_cancel_several_and_ids_that_cannot_be_cancelled(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    scheduled = await gateway.send(sms("+33612345601", "+33612345602", send_at=later()))
    immediate = await gateway.send(sms("+33612345603"))
    ids = [m.message_id or "" for m in (*scheduled.messages, *immediate.messages)]
    simulator.sim.requests.clear()

    results = await gateway.cancel([*ids, "mobyt:123"])

    assert [r.canceled for r in results] == [True, True, False, False]
    assert "sent at once" in (results[2].error or "")
    assert "Not a 123-SMS message id" in (results[3].error or "")
    assert len(simulator.requests(SEND)) == 2  # nothing sent for the last two
    assert await gateway.cancel([]) == []


async def test_cancel_with_refused_account_raises(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    message_id = encode_message_id("33612345601", "120030122031", "hi")
    gateway = make_gateway(simulator, session, password="wrong")

    with pytest.raises(errors.AuthenticationError):
        await gateway.cancel([message_id, message_id])

    assert len(simulator.requests(SOLDE)) == 1
    assert not simulator.requests(SEND)


async def test_a_long_id_of_earlier_versions_still_cancels(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    when = later()
    await gateway.send(sms("+33612345601", send_at=when))
    diff = when.astimezone(gateway.timezone).strftime("%H%M%d%m%Y")
    legacy = encode_message_id("33612345601", diff, "Alarm: door open")

    (canceled,) = await gateway.cancel([legacy])

    assert canceled.canceled
    (sent,) = simulator.sim.state.messages.values()
    assert sent.status == "canceled"


async def test_a_scheduled_message_is_remembered_without_its_text_in_the_id(
    gateway: Sms123Gateway,
) -> None:
    result = await gateway.send(sms("+33612345601", send_at=later()))
    now = await gateway.send(sms("+33612345602"))

    message_id = result.messages[0].message_id or ""
    assert len(message_id) <= 20
    stored = gateway.message_store[message_id]
    assert (stored["numero"], stored["message"]) == ("33612345601", "Alarm: door open")
    # A message sent at once keeps nothing of its text: it cannot be cancelled anyway.
    assert gateway.message_store[now.messages[0].message_id or ""] == {
        "diff": None,
        "until": gateway.message_store[now.messages[0].message_id or ""]["until"],
    }
    # What is past its time is dropped at the first send a minute later (not at every send:
    # scanning the store each time made a busy account's sends quadratic).
    gateway.message_store["sms123:old"] = {"diff": None, "until": "2000-01-01T00:00:00+00:00"}
    gateway.message_store["sms123:bad"] = "not a mapping"
    await gateway.send(sms("+33612345603"))
    assert "sms123:old" in gateway.message_store
    gateway._pruned_at = datetime.now(UTC) - timedelta(minutes=2)
    await gateway.send(sms("+33612345604"))
    assert "sms123:old" not in gateway.message_store
    assert "sms123:bad" not in gateway.message_store
    assert message_id in gateway.message_store


async def test_cancel_reports_other_codes_and_faults_per_id(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    message_id = encode_message_id("33612345601", "120030122031", "hi")
    force(simulator, "85", "82", "66")

    results = await gateway.cancel([message_id, message_id, message_id])

    by_error = {r.error or "": r.canceled for r in results}
    assert by_error["The scheduled send time is not valid (85)"] is False
    # After the first, an account code is reported per id, not raised.
    assert by_error["The username or API key is not valid (82)"] is False
    # An undocumented code does not say (R26): it may have been cancelled.
    (undocumented,) = [error for error, canceled in by_error.items() if canceled is None]
    assert "Undocumented return code 66" in undocumented
    assert "does not say whether it was cancelled" in undocumented
    simulator.fault(SEND, "malformed")
    (garbled,) = await gateway.cancel([message_id])
    assert garbled.canceled is None
    assert "XML document" in (garbled.error or "")
    simulator.fault(SEND, "http500")
    (failed,) = await gateway.cancel([message_id])
    assert failed.canceled is None
    assert "HTTP 500" in (failed.error or "")


async def test_cancel_when_the_provider_cannot_be_reached(session: aiohttp.ClientSession) -> None:
    gateway = Sms123Gateway(session, username="demo", password="p", api_url=closed_port_url())
    message_id = encode_message_id("33612345601", "120030122031", "hi")

    with pytest.raises(errors.GatewayConnectionError) as caught:
        await gateway.cancel([message_id])
    assert not caught.value.request_sent

    later_one = await gateway._cancel_one(message_id, first=False)
    assert not later_one.canceled
    assert "Cannot connect" in (later_one.error or "")


@pytest.mark.parametrize(("moment", "wall_clock"), CLOCK_CHANGES)
async def test_diff_is_paris_wall_clock_across_dst(
    gateway: Sms123Gateway, simulator: RunningSimulator, moment: datetime, wall_clock: datetime
) -> None:
    diff = f"{wall_clock:%H%M%d%m%Y}"
    result = await gateway.send(sms("+33612345601", send_at=moment))

    assert result.messages[0].status is DeliveryStatus.SCHEDULED
    assert bodies(simulator)[0]["diff"] == diff
    (sent,) = simulator.sim.state.messages.values()
    assert sent.scheduled_at is not None
    assert sent.scheduled_at.strftime("%H%M%d%m%Y") == diff


def test_diff_needs_a_time_zone(gateway: Sms123Gateway) -> None:
    with pytest.raises(errors.SchedulingError):
        gateway._diff(datetime(2031, 1, 1, 12, 0))  # noqa: DTZ001


def test_message_id_round_trip_and_foreign_ids() -> None:
    message_id = encode_message_id("33612345601", "153012092031", "Déjà vu 👋")
    assert decode_message_id(message_id) == ("33612345601", "153012092031", "Déjà vu 👋")
    assert decode_message_id(encode_message_id("33612345601", None, "x"))[1] is None
    wrong_shape = base64.urlsafe_b64encode(b'["33612345601", "soon", "x"]').decode()
    for foreign in ("12345", "sms123:***", "sms123:bm90IGpzb24", f"sms123:{wrong_shape}"):
        with pytest.raises(ValueError):
            decode_message_id(foreign)


# --- faults --------------------------------------------------------------------------------------


async def test_drop_after_handling_is_an_unknown_outcome_never_resent(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    await fails_after_sending(
        simulator, SEND, "drop", gateway.send(sms("+33612345601", "+33612345602"))
    )

    # The provider did act on it: that is why it is never sent again.
    assert {m.recipient for m in simulator.sim.state.messages.values()} == {"+33612345601"}


async def test_drop_for_a_later_recipient_is_reported_unknown(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    await gateway.send(sms("+33612345609"))
    simulator.fault(SEND, "drop")

    first = await gateway._send_to("+33612345601", {"message": "hi"}, first=False)

    assert (first.accepted, first.status) == (True, DeliveryStatus.UNKNOWN)
    assert "may have been sent" in (first.error or "")


async def test_http_500_on_send_is_an_unknown_outcome(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    await fails_after_sending(simulator, SEND, "http500", gateway.send(sms("+33612345601")))


async def test_malformed_reply_on_send_is_an_unknown_outcome(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    simulator.fault(SEND, "malformed")

    with pytest.raises(errors.SendOutcomeUnknownError) as caught:
        await gateway.send(sms("+33612345601", send_at=later()))

    assert "may have been sent" in str(caught.value)
    assert "refused the recipient" not in str(caught.value)
    # Scheduled: the id it would have had is kept, so that it can be cancelled if it was taken.
    assert caught.value.reference is not None
    assert caught.value.reference in gateway.message_store


async def test_slow_reply_times_out_as_unknown_outcome(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, timeout=FAST)
    await gateway.validate_credentials()
    await fails_after_sending(
        simulator, SEND, "delay", gateway.send(sms("+33612345601")), seconds=0.8
    )


async def test_unreachable_provider_raises_before_anything_is_sent(
    session: aiohttp.ClientSession,
) -> None:
    gateway = Sms123Gateway(session, username="demo", password="p", api_url=closed_port_url())

    with pytest.raises(errors.GatewayConnectionError) as caught:
        await gateway.send(sms("+33612345601", "+33612345602"))

    assert not caught.value.request_sent


async def test_later_recipient_that_cannot_connect_is_reported_not_sent(
    session: aiohttp.ClientSession,
) -> None:
    gateway = Sms123Gateway(session, username="demo", password="p", api_url=closed_port_url())

    result = await gateway._send_to("+33612345602", {"message": "hi"}, first=False)

    assert (result.accepted, result.status) == (False, DeliveryStatus.FAILED)
    assert (result.error or "").startswith("Not sent")


async def test_balance_faults(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, timeout=FAST)

    simulator.fault(SOLDE, "http500")
    with pytest.raises(errors.GatewayConnectionError) as caught:
        await gateway.get_balance()
    assert caught.value.provider_code == "HTTP 500"

    simulator.fault(SOLDE, "malformed")
    with pytest.raises(errors.GatewayResponseError) as garbled:
        await gateway.get_balance()
    assert len(str(garbled.value)) < 200

    simulator.fault(SOLDE, "delay", seconds=0.8)
    with pytest.raises(errors.GatewayConnectionError) as late:
        await gateway.get_balance()
    assert late.value.request_sent

    simulator.fault(SOLDE, "drop_before")
    with pytest.raises(errors.GatewayConnectionError):
        await gateway.get_balance()


# --- the balance ---------------------------------------------------------------------------------


async def test_balance_and_credential_check(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    assert (await gateway.get_balance()).total == 100
    await gateway.send(sms("+33612345601"))

    info = await gateway.validate_credentials()

    assert info.account_id == "demo"
    assert info.balance is not None
    assert info.balance.total == 99
    request = simulator.requests(SOLDE)[-1]
    assert request["method"] == "POST"
    assert json.loads(request["body"]) == {"user": "demo", "cleAPI": "demo-password"}


@pytest.mark.parametrize("reply_format", ["bare", "xml", "json"])
async def test_every_reply_form_over_http(
    gateway: Sms123Gateway, simulator: RunningSimulator, reply_format: str
) -> None:
    account_extra(simulator)["reply_format"] = reply_format
    simulator.sim.state.accounts[("sms123", "demo")].credits = 42.5

    assert (await gateway.get_balance()).total == 42.5
    result = await gateway.send(sms("+33612345601", "+33612349999"))
    assert [m.error_code for m in result.messages] == [None, "84"]
    force(simulator, "82")
    with pytest.raises(errors.AuthenticationError):
        await gateway.send(sms("+33612345602"))


async def test_bare_replies_module_switch(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    simulator.sim.providers["sms123"].bare_replies = True  # type: ignore[attr-defined]

    assert (await gateway.get_balance()).total == 100
    bad = make_gateway(simulator, gateway._session, password="wrong")
    with pytest.raises(errors.AuthenticationError) as caught:
        await bad.get_balance()
    assert caught.value.provider_code == "E505"


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [("", "demo-password", "E501"), ("demo", "", "E502"), ("demo", "wrong", "E505")],
)
@pytest.mark.parametrize(
    "call",
    [Sms123Gateway.validate_credentials, add_home_group],
    ids=["balance", "address_book"],
)
async def test_credential_codes(  # noqa: PLR0917
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    username: str,
    password: str,
    code: str,
    call: Callable[[Sms123Gateway], Awaitable[object]],
) -> None:
    """The balance call (which checks the credentials) and the address book read the same codes."""
    gateway = make_gateway(simulator, session, username, password)

    with pytest.raises(errors.AuthenticationError) as caught:
        await call(gateway)

    assert caught.value.provider_code == code


@pytest.mark.parametrize(
    ("call", "code", "error"),
    [
        (Sms123Gateway.get_balance, "-1", errors.GatewayResponseError),
        (Sms123Gateway.get_balance, "-2", errors.GatewayConnectionError),
        (Sms123Gateway.get_balance, "-3", errors.GatewayResponseError),
        (add_home_group, "-1", errors.GatewayResponseError),
        (add_home_group, "-2", errors.GatewayConnectionError),
        (add_home_group, "509", errors.GatewayResponseError),  # a success code of another call
        (add_home_group, "999", errors.GatewayResponseError),
    ],
)
async def test_balance_and_address_book_error_codes(
    gateway: Sms123Gateway,
    simulator: RunningSimulator,
    call: Callable[[Sms123Gateway], Awaitable[object]],
    code: str,
    error: type[Exception],
) -> None:
    force(simulator, code)

    with pytest.raises(error) as caught:
        await call(gateway)

    assert getattr(caught.value, "provider_code", None) == code
    if code == "-3":
        assert "API URL" in str(caught.value)


def test_every_documented_balance_and_address_book_code_is_mapped() -> None:
    assert set(BALANCE_CODES) == {"-1", "-2", "-3", "E501", "E502", "E505"}
    assert set(ADDRESS_BOOK_CODES) == {
        "-1",
        "-2",
        "501",
        "502",
        "505",
        *(str(code) for code in range(506, 511)),
        *(str(code) for code in range(513, 518)),
    }


# --- the address book ----------------------------------------------------------------------------


def groups(simulator: RunningSimulator) -> dict[str, dict[str, dict[str, str]]]:
    book: dict[str, dict[str, dict[str, str]]] = account_extra(simulator).get("groups", {})
    return book


async def test_group_lifecycle(gateway: Sms123Gateway, simulator: RunningSimulator) -> None:
    await gateway.add_group("Family")
    await gateway.add_group("Neighbours")
    assert set(groups(simulator)) == {"Family", "Neighbours"}
    assert bodies(simulator, "/sms123/api/group/add/")[0] == {
        "user": "demo",
        "cleAPI": "demo-password",
        "groupe": "Family",
    }

    with pytest.raises(errors.GatewayError) as exists:
        await gateway.add_group("Family")
    assert exists.value.provider_code == "513"

    await gateway.rename_group("Family", "Home")
    assert set(groups(simulator)) == {"Home", "Neighbours"}
    assert bodies(simulator, "/sms123/api/group/upd/")[0]["groupe_upd"] == "Home"
    with pytest.raises(errors.GatewayError) as taken:
        await gateway.rename_group("Home", "Neighbours")
    assert taken.value.provider_code == "513"
    with pytest.raises(errors.GatewayError) as missing:
        await gateway.rename_group("Nobody", "Somebody")
    assert missing.value.provider_code == "517"

    await gateway.add_contact(Contact(number="0612345601", groups=("Home",)))
    with pytest.raises(errors.GatewayError) as busy:
        await gateway.delete_group("Home")
    assert busy.value.provider_code == "515"
    assert "still has contacts" in str(busy.value)

    await gateway.delete_group("Neighbours")
    assert set(groups(simulator)) == {"Home"}
    with pytest.raises(errors.GatewayError) as gone:
        await gateway.delete_group("Neighbours")
    assert gone.value.provider_code == "517"


async def test_contact_lifecycle(gateway: Sms123Gateway, simulator: RunningSimulator) -> None:
    await gateway.add_group("Home")
    await gateway.add_group("Work")
    contact = Contact(
        number="06 12 34 56 01",
        groups=("Home", "Work"),
        last_name="Martin",
        first_name="Léa",
        company="ACME",
        birthday=date(1968, 2, 12),
        variables=("a", None, "c"),
    )

    await gateway.add_contact(contact)

    assert bodies(simulator, "/sms123/api/contact/add/")[0] == {
        "user": "demo",
        "cleAPI": "demo-password",
        "groupe": "Home--Work",
        "numero": "33612345601",
        "nom": "Martin",
        "prenom": "Léa",
        "societe": "ACME",
        "datea": "120268",
        "v1": "a",
        "v3": "c",
    }
    assert groups(simulator)["Work"]["33612345601"]["prenom"] == "Léa"
    with pytest.raises(errors.GatewayError) as twice:
        await gateway.add_contact(contact)
    assert twice.value.provider_code == "506"

    moved = Contact(number="+33612345602", groups=("Home",), last_name="Martin")
    await gateway.update_contact("0612345601", moved)
    body = bodies(simulator, "/sms123/api/contact/upd/")[0]
    assert (body["numeroa"], body["numero"], body["groupe"]) == (
        "33612345601",
        "33612345602",
        "Home",
    )
    assert set(groups(simulator)["Home"]) == {"33612345602"}
    with pytest.raises(errors.GatewayError) as unknown:
        await gateway.update_contact("0612345699", moved)
    assert unknown.value.provider_code == "508"

    with pytest.raises(errors.GatewayError) as elsewhere:
        await gateway.delete_contact("0612345602", group="Work")
    assert elsewhere.value.provider_code == "510"
    await gateway.delete_contact("0612345602", group="Home")
    assert bodies(simulator, "/sms123/api/contact/del/")[-1]["groupe"] == "Home"
    await gateway.delete_contact("0612345601")
    assert "groupe" not in bodies(simulator, "/sms123/api/contact/del/")[-1]
    assert groups(simulator) == {"Home": {}, "Work": {}}
    with pytest.raises(errors.GatewayError) as nobody:
        await gateway.delete_contact("0612345601")
    assert nobody.value.provider_code == "508"


async def test_update_contact_names_one_group(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    # contact/upd/'s groupe is "le groupe dans lequel le contact est inséré": one group.
    account_extra(simulator)["groups"] = {"Home": {"33612345601": {}}, "Work": {"33612345601": {}}}
    both = Contact(number="0612345602", groups=("Home", "Work"))

    with pytest.raises(errors.UnsupportedOperationError, match="one group at a time") as caught:
        await gateway.update_contact("0612345601", both)

    assert "Home, Work" in str(caught.value)
    assert simulator.requests() == []
    await gateway.update_contact("0612345601", Contact(number="0612345602", groups=("Work",)))
    assert bodies(simulator, "/sms123/api/contact/upd/")[0]["groupe"] == "Work"
    assert groups(simulator) == {"Home": {"33612345601": {}}, "Work": {"33612345602": {}}}
    with pytest.raises(errors.GatewayError, match="at least one group"):
        await gateway.update_contact("0612345602", Contact(number="0612345603", groups=()))


# --- the e-mail and password pair ---------------------------------------------------------------


WEB_PASSWORD = "demo-web-password"


async def test_an_email_username_with_the_web_password_signs_in_with_email_and_pass(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, "demo@example.com", WEB_PASSWORD)

    assert (await gateway.validate_credentials()).account_id == "demo@example.com"
    result = await gateway.send(sms("+33612345601"))
    await gateway.add_group("Home")

    assert result.messages[0].accepted
    assert gateway.credential_pair == ("email", "pass")
    first, second = bodies(simulator, SOLDE)
    assert first == {"user": "demo@example.com", "cleAPI": WEB_PASSWORD}  # tried first
    assert second == {"email": "demo@example.com", "pass": WEB_PASSWORD}
    for path in (SEND, "/sms123/api/group/add/"):
        body = bodies(simulator, path)[0]
        assert (body["email"], body["pass"]) == ("demo@example.com", WEB_PASSWORD)
        assert "user" not in body
        assert "cleAPI" not in body
    assert credits_of(simulator) == 99
    assert "Home" in groups(simulator)


@pytest.mark.parametrize("credentials", ["separate", "email_login", "shared"])
async def test_the_api_key_is_never_sent_as_the_web_password_when_user_takes_it(
    simulator: RunningSimulator, session: aiohttp.ClientSession, credentials: str
) -> None:
    """R19: whichever way the provider reads the two pairs, a working pair is found first."""
    simulator.play(sms123__credentials=credentials)
    login = "demo@example.com" if credentials == "email_login" else "demo"
    gateway = make_gateway(simulator, session, login, DEMO_PASSWORD)

    await gateway.validate_credentials()
    result = await gateway.send(sms("+33612345601"))

    assert result.messages[0].accepted
    assert gateway.credential_pair == ("user", "cleAPI")
    assert all("pass" not in body for path in (SOLDE, SEND) for body in bodies(simulator, path))


@pytest.mark.parametrize("credentials", ["separate", "email_login", "shared"])
async def test_each_reading_of_the_pairs_opens_with_what_it_takes(
    simulator: RunningSimulator, session: aiohttp.ClientSession, credentials: str
) -> None:
    simulator.play(sms123__credentials=credentials)
    outcomes = {}
    for login, secret in (
        ("demo", DEMO_PASSWORD),
        ("demo@example.com", DEMO_PASSWORD),
        ("demo@example.com", WEB_PASSWORD),
        ("demo", WEB_PASSWORD),
    ):
        gateway = make_gateway(simulator, session, login, secret)
        try:
            await gateway.validate_credentials()
        except errors.AuthenticationError:
            outcomes[login, secret] = None
        else:
            outcomes[login, secret] = gateway.credential_pair

    assert outcomes == {
        ("demo", DEMO_PASSWORD): ("user", "cleAPI"),
        ("demo@example.com", DEMO_PASSWORD): (
            ("user", "cleAPI")
            if credentials == "email_login"
            else ("email", "pass")
            if credentials == "shared"
            else None
        ),
        ("demo@example.com", WEB_PASSWORD): ("email", "pass"),
        ("demo", WEB_PASSWORD): None,  # not an address: email + pass is not tried
    }


async def test_a_plain_username_signs_in_with_user_and_cle_api(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    await gateway.send(sms("+33612345601"))

    body = bodies(simulator)[0]
    assert (body["user"], body["cleAPI"]) == ("demo", DEMO_PASSWORD)
    assert "email" not in body
    assert "pass" not in body


async def test_a_wrong_email_password_is_refused_before_anything_is_sent(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, username="demo@example.com", password="wrong")

    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.send(sms("+33612345601"))

    assert caught.value.provider_code == "E505"
    assert len(simulator.requests(SOLDE)) == 2
    assert not simulator.requests(SEND)
    assert gateway.credential_pair is None


async def test_the_pair_is_found_once_even_for_concurrent_calls(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, "demo@example.com", WEB_PASSWORD)

    await asyncio.gather(gateway.get_balance(), gateway.send(sms("+33612345601")))

    assert [list(body) for body in bodies(simulator, SOLDE)][:2] == [
        ["user", "cleAPI"],
        ["email", "pass"],
    ]
    assert len(simulator.requests(SEND)) == 1


async def test_solde_without_a_balance_leaves_the_pair_open_and_sends_with_user(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session)
    simulator.fault(SOLDE, "malformed")

    result = await gateway.send(sms("+33612345601"))

    assert result.messages[0].accepted
    assert gateway.credential_pair is None
    assert "user" in bodies(simulator)[0]


async def test_solde_unreachable_means_the_send_was_not_made(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session)
    simulator.fault(SOLDE, "http500")

    with pytest.raises(errors.GatewayConnectionError) as caught:
        await gateway.send(sms("+33612345601"))

    assert not caught.value.request_sent
    assert not simulator.requests(SEND)


async def test_address_book_checks_before_sending(
    gateway: Sms123Gateway, simulator: RunningSimulator
) -> None:
    with pytest.raises(errors.GatewayError, match="empty"):
        await gateway.add_group("  ")
    with pytest.raises(errors.GatewayError, match="--"):
        await gateway.add_group("a--b")
    with pytest.raises(errors.GatewayError, match="at least one group"):
        await gateway.add_contact(Contact(number="0612345601", groups=()))
    with pytest.raises(errors.InvalidRecipientError):
        await gateway.delete_contact("12")
    assert not simulator.requests("/sms123/api/")


# --- the reply parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"80", "80", None),
        (b" 81\r\n", "81", None),
        (b'"82"', "82", None),
        (b"E505", "E505", None),
        (b'{"code": 80, "message": "ok"}', "80", "ok"),
        (b'{"Code_Retour": "81"}', "81", None),
        (b'{"status": "-2", "msg": "technique"}', "-2", "technique"),
        (b'{"reponse": {"code": "91", "libelle": "doublon"}}', "91", "doublon"),
        (b'{"success": true, "errors": [], "code": 84}', "84", None),
        (b"<reponse><code>80</code><message>ok</message></reponse>", "80", "ok"),
        (b'<?xml version="1.0"?>\n<code>93</code>', "93", None),
        (b'<r xmlns="urn:x"><data><retour>101</retour></data></r>', "101", None),
    ],
)
def test_reply_forms(body: bytes, code: str, message: str | None) -> None:
    reply = parse_reply(body)

    assert reply.require_code() == code
    assert reply.message == message


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"Hello, this is not an API " + b"x" * 500,
        b"<html><body>502 Bad Gateway \x00\xff</body>",
        b'<!DOCTYPE x [<!ENTITY e "80">]><code>&e;</code>',
        b"{not json",
        b"[80]",
    ],
)
def test_garbage_replies_raise_with_a_short_excerpt(body: bytes) -> None:
    with pytest.raises(errors.GatewayResponseError) as caught:
        parse_reply(body)

    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "body", [b'{"message": "hello"}', b"<reponse><message>hello</message></reponse>"]
)
def test_reply_without_a_code(body: bytes) -> None:
    with pytest.raises(errors.GatewayResponseError, match="No return code"):
        parse_reply(body).require_code()


@pytest.mark.parametrize(
    ("body", "balance"),
    [
        (b"100", 100.0),
        (b"12,5", 12.5),
        (b"-4", -4.0),
        (b'{"code": "100", "solde": 100}', 100.0),
        (b'{"credits": "7.5"}', 7.5),
        (b"<reponse><code>3</code><solde>3</solde></reponse>", 3.0),
        (b"<solde>9</solde>", 9.0),
    ],
)
def test_balance_forms(body: bytes, balance: float) -> None:
    assert _balance(parse_reply(body)) == balance


def test_balance_reply_without_a_number() -> None:
    with pytest.raises(errors.GatewayResponseError, match="No balance"):
        _balance(parse_reply(b'{"solde": "beaucoup"}'))
    with pytest.raises(errors.AuthenticationError):
        _balance(parse_reply(b"<reponse><code>E505</code></reponse>"))


@pytest.mark.parametrize("code", ["501", "502", "505"])
async def test_address_book_credential_codes_once_signed_in(
    gateway: Sms123Gateway, simulator: RunningSimulator, code: str
) -> None:
    force(simulator, code)

    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.add_group("Home")

    assert caught.value.provider_code == code
