"""Devices that offer no SMS trigger, and a trigger saved for the wrong device."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.device_trigger import async_get_triggers
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import ALICE, make_entry
from .test_device_trigger import _automation


def _device_of(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
    assert device is not None
    return device


async def test_no_trigger_for_devices_that_are_not_ours(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """An unknown device, another integration's, one of ours that is neither account nor contact."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    registry = dr.async_get(hass)
    foreign = registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "lamp")}
    )
    stray = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "something else")}
    )
    assert await async_get_triggers(hass, "no such device") == []
    assert await async_get_triggers(hass, foreign.id) == []
    assert await async_get_triggers(hass, stray.id) == []


async def test_no_contact_trigger_for_a_number_that_cannot_send(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A recipient whose number could never be an SMS's sender offers no "from this contact"."""
    entry = await setup_entry(
        hass, make_entry(simulator, "mobyt", recipients={"Alice": ALICE, "Typo": "12ab"})
    )
    alice = _device_of(hass, entry, f"{entry.entry_id}_recipient_alice")
    typo = _device_of(hass, entry, f"{entry.entry_id}_recipient_typo")
    assert [t["type"] for t in await async_get_triggers(hass, alice.id)] == ["contact_sms"]
    assert await async_get_triggers(hass, typo.id) == []


async def test_a_trigger_the_device_does_not_have_attaches_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A "from this contact" trigger saved for the account's device: said, never run."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    account = _device_of(hass, entry, entry.entry_id)
    calls = await _automation(hass, account.id, "contact_sms")
    assert f"Device {account.id} has no trigger contact_sms" in caplog.text
    assert not calls
