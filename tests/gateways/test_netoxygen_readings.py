"""The NetOxygen adapter under every reading the doc allows (READINGS.md R1 to R8).

The simulator plays each reading (``simulator.play(netoxygen__point="choice")``); whichever the
real provider plays, the adapter must stay safe: no reauthentication unless ``auth`` answers
FALSE, nothing the provider may have taken shown as refused, no number made from an error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways.errors import (
    AuthenticationError,
    GatewayError,
    GatewayResponseError,
    InvalidRecipientError,
    SendOutcomeUnknownError,
)
from custom_components.sms_gateways.gateways.models import (
    DeliveryStatus,
    OutgoingSms,
    RecipientResult,
)
from custom_components.sms_gateways.gateways.netoxygen import (
    ONE_BY_ONE,
    NetOxygenGateway,
    delivery_status,
    may_change,
)
from simulator.netoxygen import READINGS
from tests.conftest import RunningSimulator

PATH = "/netoxygen/api2/"
DEMO = ("demo", "demo-password")
EVERY_READING = [(reading.point, choice) for reading in READINGS for choice in reading.choices]


def make_gateway(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    credentials: Any = DEMO,
    **readings: str,
) -> NetOxygenGateway:
    """The adapter of an account (the demo one unless told), the simulator playing ``readings``."""
    simulator.play(**readings)
    return simulator.gateway(NetOxygenGateway, session, *credentials)


def sms(*recipients: str, message: str = "Alarm: door open", **kwargs: Any) -> OutgoingSms:
    return OutgoingSms(recipients=recipients, message=message, **kwargs)


def stored_ids(simulator: RunningSimulator) -> set[str]:
    return set(simulator.sim.state.messages)


def test_every_reading_of_the_doc_is_declared() -> None:
    assert {reading.point for reading in READINGS} == {
        "false_answer",
        "fault_texts",
        "send_status",
        "clean_number_failure",
        "max_length",
        "unknown_id",
        "string_encoding",
        "dest_type",
        "sender",
        "current_error",
        "cancel_false",
        "cedilla",
    }


@pytest.mark.parametrize(("point", "choice"), EVERY_READING)
async def test_good_credentials_never_start_a_reauth(
    simulator: RunningSimulator, session: aiohttp.ClientSession, point: str, choice: str
) -> None:
    """Every call of the adapter, under every reading: no AuthenticationError, only our errors."""
    gateway = make_gateway(simulator, session, **{f"netoxygen__{point}": choice})
    later = datetime.now(UTC) + timedelta(hours=2)
    calls = [
        gateway.validate_credentials,
        gateway.get_balance,
        gateway.get_account_status,
        lambda: gateway.send(sms("0791234567", "0791239999", "0781234567")),
        lambda: gateway.send(sms("0791234567", message="Déjà vu, ça va ? " * 20)),
        lambda: gateway.send(sms("0791234567", send_at=later)),
        lambda: gateway.normalize_number("022/364 8000"),
        lambda: gateway.normalize_number("call me"),
        lambda: gateway.get_delivery_status([*sorted(stored_ids(simulator)), "999999"]),
        lambda: gateway.cancel([*sorted(stored_ids(simulator)), "999999"]),
    ]
    for call in calls:
        try:
            await call()
        except AuthenticationError:  # pragma: no cover - the failure this test is about
            pytest.fail(f"{point}={choice}: a reauth with good credentials")
        except GatewayError:
            pass


@pytest.mark.parametrize(("point", "choice"), EVERY_READING)
async def test_wrong_credentials_are_always_refused(
    simulator: RunningSimulator, session: aiohttp.ClientSession, point: str, choice: str
) -> None:
    """Whatever FALSE and faults mean, auth says the credentials are wrong: a reauth."""
    gateway = make_gateway(simulator, session, ("demo", "wrong"), **{f"netoxygen__{point}": choice})
    for call in (
        gateway.validate_credentials,
        gateway.get_balance,
        lambda: gateway.send(sms("0791234567")),
        lambda: gateway.get_delivery_status(["1"]),
    ):
        with pytest.raises(AuthenticationError):
            await call()
    assert simulator.sim.state.messages == {}


# --- R1: FALSE from get_credits / get_guid -----------------------------------------------------


async def test_false_from_a_valid_account(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__false_answer="no_value")
    info = await gateway.validate_credentials()
    assert (info.account_id, info.group_id, info.status) == ("demo", None, "regular")
    with pytest.raises(GatewayResponseError, match="FALSE to get_credits") as err:
        await gateway.get_balance()
    assert not isinstance(err.value, AuthenticationError)
    # No number is made of it.
    assert "0" not in str(err.value).split("get_credits")[1]


# --- R2: fault texts ---------------------------------------------------------------------------


async def test_misleading_fault_texts(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.play(
        netoxygen__fault_texts="misleading",
        netoxygen__clean_number_failure="fault",
        netoxygen__unknown_id="fault",
    )
    empty = make_gateway(simulator, session, ("empty", "empty-password"))
    with pytest.raises(SendOutcomeUnknownError) as err:
        await empty.send(sms("0791234567"))
    assert err.value.provider_message == (
        "Authentication of the request failed: credit limit reached"
    )
    assert "may have been sent" in str(err.value)
    gateway = make_gateway(simulator, session)
    with pytest.raises(GatewayResponseError) as fault:
        await gateway.normalize_number("call me")
    assert not isinstance(fault.value, AuthenticationError | InvalidRecipientError)
    assert fault.value.provider_message == "Invalid login number format"
    (report,) = await gateway.get_delivery_status(["424242"])
    assert report.status is DeliveryStatus.UNKNOWN
    assert "Unknown message identifier" in report.provider_status


# --- R3: the status of a send_message row ------------------------------------------------------


@pytest.mark.parametrize("reading", ["zero_code", "code", "perl"])
async def test_nothing_sent_is_shown_refused(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    """Every message the provider took is accepted with its id; refused only when it says 0."""
    gateway = make_gateway(simulator, session, netoxygen__send_status=reading)
    result = await gateway.send(sms("0791234567", "0791239999", "0781234567"))
    sent = simulator.sim.state.messages
    assert len(sent) == 2
    by_recipient = {r.recipient: r for r in result.messages}
    for message in sent.values():
        taken = by_recipient[f"+{message.recipient}"]
        assert taken.accepted
        assert taken.message_id == message.message_id
    refused = by_recipient["+41791239999"]
    if reading == "zero_code":
        assert (refused.accepted, refused.error_code) == (False, "5")
    else:
        # [dest, 5, ""]: refused under one reading, sent under the Perl client's: unknown.
        assert refused.accepted == (reading == "code")
    assert not any(r.accepted is False and r.message_id in sent for r in result.messages)
    assert len(simulator.requests(PATH)) == 1
    # The messages it took are followed by their id.
    reports = await gateway.get_delivery_status(sorted(sent))
    assert {r.message_id for r in reports} == set(sent)


# --- R4: a failed clean_number -----------------------------------------------------------------


@pytest.mark.parametrize("reading", ["empty", "false", "fault", "echo"])
@pytest.mark.parametrize("number", ["call me", "12345", "0041", "022"])
async def test_no_number_is_made_of_a_failed_clean_number(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str, number: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__clean_number_failure=reading)
    # FALSE gives no reason (R32): NetOxygen's answer is quoted, never "invalid number".
    expected = {"fault": GatewayResponseError, "false": GatewayError}.get(
        reading, InvalidRecipientError
    )
    with pytest.raises(expected) as err:
        await gateway.normalize_number(number)
    assert isinstance(err.value, expected)
    assert not isinstance(err.value, InvalidRecipientError) or reading in ("empty", "echo")
    assert not isinstance(err.value, AuthenticationError)
    if reading == "false":
        assert "FALSE" in str(err.value)
        assert "nvalid" not in str(err.value)
    assert await gateway.normalize_number("022/364 8000") == "+41223648000"


# --- R5: the longest message -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "length", "accepted"),
    [
        ("ten_parts", 1530, True),
        ("ten_parts", 1531, False),
        ("unlimited", 3000, True),
        ("one_part", 160, True),
        ("one_part", 161, False),
    ],
)
async def test_the_provider_decides_the_length(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    length: int,
    *,
    accepted: bool,
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__max_length=reading)
    (result,) = (await gateway.send(sms("0791234567", message="a" * length))).messages
    assert result.accepted is accepted
    if not accepted:
        assert (result.error_code, result.error) == ("8", "Max message length exceeded")
    assert len(simulator.requests(PATH)) == 1


# --- R6: an unknown id -------------------------------------------------------------------------


@pytest.mark.parametrize("reading", ["false_row", "fault", "empty_struct", "no_row"])
async def test_an_unknown_id_never_blocks_the_others(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__unknown_id=reading)
    (sent,) = (await gateway.send(sms("0791234567"))).messages
    assert sent.message_id is not None
    reports = {
        r.message_id: r for r in await gateway.get_delivery_status([sent.message_id, "999999"])
    }
    assert reports[sent.message_id].status is DeliveryStatus.QUEUED
    if "999999" in reports:
        assert reports["999999"].status is DeliveryStatus.UNKNOWN
    else:
        assert reading == "no_row"


async def _scheduled(gateway: NetOxygenGateway) -> RecipientResult:
    """A message accepted for two hours from now (a cancel can still stop it)."""
    later = datetime.now(UTC) + timedelta(hours=2)
    (message,) = (await gateway.send(sms("0791234567", send_at=later))).messages
    return message


@pytest.mark.parametrize("reading", ["false_row", "fault", "empty_struct", "no_row"])
async def test_cancel_with_an_unknown_id(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__unknown_id=reading)
    sent = await _scheduled(gateway)
    assert sent.message_id is not None
    if reading == "fault":
        with pytest.raises(GatewayResponseError) as err:
            await gateway.cancel([sent.message_id, "999999"])
        assert not isinstance(err.value, AuthenticationError)
        assert simulator.sim.state.messages[sent.message_id].status == "scheduled"
        return
    results = {r.message_id: r for r in await gateway.cancel([sent.message_id, "999999"])}
    assert results[sent.message_id].canceled
    assert not results["999999"].canceled
    assert results["999999"].error


# --- R7: accents -------------------------------------------------------------------------------


@pytest.mark.parametrize("reading", ["utf8", "latin1"])
async def test_accents_arrive_whatever_the_server_decodes(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__string_encoding=reading)
    text = "Déjà vu: ça coûte 5 € 👋"
    await gateway.send(sms("0791234567", message=text))
    (stored,) = simulator.sim.state.messages.values()
    assert stored.text == text


# --- R8: dest read as a number -----------------------------------------------------------------


@pytest.mark.parametrize("reading", ["string", "int"])
async def test_the_recipient_is_never_another_number(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__dest_type=reading)
    result = await gateway.send(sms("079 123 45 67", "+41 78 765 43 21"))
    assert all(r.accepted for r in result.messages)
    assert {m.recipient for m in simulator.sim.state.messages.values()} == {
        "41791234567",
        "41787654321",
    }


async def test_a_faulting_batch_is_asked_again_for_a_few_ids_only(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """One unknown id faulting a batch of 40 costs 1 + ONE_BY_ONE status requests, not 41."""
    gateway = make_gateway(simulator, session, netoxygen__unknown_id="fault")
    sent = await gateway.send(sms("+41791234567", "+41791234568"))
    known = [m.message_id or "" for m in sent.messages]
    unknown = [f"{900_000 + index}" for index in range(38)]
    simulator.sim.requests.clear()

    reports = await gateway.get_delivery_status([*known, *unknown])

    asked = [r for r in simulator.requests(PATH) if "get_status" in r["body"]]
    assert len(asked) == 1 + ONE_BY_ONE
    by_id = {report.message_id: report.status for report in reports}
    assert set(by_id) == {*known, *unknown}
    assert all(by_id[message_id] is not DeliveryStatus.UNKNOWN for message_id in known)
    assert all(by_id[message_id] is DeliveryStatus.UNKNOWN for message_id in unknown)


# --- R27: the sender (no limit documented; "textobox.ch" is its default) ------------------------


@pytest.mark.parametrize("reading", ["any", "network_rule"])
@pytest.mark.parametrize(
    "sender", ["textobox.ch", "+447911123456789", "Home Alarm", "Maison-Dupont", "Zürich AG"]
)
async def test_any_sender_reaches_the_provider_which_decides(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str, sender: str
) -> None:
    """No local rule: the provider takes it, or refuses it with error 6, in its words."""
    gateway = make_gateway(simulator, session, netoxygen__sender=reading)
    (result,) = (await gateway.send(sms("0791234567", sender=sender))).messages
    if result.accepted:
        (message,) = simulator.sim.state.messages.values()
        assert message.sender == sender
    else:
        assert reading == "network_rule"
        assert (result.error_code, result.status) == ("6", DeliveryStatus.FAILED)
        assert result.error == "Invalid source number (sender)"
        assert simulator.sim.state.messages == {}


# --- R31: the error codes 2-4 and status 7, "the current error code" -----------------------------


@pytest.mark.parametrize("reading", ["transient", "final"])
async def test_a_current_error_is_never_final(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    """2/7 Gateway error is shown unknown, in NetOxygen's words, and followed (may change)."""
    gateway = make_gateway(simulator, session, netoxygen__current_error=reading)
    (sent,) = (await gateway.send(sms("0791232222"))).messages
    message_id = sent.message_id or ""
    simulator.sim.state.messages[message_id].status = "sent"

    (report,) = await gateway.get_delivery_status([message_id])
    assert report.status is DeliveryStatus.UNKNOWN
    assert not report.status.is_final
    assert report.may_change
    assert report.provider_status.startswith("2/7 Gateway error")
    assert "may still change" in report.provider_status

    simulator.sim.state.messages[message_id].status = "delivered"
    (later,) = await gateway.get_delivery_status([message_id])
    expected = DeliveryStatus.DELIVERED if reading == "transient" else DeliveryStatus.UNKNOWN
    assert later.status is expected


