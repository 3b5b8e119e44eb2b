"""The 123-SMS adapter under the readings of R24, R26, R27 and R33, against the simulator.

Whichever reading the real server plays: a recipient that may have been sent is never refused
nor sent again, a cancel whose answer does not say is never "not cancelled", a balance is read
where the reply can only be one, and the sender is held to the doc's length only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.sms_gateways.gateways import (
    DeliveryStatus,
    InvalidSenderError,
    OutgoingSms,
    SendOutcomeUnknownError,
    Sms123Gateway,
)
from tests.conftest import RunningSimulator
from tests.gateways.calls import refused_before_sending

SEND = "/sms123/api/send/"
TECHNICAL = "+33612342020"  # the simulator answers -2 for it (R24)
BLOCKED = "+33612341010"  # the simulator answers 101 for it (R33)


@pytest.fixture
async def gateway(simulator: RunningSimulator, session: aiohttp.ClientSession) -> Sms123Gateway:
    ready = simulator.gateway(Sms123Gateway, session)
    await ready.validate_credentials()
    simulator.sim.requests.clear()
    return ready


def sms(*recipients: str, **kwargs: Any) -> OutgoingSms:
    return OutgoingSms(recipients=recipients, message="Alarm: door open", **kwargs)


def sent_to(simulator: RunningSimulator) -> list[str]:
    return sorted(message.recipient for message in simulator.sim.state.messages.values())


# --- R24: -2 "Erreur technique"; R33: 101 "Info" -------------------------------------------------


@pytest.mark.parametrize("played", ["not_sent", "sent"])
@pytest.mark.parametrize(
    ("number", "point", "code"),
    [(TECHNICAL, "technical_error", "-2"), (BLOCKED, "info_101", "101")],
)
async def test_a_later_recipient_that_may_have_been_sent_is_never_refused(
    simulator: RunningSimulator,
    gateway: Sms123Gateway,
    number: str,
    point: str,
    *,
    code: str,
    played: str,
) -> None:
    """The one convention: accepted, status unknown, the provider's words; sent once only."""
    simulator.play(**{f"sms123__{point}": played})

    result = await gateway.send(sms("+33612345601", number, "+33612345602"))

    first, maybe, last = result.messages
    assert first.accepted
    assert last.accepted
    assert (maybe.accepted, maybe.status, maybe.error_code) == (True, DeliveryStatus.UNKNOWN, code)
    assert maybe.may_have_been_sent
    assert maybe not in result.refused
    assert "may have been sent" in (maybe.error or "")
    assert ("Erreur technique" if code == "-2" else "bloqué") in (maybe.error or "")
    # Each number was asked once: nothing is sent again.
    numbers = [request["body"] for request in simulator.requests(SEND)]
    assert len(numbers) == 3
    expected = ["+33612345601", "+33612345602"] + ([number] if played == "sent" else [])
    assert sent_to(simulator) == sorted(expected)


@pytest.mark.parametrize("played", ["not_sent", "sent"])
async def test_a_technical_error_for_the_first_recipient_stops_there(
    simulator: RunningSimulator, gateway: Sms123Gateway, played: str
) -> None:
    simulator.play(sms123__technical_error=played)
    with pytest.raises(SendOutcomeUnknownError) as caught:
        await gateway.send(sms(TECHNICAL, "+33612345601"))
    assert caught.value.provider_code == "-2"
    assert "may have been sent" in str(caught.value)
    assert "1 other recipient(s) were not tried" in str(caught.value)
    assert len(simulator.requests(SEND)) == 1


@pytest.mark.parametrize("played", ["not_sent", "sent"])
async def test_info_101_for_the_first_recipient_does_not_stop_the_others(
    simulator: RunningSimulator, gateway: Sms123Gateway, played: str
) -> None:
    """101 is about one number, not the account: the others are sent."""
    simulator.play(sms123__info_101=played)
    result = await gateway.send(sms(BLOCKED, "+33612345601"))
    assert [(m.accepted, m.status) for m in result.messages] == [
        (True, DeliveryStatus.UNKNOWN),
        (True, DeliveryStatus.SENT),
    ]


# --- R33: a bare balance that equals a code ------------------------------------------------------


@pytest.mark.parametrize("amount", [82, 87, 88, 501, 502, 505, 94])
@pytest.mark.parametrize("body", ["bare", "json", "xml"])
async def test_a_balance_that_equals_a_code_is_a_balance(
    simulator: RunningSimulator, session: aiohttp.ClientSession, amount: int, body: str
) -> None:
    """solde/ can only answer a balance or its own codes (-1, -2, -3, E501, E502, E505)."""
    simulator.play(sms123__reply_body=body)
    simulator.sim.state.accounts[("sms123", "demo")].credits = amount
    gateway = Sms123Gateway(
        session, username="demo", password="demo-password", api_url=simulator.api_url("sms123")
    )
    assert (await gateway.get_balance()).total == amount
    assert (await gateway.validate_credentials()).balance.total == amount  # type: ignore[union-attr]


# --- R26: a cancel whose answer does not say -----------------------------------------------------


@pytest.mark.parametrize(
    ("played", "canceled"),
    [("documented", True), ("technical_error", None), ("undocumented", None), ("unreadable", None)],
)
async def test_a_cancel_is_unknown_unless_the_answer_says(
    simulator: RunningSimulator,
    gateway: Sms123Gateway,
    played: str,
    canceled: bool | None,
) -> None:
    simulator.play(sms123__cancel_answer=played)
    when = datetime.now(UTC) + timedelta(hours=3)
    (scheduled,) = (await gateway.send(sms("+33612345601", send_at=when))).messages

    (result,) = await gateway.cancel([scheduled.message_id or ""])

    assert result.canceled is canceled
    if canceled is None:
        assert "does not say whether it was cancelled" in (result.error or "")
        assert result.created is None
    # Never a second message: the cancel made at most the one request.
    assert len(simulator.requests(SEND)) == 2
    assert len(simulator.sim.state.messages) == 1


# --- R27: "il ne doit pas dépasser 11 caractères" ------------------------------------------------


@pytest.mark.parametrize("played", ["length", "alphanumeric"])
@pytest.mark.parametrize("sender", ["My Home", "Café & Co", "+Maison"])
async def test_a_sender_within_the_length_reaches_123sms_which_decides(
    simulator: RunningSimulator, gateway: Sms123Gateway, played: str, sender: str
) -> None:
    simulator.play(sms123__sender=played)
    if played == "length":
        result = await gateway.send(sms("+33612345601", sender=sender))
        assert result.messages[0].accepted
        (message,) = simulator.sim.state.messages.values()
        assert message.sender == sender
    else:
        with pytest.raises(InvalidSenderError) as caught:
            await gateway.send(sms("+33612345601", sender=sender))
        assert caught.value.provider_code == "97"


@pytest.mark.parametrize("sender", ["TwelveChars1", "+33612345678", "Maison Dupont"])
async def test_a_sender_over_eleven_characters_is_refused_before_sending(
    simulator: RunningSimulator, gateway: Sms123Gateway, sender: str
) -> None:
    refused = gateway.send(sms("+33612345601", sender=sender))
    err = await refused_before_sending(simulator, InvalidSenderError, refused)
    assert (err.reason, err.limit) == (InvalidSenderError.TOO_LONG, 11)
