"""The automation blueprints a user imports in one click: they load, and they do what they say."""

from __future__ import annotations

import json
from pathlib import Path
import re
import shutil
from typing import Any
from urllib.parse import parse_qs

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from tests.conftest import RunningSimulator

from .common import ClientFactory, mobyt_pushes, setup_entry, with_fallback
from .conftest import ALICE, BOB, make_entry

ROOT = Path(__file__).parents[2]
FOLDER = ROOT / "blueprints" / "automation" / "sms_gateways"
MANIFEST = json.loads(
    (ROOT / "custom_components" / "sms_gateways" / "manifest.json").read_text(encoding="utf-8")
)
INPUTS = {
    "answer_status.yaml": {"account", "keyword", "entities"},
    "alarm_sms.yaml": {"alarm_panel", "account", "message"},
}
CLOSED = "http://127.0.0.1:9/"
"""Nothing listens on the discard port: every connection is refused, nothing is sent."""


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_blueprint_loads(name: str) -> None:
    """Home Assistant's loader takes it, with the documented inputs and its own address."""
    blueprint = Blueprint(
        load_yaml_dict(str(FOLDER / name)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    assert set(blueprint.inputs) == INPUTS[name]
    assert blueprint.inputs["account"]["selector"] == {
        "config_entry": {"integration": "sms_gateways"}
    }
    repository = MANIFEST["documentation"]
    assert blueprint.metadata["source_url"] == (
        f"{repository}/blob/main/blueprints/automation/sms_gateways/{name}"
    )


def test_every_blueprint_is_tested() -> None:
    assert {path.name for path in FOLDER.glob("*.yaml")} == set(INPUTS)


def test_readme_links_each_blueprint() -> None:
    """The README's import links open Home Assistant's import dialog on each file's raw URL."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(
        r"\(https://my\.home-assistant\.io/redirect/blueprint_import/\?([^)]+)\)", readme
    )
    urls = sorted(parse_qs(query)["blueprint_url"][0] for query in links)
    repository = URL(MANIFEST["documentation"]).path.strip("/")
    raw = f"https://raw.githubusercontent.com/{repository}/main/blueprints/automation/sms_gateways/"
    assert urls == sorted(f"{raw}{name}" for name in INPUTS)


async def _use_blueprint(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    """An automation made from the blueprint, as the UI makes it after the import."""
    target = Path(hass.config.path("blueprints", "automation", "sms_gateways"))

    def copy() -> None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(FOLDER / name, target / name)

    await hass.async_add_executor_job(copy)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {"path": f"sms_gateways/{name}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids("automation"), "the automation was not created"


def _sent(simulator: RunningSimulator, provider: str) -> list[tuple[str, str]]:
    """(recipient, text) of each message the simulated provider took."""
    return [
        (message.recipient, message.text)
        for message in simulator.sim.state.messages.values()
        if message.provider == provider
    ]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_answer_status(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A trusted contact texting the keyword gets the states; a stranger gets nothing."""
    hass.states.async_set("sensor.living_room", "21", {"friendly_name": "Living room"})
    hass.states.async_set(
        "sensor.outside", "3.5", {"friendly_name": "Outside", "unit_of_measurement": "°C"}
    )
    await _use_blueprint(
        hass,
        "answer_status.yaml",
        account=init_integration.entry_id,
        entities=["sensor.living_room", "sensor.outside"],
    )
    client = await hass_client_no_auth()
    for message_id, sender, text in (
        ("1", "+33610765432", "STATUS"),
        ("2", "Alice", "status"),
        ("3", BOB, "statuses"),
        ("4", ALICE, "Status please?"),
    ):
        await mobyt_pushes(hass, client, init_integration, message_id, text, sender=sender)

    assert _sent(simulator, "mobyt") == [(ALICE, "Living room: 21\nOutside: 3.5 °C")]


async def test_alarm_sms_through_the_fallback(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The alarm goes off: every recipient of the account is texted, by its fallback if need be."""
    account, _fallback = await with_fallback(
        hass, simulator, recipients={"Alice": ALICE, "Bob": BOB}
    )
    # Another account's recipients are not texted.
    await setup_entry(hass, make_entry(simulator, "smsfactor", recipients={"Eve": "+33612340001"}))
    hass.states.async_set("alarm_control_panel.home", "armed_away", {"friendly_name": "Home"})
    await _use_blueprint(
        hass,
        "alarm_sms.yaml",
        alarm_panel=["alarm_control_panel.home"],
        account=account.entry_id,
    )
    account.runtime_data.gateway._api_url = CLOSED  # the account's provider cannot be reached

    hass.states.async_set("alarm_control_panel.home", "triggered", {"friendly_name": "Home"})
    await hass.async_block_till_done()

    assert sorted(_sent(simulator, "mobyt")) == [
        (BOB, "Alarm triggered: Home"),
        (ALICE, "Alarm triggered: Home"),
    ]
    assert _sent(simulator, "netoxygen") == []
    assert _sent(simulator, "smsfactor") == []
