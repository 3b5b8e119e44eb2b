"""What a new user reads: the webhook URL only where the provider pushes, distinct icons, titles."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

PACKAGE = Path(__file__).parents[2] / "custom_components" / "sms_gateways"
STRINGS = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
ICONS = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))
TITLES = {
    "netoxygen": "NetOxygen",
    "smsfactor": "SMSFactor",
    "mobyt": "Mobyt",
    "sms123": "123-SMS.net",
}


@pytest.mark.parametrize("provider", list(TITLES))
async def test_options_show_the_webhook_only_where_the_provider_pushes(
    hass: HomeAssistant, init_integration: MockConfigEntry, provider: str
) -> None:
    """SMSFactor and Mobyt push: the URL, in a sentence naming that provider alone."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    step = STRINGS["options"]["step"][provider]
    placeholders = result["description_placeholders"] or {}
    assert placeholders["provider"] == TITLES[provider]
    assert step["title"].format(**placeholders) == f"{TITLES[provider]} account options"
    others = [title for key, title in TITLES.items() if key != provider]
    if provider in ("smsfactor", "mobyt"):
        assert "/api/webhook/" in placeholders["webhook_url"]
        text = step["description"].format(**placeholders)
        assert TITLES[provider] in text
        assert not any(other in text for other in others)
    else:
        assert "description" not in step
        assert "webhook_url" not in placeholders
    # Every field of the provider's form has its label and help, and no other field has.
    fields = [str(key) for key in result["data_schema"].schema]
    assert list(step["data"]) == fields
    assert list(step["data_description"]) == fields
    # The helps speak of this provider only; the sender is required by SMSFactor alone.
    assert not any(other in text for text in step["data_description"].values() for other in others)
    sender_help = step["data_description"]["sender"]
    assert ("Required" in sender_help) is (provider == "smsfactor")
    for marker in result["data_schema"].schema:
        if str(marker) == "sender":
            assert isinstance(marker, probatio.Required) is (provider == "smsfactor")
    assert STRINGS["config"]["step"][provider]["data_description"]["sender"] == sender_help
    # Either form takes the options back.
    options = {"sender": "", "message_type": "l"} if provider == "mobyt" else {"sender": "Home"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY


def test_setup_text_names_one_provider() -> None:
    """The text at the end of the setup does not list the providers that push."""
    for text in STRINGS["config"]["create_entry"].values():
        assert not any(title in text for title in TITLES.values())


def test_own_texts_for_reauth_and_reconfigure() -> None:
    """Reauth and reconfigure end with what happened, not Home Assistant's generic words."""
    aborts = STRINGS["config"]["abort"]
    assert aborts["reconfigure_successful"] != "Re-configuration was successful"
    assert "checked with the provider" in aborts["reconfigure_successful"]
    assert "checked with the provider" in aborts["reauth_successful"]


def test_entities_have_distinct_icons() -> None:
    """The low-credits sensor, the delivery event and a delivered status look different."""
    entities = ICONS["entity"]
    low_credits_off = entities["binary_sensor"]["low_credits"]["state"]["off"]
    delivered = entities["sensor"]["last_delivery_status"]["state"]["delivered"]
    delivery_event = entities["event"]["delivery_status"]["default"]
    assert len({low_credits_off, delivered, delivery_event}) == 3
    assert entities["binary_sensor"]["low_credits"]["default"] not in {
        entities["sensor"]["last_delivery_status"]["state"]["failed"]
    }
    assert set(STRINGS["entity"]["sensor"]) <= set(entities["sensor"])
