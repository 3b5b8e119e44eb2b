"""Setup, retry, reauth and unload of an entry; the legacy notify service's lifecycle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_NAME, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import CONF_API_URL, DOMAIN
from custom_components.sms_gateways.gateways import AccessDeniedError, GatewayError
from tests.conftest import RunningSimulator

from .common import flow_sources
from .conftest import make_entry

UNREACHABLE = "http://127.0.0.1:9/"


async def _next_credit_check(hass: HomeAssistant) -> None:
    """Let the default polling interval (an hour) pass."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Each provider's demo account loads with its notify service, and unloads without a trace."""
    entry = init_integration
    service = slugify(entry.title)
    assert entry.state is ConfigEntryState.LOADED
    notify_services = hass.services.async_services_for_domain(NOTIFY_DOMAIN)
    assert {service, DOMAIN} <= set(notify_services)
    assert f"{DOMAIN}_{service}_alice" not in notify_services  # the recipient's entity serves it

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # The services stay while the entry exists: a call says it is not loaded, never nothing.
    assert {service, DOMAIN} <= set(hass.services.async_services_for_domain(NOTIFY_DOMAIN))
    assert all(
        state.state == STATE_UNAVAILABLE
        for state in hass.states.async_all()
        if state.entity_id.split(".")[0] in ("sensor", "binary_sensor", "notify")
    )

    # Loaded again, the same service comes back (once).
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert service in hass.services.async_services_for_domain(NOTIFY_DOMAIN)


async def test_provider_unreachable(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Unreachable at start: the entry loads, its credits come when the provider answers."""
    entry = make_entry(simulator, "mobyt", **{CONF_API_URL: UNREACHABLE})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.mobyt_demo_credits").state == STATE_UNAVAILABLE
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    # Asked again soon (not an hour later), and again, until it answers.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.mobyt_demo_credits").state == STATE_UNAVAILABLE
    entry.runtime_data.gateway._api_url = simulator.api_url("mobyt")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=95))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.mobyt_demo_credits").state == "250"


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
async def test_credentials_refused(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """Refused credentials ask the user to re-authenticate; the entry stays loaded meanwhile.

    Its sends still go to its fallback account, or fail with the provider's refusal.
    """
    entry = make_entry(simulator, provider, password="wrong-password")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.coordinator.answered
    assert flow_sources(hass) == [SOURCE_REAUTH]


async def test_credentials_refused_later(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A password changed at the provider is noticed at the next credit check."""
    simulator.sim.state.accounts[("netoxygen", "demo")].password = "changed"
    await _next_credit_check(hass)
    assert flow_sources(hass) == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http500", "Could not get the credits of NetOxygen demo from NetOxygen"),
        ("malformed", "NetOxygen gave an answer that could not be read"),
    ],
)
async def test_provider_down_later(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    message: str,
) -> None:
    """The sensors go unavailable while the provider is down, and come back."""
    assert hass.states.get("sensor.netoxygen_demo_credits").state == "100"
    simulator.fault("/netoxygen/api2/", fault)
    await _next_credit_check(hass)
    assert hass.states.get("sensor.netoxygen_demo_credits").state == STATE_UNAVAILABLE
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.last_exception is not None
    assert str(coordinator.last_exception).startswith(message)

    await _next_credit_check(hass)
    assert hass.states.get("sensor.netoxygen_demo_credits").state == "100"


async def test_no_credits_repair_issue(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An account with no credits raises a repair issue, gone when credits are back."""
    entry = make_entry(simulator, "sms123", username="empty", password="empty-password")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "no_credits"
    assert issue.translation_placeholders == {"account": "123-SMS.net empty"}

    simulator.sim.state.accounts[("sms123", "empty")].credits = 50
    await _next_credit_check(hass)
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry.entry_id}") is None

    simulator.sim.state.accounts[("sms123", "empty")].credits = 0
    await _next_credit_check(hass)
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry.entry_id}") is not None

    # Unloading the entry takes its issue with it.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry.entry_id}") is None


async def test_notify_service_name_taken(
    hass: HomeAssistant, simulator: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry whose title's service already exists does not take it over."""
    first = make_entry(simulator, "netoxygen")
    second = make_entry(simulator, "mobyt")
    first.add_to_hass(hass)
    await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    second.add_to_hass(hass)
    hass.config_entries.async_update_entry(second, title=first.title)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert "notify.netoxygen_demo already exists" in caplog.text
    assert caplog.text.count("already exists") == 1

    # Removing the second entry leaves the first one's service alone.
    assert await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY_DOMAIN, "netoxygen_demo")
    assert await hass.config_entries.async_remove(first.entry_id)
    await hass.async_block_till_done()
    assert not hass.services.has_service(NOTIFY_DOMAIN, "netoxygen_demo")


async def test_renamed_entry_gets_a_new_service(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Renaming the entry renames its notify service."""
    hass.config_entries.async_update_entry(init_integration, title="Alarm SMS")
    await hass.async_block_till_done()
    services: dict[str, Any] = hass.services.async_services_for_domain(NOTIFY_DOMAIN)
    assert "alarm_sms" in services
    assert "netoxygen_demo" not in services


async def test_notify_service_not_from_yaml(hass: HomeAssistant) -> None:
    """The integration has no YAML notify platform."""
    from custom_components.sms_gateways.notify import async_get_service  # noqa: PLC0415

    assert await async_get_service(hass, {CONF_NAME: "yaml"}, None) is None


async def test_removing_the_entry_forgets_stored_credits(
    hass: HomeAssistant, simulator: RunningSimulator, hass_storage: dict[str, Any]
) -> None:
    """SMSFactor's last known credits are stored with the entry, and removed with it."""
    entry = make_entry(simulator, "smsfactor")
    key = f"{DOMAIN}.{entry.entry_id}.credits"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"credits": 42}}
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "42"

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_unload_refused_by_a_platform(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """If a platform cannot unload, the entry keeps its notify service."""
    with patch.object(hass.config_entries, "async_unload_platforms", return_value=False):
        assert not await hass.config_entries.async_unload(init_integration.entry_id)
    assert hass.services.has_service(NOTIFY_DOMAIN, "netoxygen_demo")


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (AccessDeniedError("IP refused"), "NetOxygen refused the request: IP refused"),
        (GatewayError("Out of order"), "NetOxygen reported an error: Out of order"),
    ],
)
async def test_credit_check_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, error: Exception, message: str
) -> None:
    """A refusal that new credentials would not fix makes the sensors unavailable, no reauth."""
    with patch(
        "custom_components.sms_gateways.gateways.netoxygen.NetOxygenGateway.get_balance",
        side_effect=error,
    ):
        await _next_credit_check(hass)
    assert hass.states.get("sensor.netoxygen_demo_credits").state == STATE_UNAVAILABLE
    assert str(init_integration.runtime_data.coordinator.last_exception) == message
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
