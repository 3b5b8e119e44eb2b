"""Sensors and the low-credits binary sensor: registry entries, states, and how they move."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_gateways.const import CONF_LOW_CREDITS_THRESHOLD, DOMAIN
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import ALICE, make_entry


async def _next_credit_check(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-12-07 12:00:00+00:00")  # the parts sent today: since midnight
@pytest.mark.parametrize(
    ("platforms", "provider"),
    [
        # Credits for every provider, per line for Mobyt, and NetOxygen's account status.
        ([Platform.SENSOR], "netoxygen"),
        ([Platform.SENSOR], "smsfactor"),
        ([Platform.SENSOR], "mobyt"),
        ([Platform.SENSOR], "sms123"),
        # The low-credits sensor of each account.
        ([Platform.BINARY_SENSOR], "netoxygen"),
        ([Platform.BINARY_SENSOR], "sms123"),
        # One notify entity per recipient, each the main entity of the recipient's device.
        ([Platform.NOTIFY], "netoxygen"),
    ],
)
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """The registry entries and states of one platform of the account."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_low_credits_threshold(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """The low-credits sensor follows the credits against the threshold of the options."""
    await setup_entry(
        hass, make_entry(simulator, "sms123", options={CONF_LOW_CREDITS_THRESHOLD: 50})
    )
    assert hass.states.get("binary_sensor.123_sms_net_demo_low_credits").state == STATE_OFF

    account = simulator.sim.state.accounts[("sms123", "demo")]
    account.credits = 50
    await _next_credit_check(hass)
    assert hass.states.get("sensor.123_sms_net_demo_credits").state == "50"
    assert hass.states.get("binary_sensor.123_sms_net_demo_low_credits").state == STATE_OFF

    account.credits = 49.5
    await _next_credit_check(hass)
    assert hass.states.get("sensor.123_sms_net_demo_credits").state == "49.5"
    assert hass.states.get("binary_sensor.123_sms_net_demo_low_credits").state == STATE_ON


async def test_smsfactor_credits_survive_a_restart(
    hass: HomeAssistant, simulator: RunningSimulator, hass_storage: dict[str, Any]
) -> None:
    """SMSFactor's credits are known only from sends: the last count is kept across restarts."""
    entry = await setup_entry(hass, make_entry(simulator, "smsfactor", sender="Home"))
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == STATE_UNKNOWN
    assert (
        hass.states.get("binary_sensor.smsfactor_demo_example_com_low_credits").state
        == STATE_UNKNOWN
    )

    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [ALICE], "message": "Hi"},
        blocking=True,
    )
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "99"
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}.credits"]["data"] == {"credits": 99}

    # Restarted (reloaded): the sensor shows the last known count again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "99"
    assert (
        hass.states.get("binary_sensor.smsfactor_demo_example_com_low_credits").state == STATE_OFF
    )


async def test_mobyt_credit_lines_come_and_go(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A credit line that appears gets a sensor; one that disappears shows unknown."""
    await setup_entry(hass, make_entry(simulator, "mobyt"))
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [["N", "FR", 80], ["N", "IT", 10], ["N", "IT", 5], ["EE", "", 50]]
    account.credits = 145
    await _next_credit_check(hass)

    # Two lines of one type and country: separate credits (15) or one pool shown twice; the
    # reading that gives less is shown (R25), and the total counts it once.
    assert hass.states.get("sensor.mobyt_demo_credits").state == "135"
    assert hass.states.get("sensor.mobyt_demo_sms_top_credits_fr").state == "80"
    assert hass.states.get("sensor.mobyt_demo_sms_top_credits_it").state == "5"
    assert hass.states.get("sensor.mobyt_demo_sms_direct_credits_fr").state == STATE_UNKNOWN
    abroad = hass.states.get("sensor.mobyt_demo_sms_abroad_credits")
    assert abroad.state == "50"
    # Named in words, not by Mobyt's code (EE).
    assert abroad.attributes["friendly_name"] == "Mobyt demo SMS abroad credits"


async def test_smsfactor_manual_update_keeps_the_credits(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Asking SMSFactor's sensor to update checks the login and keeps the known credits."""
    entry = await setup_entry(hass, make_entry(simulator, "smsfactor", sender="Home"))
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [ALICE], "message": "Hi"},
        blocking=True,
    )
    requests = len(simulator.requests("/smsfactor/"))
    await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.smsfactor_demo_example_com_credits"},
        blocking=True,
    )
    assert len(simulator.requests("/smsfactor/")) == requests + 1
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "99"
