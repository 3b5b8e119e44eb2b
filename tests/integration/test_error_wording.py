"""What the user reads when a provider or a local check refuses: the rule, not a generic error.

Each case is reached through an action against the simulator over real HTTP.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from tests.conftest import RunningSimulator

from .common import call_action, send_sms, setup_entry
from .conftest import ALICE, make_entry


async def test_mobyt_type_n_without_a_sender_says_it_needs_one(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Mobyt's custom-sender type with no sender: the provider's rule, quoted; nothing sent."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    with pytest.raises(ServiceValidationError) as err:
        await send_sms(hass, entry, ALICE, message="Hi", message_type="n")
    assert err.value.translation_key == "invalid_sender"
    assert "needs a sender" in err.value.translation_placeholders["error"]
    assert simulator.requests("/mobyt/Mobyt/SENDSMS") == []


async def test_a_message_the_provider_refuses_is_said_refused(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """SMSFactor counting septets refuses 1,120 characters with €: "refused", with its words.

    The local check counts characters (the doc's reading), so the provider has the last word;
    its refusal is no input error of the user's, and nothing is left to send again.
    """
    simulator.play(smsfactor__text_limit="septets")
    entry = await setup_entry(hass, make_entry(simulator, "smsfactor", sender="Home"))
    with pytest.raises(HomeAssistantError) as err:
        await send_sms(hass, entry, ALICE, message="€" * 600 + "a" * 520)
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "rejected"
    assert "refused" in err.value.translation_placeholders["error"]
    assert simulator.sim.state.messages == {}


async def test_an_unreadable_status_answer_is_an_invalid_response(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A garbled answer to a delivery status query: "invalid response", quoting what failed."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt", sender="Home"))
    [sent] = (await send_sms(hass, entry, ALICE, message="Hi"))["messages"]
    simulator.fault("/mobyt/Mobyt/SMSSTATUS", "malformed")
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, entry, "get_delivery_status", message_ids=[sent["message_id"]])
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "invalid_response"
    assert err.value.translation_placeholders["provider"] == "Mobyt"
