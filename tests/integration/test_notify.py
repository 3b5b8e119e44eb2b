"""Notify: the recipients' entities and the account's legacy notify service."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.notify import (
    ATTR_DATA,
    ATTR_MESSAGE,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import RunningSimulator

from .conftest import ALICE, BOB, REFUSED, make_entry


def _texts(simulator: RunningSimulator) -> list[tuple[str, str, str | None]]:
    return [
        (message.recipient.lstrip("+"), message.text, message.sender)
        for message in simulator.sim.state.messages.values()
    ]


async def test_send_message_entity(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.send_message reaches the recipient, the title on the first line."""
    assert hass.states.get("notify.netoxygen_demo_alice").state == STATE_UNKNOWN
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {
            ATTR_ENTITY_ID: "notify.netoxygen_demo_alice",
            ATTR_MESSAGE: "The door is open",
            ATTR_TITLE: "Alarm",
        },
        blocking=True,
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.netoxygen_demo_bob", ATTR_MESSAGE: "Hello"},
        blocking=True,
    )
    assert _texts(simulator) == [
        (ALICE.lstrip("+"), "Alarm\nThe door is open", "Home"),
        (BOB.lstrip("+"), "Hello", "Home"),
    ]
    assert hass.states.get("notify.netoxygen_demo_alice").state != STATE_UNKNOWN


async def test_send_message_entity_refused(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A recipient the provider refuses makes the action fail with the reason."""
    entry = make_entry(simulator, "sms123", recipients={"Nobody": REFUSED})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {ATTR_ENTITY_ID: "notify.123_sms_net_demo_nobody", ATTR_MESSAGE: "Hello"},
            blocking=True,
        )
    assert err.value.translation_key == "recipient_refused"


async def test_legacy_service_to_every_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.<account> without a target sends to every recipient of the account."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "netoxygen_demo",
        {ATTR_MESSAGE: "Water leak", ATTR_TITLE: "Cellar"},
        blocking=True,
    )
    assert sorted(_texts(simulator)) == [
        (BOB.lstrip("+"), "Cellar\nWater leak", "Home"),
        (ALICE.lstrip("+"), "Cellar\nWater leak", "Home"),
    ]


async def test_legacy_service_with_target_and_data(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """``target`` picks the numbers; ``data`` carries the sender and send options."""
    send_at = dt_util.now() + timedelta(hours=2)
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "netoxygen_demo",
        {
            ATTR_MESSAGE: "Later",
            ATTR_TARGET: ["+33 6 12 34 56 78"],
            ATTR_DATA: {"sender": "Alarm", "send_at": send_at.isoformat(), "flash": True},
        },
        blocking=True,
    )
    [message] = simulator.sim.state.messages.values()
    assert (message.recipient.lstrip("+"), message.text, message.sender) == (
        BOB.lstrip("+"),
        "Later",
        "Alarm",
    )
    assert message.status == "scheduled"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"color": "red"}, "invalid_notify_data"),
        ({"message_type": "X"}, "invalid_notify_data"),
        ({"bookmark_url": "https://example.com"}, "option_not_supported"),
    ],
)
async def test_legacy_service_bad_data(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    data: dict[str, str],
    key: str,
) -> None:
    """Unknown or invalid ``data`` is refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            "netoxygen_demo",
            {ATTR_MESSAGE: "Hi", ATTR_DATA: data},
            blocking=True,
        )
    assert err.value.translation_key == key
    assert simulator.sim.state.messages == {}


async def test_legacy_service_without_recipients(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """No target and no recipient: nothing to send to, and it is said so."""
    entry = make_entry(simulator, "mobyt")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN, "mobyt_demo", {ATTR_MESSAGE: "Hi"}, blocking=True
        )
    assert err.value.translation_key == "no_recipients"
