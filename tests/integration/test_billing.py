"""What ``send_sms`` reports as segments is what the provider bills (the simulator's own count)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import RunningSimulator

from .common import send_sms
from .conftest import ALICE

TEXTS = {
    "160 GSM": "a" * 160,
    "161 GSM": "a" * 161,
    "escape pair at a part boundary": "a" * 152 + "€" + "a" * 10,
    "157 + two escapes": "a" * 157 + "€€",
    "capital Ç is GSM": "Ç" * 160,
    "lowercase ç is not": "ç" * 100,
    "emoji": "Alarm 🚨" * 12,
    "surrogate pair at a part boundary": "a" * 66 + "😀" + "a" * 5,
    "Mobyt's doubled characters, 80": ("^{}\\[~]|€" * 9)[:80],
    "Mobyt's doubled characters, 81": ("^{}\\[~]|€" * 9)[:81],
    "two parts of 153, then a third": "a" * 307,
    "UCS-2 parts of 67, then a third": "ж" * 135,
    "SMSFactor's ë => e": "Noël " * 40,
}


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
async def test_reported_segments_are_billed(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
    text: str,
) -> None:
    """The simulator bills per GSM 03.38 on its own; the response says the same count."""
    response = await send_sms(hass, init_integration, ALICE, message=text)
    billed = [m.segments for m in simulator.sim.state.messages.values() if m.provider == provider]
    assert billed == [response["segments"]]


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
@pytest.mark.parametrize("cedilla", ["ucs2", "gsm"])
async def test_lowercase_c_cedilla_never_costs_more_than_said(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
    cedilla: str,
) -> None:
    """R28: billed as UCS-2 or as GSM's ``Ç``, a lowercase ``ç`` never costs more than said.

    The count is the safe one (UCS-2): a provider that maps ``ç`` to ``Ç`` bills fewer parts.
    """
    simulator.play(**{f"{provider}__cedilla": cedilla})
    response = await send_sms(hass, init_integration, ALICE, message="ç" * 100)
    assert response["segments"] == 2
    billed = [m.segments for m in simulator.sim.state.messages.values() if m.provider == provider]
    assert billed == [2 if cedilla == "ucs2" else 1]
