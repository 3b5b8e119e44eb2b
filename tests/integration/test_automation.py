"""Automations built from the UI: triggered by a received SMS or a failed delivery, end to end.

The simulator pushes to the webhook of the running test instance over real HTTP, as the provider
would, and the automation runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.sms_gateways.const import EVENT_INBOUND_SMS
from tests.conftest import RunningSimulator

from .common import (
    ClientFactory,
    call_action,
    control,
    entity_id_of,
    push_to_home_assistant,
)
from .conftest import ALICE

FAILING = "+33612340000"
AUTOMATION_DOMAIN = "automation"


async def _automations(hass: HomeAssistant, *configs: dict[str, Any]) -> list[ServiceCall]:
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: list(configs)})
    await hass.async_block_till_done()
    return calls


async def _on_delivery_failure(hass: HomeAssistant, entry: MockConfigEntry) -> list[ServiceCall]:
    """An automation that says who did not get a message, run by the delivery status event."""
    return await _automations(
        hass,
        _on_event_entity(
            entity_id_of(hass, entry, "event", "delivery_status"),
            "failed",
            {"text": "Not delivered to {{ trigger.to_state.attributes.recipient }}"},
        ),
    )


def _on_event_entity(entity_id: str, event_type: str, data: dict[str, str]) -> dict[str, Any]:
    """What the UI builds for "when this event entity receives this event type"."""
    return {
        "alias": f"{entity_id} {event_type}",
        "triggers": [
            {
                "trigger": "event.received",
                "target": {"entity_id": entity_id},
                "options": {"event_type": [event_type]},
            }
        ],
        "actions": [{"action": "test.automation", "data": data}],
    }


@pytest.mark.parametrize("provider", ["smsfactor", "mobyt"])
async def test_received_sms_runs_the_automation(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    provider: str,
) -> None:
    """End to end: an SMS the provider pushes runs the automations, once each.

    One is on the event entity (as the UI builds it), one on the bus event.
    """
    entity_id = entity_id_of(hass, init_integration, "event", "inbound_sms")
    calls = await _automations(
        hass,
        _on_event_entity(
            entity_id,
            "received",
            {
                "via": "entity",
                "text": "{% set sms = trigger.to_state.attributes %}"
                "{{ sms.sender }} at {{ sms.received_at }}: {{ sms.message }}",
            },
        ),
        {
            "triggers": [{"trigger": "event", "event_type": EVENT_INBOUND_SMS}],
            "actions": [
                {
                    "action": "test.automation",
                    "data": {
                        "via": "bus",
                        "text": "{% set sms = trigger.event.data %}"
                        "{{ sms.sender }} at {{ sms.received_at }}: {{ sms.message }}",
                    },
                }
            ],
        },
    )
    await push_to_home_assistant(simulator, init_integration, hass_client_no_auth)

    answer = await control(
        session,
        simulator,
        "inbound",
        provider=provider,
        username=init_integration.data["username"],
        sender="+33610765432",
        recipient="+33757000001",
        text="Chauffage on",
        received_at="2024-01-15T08:30:00+01:00",
    )
    assert answer["pushed"] == 200
    await hass.async_block_till_done()

    text = "+33610765432 at 2024-01-15T08:30:00+01:00: Chauffage on"
    assert sorted((call.data["via"], call.data["text"]) for call in calls) == [
        ("bus", text),
        ("entity", text),
    ]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_pushed_delivery_failure_runs_the_automation(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """End to end: Mobyt pushes each status change; a failed delivery runs the automation."""
    calls = await _on_delivery_failure(hass, init_integration)
    await push_to_home_assistant(simulator, init_integration, hass_client_no_auth)
    await call_action(
        hass, init_integration, "send_sms", recipients=[ALICE, FAILING], message="Alarm"
    )
    await control(session, simulator, "advance", steps=2)
    await hass.async_block_till_done()

    assert [call.data["text"] for call in calls] == [f"Not delivered to {FAILING}"]
    sensor = hass.states.get(entity_id_of(hass, init_integration, "sensor", "last_delivery_status"))
    assert sensor is not None
    assert sensor.state in ("delivered", "failed")
    tracker = init_integration.runtime_data.tracker
    assert tracker.pending == {}


@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_polled_delivery_failure_runs_the_automation(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Where the provider does not push, polling finds the failure and the automation runs."""
    calls = await _on_delivery_failure(hass, init_integration)
    await call_action(hass, init_integration, "send_sms", recipients=[FAILING], message="Hi")
    await control(session, simulator, "advance", steps=2)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.data["text"] for call in calls] == [f"Not delivered to {FAILING}"]
