"""The device trigger "an SMS from a trusted contact", as the UI offers and runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.device_trigger import contains_word
from tests.conftest import RunningSimulator

from .common import ClientFactory, mobyt_receives, push_to_home_assistant, setup_entry
from .conftest import ALICE, BOB, make_entry

STRANGER = "+33610765432"

type PushedSms = Callable[[str, str], Awaitable[int]]


@pytest.fixture
async def pushed_sms(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> PushedSms:
    """An SMS Mobyt receives for the set-up account (text, sender), pushed to its webhook."""
    await push_to_home_assistant(simulator, init_integration, hass_client_no_auth)
    return partial(mobyt_receives, session, simulator)


def _account_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    return device


async def _our_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The device's triggers of this integration (its entities' state triggers left out)."""
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device_id)
    return [trigger for trigger in triggers if trigger["domain"] == DOMAIN]


def _recipient_device(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{entry.entry_id}_recipient_{name.lower()}"), entry.entry_id
    )
    assert device is not None
    return device


def _trigger(device_id: str, **extra: str) -> dict[str, Any]:
    """What the UI stores for the trigger."""
    return {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device_id,
        "type": "trusted_sms",
        **extra,
    }


async def _automation(
    hass: HomeAssistant, device_id: str, trigger_type: str = "trusted_sms", **extra: str
) -> list[ServiceCall]:
    """An automation built in the UI on the trigger; the calls its action makes."""
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [_trigger(device_id, **extra) | {"type": trigger_type}],
                "actions": [
                    {
                        "action": "test.automation",
                        "data": {
                            "text": "{{ trigger.event.data.contact }}: "
                            "{{ trigger.event.data.message }}"
                        },
                    }
                ],
            }
        },
    )
    await hass.async_block_till_done()
    return calls


@pytest.mark.parametrize("provider", ["mobyt", "smsfactor"])
async def test_the_devices_offer_the_triggers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The account has "from a trusted contact"; each recipient "from this contact"."""
    device = _account_device(hass, init_integration)
    assert await _our_triggers(hass, device.id) == [{**_trigger(device.id), "metadata": {}}]
    recipients = {
        other.name: await _our_triggers(hass, other.id)
        for other in dr.async_entries_for_config_entry(
            dr.async_get(hass), init_integration.entry_id
        )
        if other.id != device.id
    }
    assert recipients == {
        f"{init_integration.title} {name}": [
            {**_trigger(_recipient_device(hass, init_integration, name).id), "metadata": {}}
            | {"type": "contact_sms"}
        ]
        for name in ("Alice", "Bob")
    }


@pytest.mark.parametrize("provider", ["netoxygen", "sms123"])
async def test_no_trigger_where_the_provider_cannot_receive(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """NetOxygen and 123-SMS.net deliver no received SMS: no trigger is offered."""
    device = _account_device(hass, init_integration)
    assert await _our_triggers(hass, device.id) == []


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_the_word_is_an_optional_field(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The UI shows one optional text field, ``containing``."""
    assert await async_setup_component(hass, "device_automation", {})
    device = _account_device(hass, init_integration)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "device_automation/trigger/capabilities", "trigger": _trigger(device.id)}
    )
    answer = await client.receive_json()
    assert answer["success"]
    assert answer["result"] == {
        "extra_fields": [
            {"name": "containing", "optional": True, "required": False, "type": "string"}
        ]
    }


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_pushed_sms_from_trusted_contacts_only(
    hass: HomeAssistant, init_integration: MockConfigEntry, pushed_sms: PushedSms
) -> None:
    """A pushed SMS from a recipient, with the word, runs the automation; a stranger's never."""
    device = _account_device(hass, init_integration)
    calls = await _automation(hass, device.id, containing="status")

    await pushed_sms("STATUS", STRANGER)
    await pushed_sms("Status please", ALICE)
    await pushed_sms("statuses", BOB)
    await pushed_sms("disarm the alarm", BOB)
    await pushed_sms("STATUS?", BOB)
    await pushed_sms("STATUS", "Bob")
    await hass.async_block_till_done()

    assert [call.data["text"] for call in calls] == ["Alice: Status please", "Bob: STATUS?"]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_answer_one_contact_without_templates(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    pushed_sms: PushedSms,
) -> None:
    """On Alice's device: her SMS with the word is answered through her notify entity.

    Built in the UI with no template at all; Bob, a trusted contact too, does not run it.
    """
    alice = _recipient_device(hass, init_integration, "Alice")
    notify_alice = next(
        entity.entity_id
        for entity in er.async_entries_for_device(er.async_get(hass), alice.id)
        if entity.domain == "notify"
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [_trigger(alice.id, containing="STATUS") | {"type": "contact_sms"}],
                "actions": [
                    {
                        "action": "notify.send_message",
                        "target": {"entity_id": notify_alice},
                        "data": {"message": "All is well"},
                    }
                ],
            }
        },
    )
    await hass.async_block_till_done()

    await pushed_sms("status", BOB)
    await pushed_sms("status", STRANGER)
    await pushed_sms("Status?", ALICE)
    await hass.async_block_till_done()

    sent = [
        (message.recipient, message.text)
        for message in simulator.sim.state.messages.values()
        if message.provider == "mobyt"
    ]
    assert sent == [(ALICE, "All is well")]


async def test_polled_sms_without_a_word(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polled SMS run it too; with no word, every SMS of a recipient, of this account only."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt", recipients={"Alice": ALICE}))
    other = await setup_entry(hass, make_entry(simulator, "smsfactor", recipients={"Alice": ALICE}))
    await hass.async_block_till_done(wait_background_tasks=True)
    calls = await _automation(hass, _account_device(hass, entry).id)

    await mobyt_receives(session, simulator, "Hello", ALICE)
    await mobyt_receives(session, simulator, "Hello", STRANGER)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.data["text"] for call in calls] == ["Alice: Hello"]

    # The same contact writing to another account does not run it.
    hass.bus.async_fire(
        "sms_gateways_inbound_sms",
        {"config_entry_id": other.entry_id, "message": "Hi", "contact": "Alice", "trusted": True},
    )
    await hass.async_block_till_done()
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("message", "word", "found"),
    [
        ("STATUS", "status", True),
        ("Status?", "STATUS", True),
        ("what is the status, please", "status", True),
        ("statuses", "status", False),
        ("disarm", "arm", False),
        ("alarm", "arm", False),
        ("arm away now", "Arm Away", True),
        ("GRÜSSE", "grüße", True),
        ("chauffage à 20°", "20°", True),
        ("anything", "", True),
        ("anything", "  ", True),
        ("", "status", False),
        ("a . b", ".", True),
        ("a.b", ".", False),
    ],
)
def test_contains_word(message: str, word: str, found: bool) -> None:
    """A whole word or phrase, whatever its case; special characters are plain text."""
    assert contains_word(message, word) is found


@given(st.text(max_size=30), st.text(max_size=10), st.text(max_size=30))
def test_a_word_between_spaces_is_always_found(before: str, word: str, after: str) -> None:
    """Any word set apart by spaces is found, in any case; looking never fails."""
    assert contains_word(f"{before} {word.upper()} {after}", word) or not word.strip()
    contains_word(before, word)