# --- R32: FALSE from cancel_message gives no reason ---------------------------------------------


@pytest.mark.parametrize("reading", ["not_scheduled", "any_failure"])
async def test_a_cancel_answered_false_invents_no_reason(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, netoxygen__cancel_false=reading)
    scheduled = await _scheduled(gateway)
    (now,) = (await gateway.send(sms("0791234568"))).messages

    first = await gateway.cancel([scheduled.message_id or "", now.message_id or ""])

    by_id = {result.message_id: result for result in first}
    sent_now = by_id[now.message_id or ""]
    assert sent_now.canceled is False
    assert "no reason" in (sent_now.error or "")
    assert "scheduled message of this account" not in (sent_now.error or "")
    if reading == "any_failure":
        # FALSE although it was scheduled: still scheduled, and a second cancel works.
        assert by_id[scheduled.message_id or ""].canceled is False
        assert simulator.sim.state.messages[scheduled.message_id or ""].status == "scheduled"
        (again,) = await gateway.cancel([scheduled.message_id or ""])
        assert again.canceled is True
    else:
        assert by_id[scheduled.message_id or ""].canceled is True


@given(
    st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
)
def test_a_current_code_is_never_final_nor_failed(sent: int | None, last: int | None) -> None:
    """R31, for any pair of codes: 2-4 (and 7 with OK) are unknown, followed, never failed."""
    status = delivery_status(sent, last)
    if may_change(sent, last):
        assert status is DeliveryStatus.UNKNOWN
        assert not status.is_final
    if sent in (2, 3, 4) or (sent in (None, 1) and last == 7):
        assert may_change(sent, last)
        assert status is not DeliveryStatus.FAILED
