"""Entries stored by an older version are brought to the current form when they load."""

from __future__ import annotations

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.config_flow import SmsGatewaysConfigFlow
from custom_components.sms_gateways.const import (
    CONF_MESSAGE_TYPE,
    CONF_SCAN_INTERVAL,
    CONF_SENDER,
    DOMAIN,
)
from tests.conftest import RunningSimulator

from .common import call_action, setup_entry
from .conftest import ALICE, make_entry


@pytest.mark.parametrize(("stored", "migrated"), [("N", "n"), ("L", "l"), ("n", "n")])
async def test_message_type_option_lowercased(
    hass: HomeAssistant, simulator: RunningSimulator, stored: str, migrated: str
) -> None:
    """A 1.1 entry's Mobyt message type becomes the selector's key; Mobyt still gets N/L."""
    entry = make_entry(
        simulator, "mobyt", options={CONF_MESSAGE_TYPE: stored, CONF_SCAN_INTERVAL: 30}
    )
    assert (entry.version, entry.minor_version) == (1, 1)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (
        SmsGatewaysConfigFlow.VERSION,
        SmsGatewaysConfigFlow.MINOR_VERSION,
    )
    assert entry.options == {CONF_MESSAGE_TYPE: migrated, CONF_SCAN_INTERVAL: 30}
    sender = {"sender": "Home"} if migrated == "n" else {}
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi", **sender)
    request = simulator.requests("/mobyt/Mobyt/SENDSMS")[-1]
    assert f"message_type={migrated.upper()}" in str(request)


@pytest.mark.parametrize("given", ["N", "n", "L", "l"])
async def test_action_accepts_both_cases(
    hass: HomeAssistant, simulator: RunningSimulator, given: str
) -> None:
    """``message_type`` of an action may be written as before (N/L) or as the selector gives it."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    sender = {"sender": "Home"} if given in "Nn" else {}
    await call_action(
        hass, entry, "send_sms", recipients=[ALICE], message="Hi", message_type=given, **sender
    )
    request = simulator.requests("/mobyt/Mobyt/SENDSMS")[-1]
    assert f"message_type={given.upper()}" in str(request)


async def test_newer_entry_is_not_loaded(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """An entry stored by a newer major version is left alone, not misread."""
    entry = make_entry(simulator, "netoxygen")
    future = MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        version=2,
    )
    future.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(future.entry_id)
    assert future.state is ConfigEntryState.MIGRATION_ERROR


@pytest.mark.parametrize(
    ("data", "options", "migrated"),
    [
        ({CONF_SENDER: "Home"}, {}, {CONF_SENDER: "Home"}),
        ({}, {CONF_SCAN_INTERVAL: 30}, {CONF_SCAN_INTERVAL: 30}),
        ({CONF_SENDER: ""}, {}, {}),
        # A sender saved in the options had already replaced the one given at setup.
        ({CONF_SENDER: "Home"}, {CONF_SENDER: "Alarm"}, {CONF_SENDER: "Alarm"}),
        ({CONF_SENDER: "Home"}, {CONF_SENDER: ""}, {CONF_SENDER: ""}),
    ],
)
async def test_sender_moves_to_the_options(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    data: dict[str, str],
    options: dict[str, object],
    migrated: dict[str, object],
) -> None:
    """A 1.2 entry's sender given at setup becomes an option, and the SMS still carry it."""
    current = make_entry(simulator, "netoxygen")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=current.title,
        unique_id=current.unique_id,
        data={**current.data, **data},
        options=options,
        version=1,
        minor_version=2,
    )
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == SmsGatewaysConfigFlow.MINOR_VERSION == 3
    assert entry.options == migrated
    assert entry.data == current.data
    await hass.services.async_call(
        NOTIFY_DOMAIN, "netoxygen_demo", {"message": "Hi", "target": [ALICE]}, blocking=True
    )
    [message] = simulator.sim.state.messages.values()
    # Without a sender NetOxygen uses its default, "textobox.ch" (the doc).
    assert message.sender == (migrated.get(CONF_SENDER) or "textobox.ch")
