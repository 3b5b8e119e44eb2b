"""A send to an account that is disabled, broken, or not loaded yet while Home Assistant starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways import loading
from custom_components.sms_gateways.const import DOMAIN
from tests.conftest import RunningSimulator

from .common import call_action, setup_entry
from .conftest import ALICE, make_entry
from .test_sending import _sent


async def test_send_to_a_disabled_account_is_refused_in_words(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Disabled by the user: the action says so at once, nothing is sent."""
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "account_disabled"
    assert entry.title in str(err.value)
    assert not _sent(simulator, "netoxygen")


async def test_send_to_an_account_that_cannot_be_migrated_is_refused_in_words(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Made by a newer version of the integration: it is not set up, and the action says so."""
    entry = make_entry(simulator, "netoxygen")
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=99)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "account_setup_failed"
    assert not _sent(simulator, "netoxygen")


@pytest.fixture
async def starting(hass: HomeAssistant, simulator: RunningSimulator) -> MockConfigEntry:
    """Home Assistant is starting: the actions exist; the account is added, not set up."""
    hass.set_state(CoreState.starting)
    assert await async_setup_component(hass, DOMAIN, {})
    entry = make_entry(simulator, "netoxygen")
    entry.add_to_hass(hass)
    return entry


@asynccontextmanager
async def _sending_before_loaded(
    hass: HomeAssistant, entry: MockConfigEntry
) -> AsyncIterator[asyncio.Task[ServiceResponse]]:
    """A send started while ``entry`` is not loaded, still waiting after several looks at it."""
    with patch.object(loading, "_RECHECK", 0.01):
        send = hass.async_create_task(
            call_action(hass, entry, "send_sms", recipients=[ALICE], message="Good morning")
        )
        await asyncio.sleep(0.05)  # several looks at the entry, each finding it not loaded
        assert not send.done()
        yield send


async def test_send_at_start_waits_for_its_account(
    hass: HomeAssistant, simulator: RunningSimulator, starting: MockConfigEntry
) -> None:
    """An automation sends while Home Assistant starts: the message leaves once it is loaded."""
    entry = starting
    async with _sending_before_loaded(hass, entry) as send:
        assert await hass.config_entries.async_setup(entry.entry_id)
        response = await send
    assert response is not None
    assert response["messages"][0]["accepted"] is True
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Good morning"]


async def test_send_at_start_to_an_account_disabled_meanwhile(
    hass: HomeAssistant, simulator: RunningSimulator, starting: MockConfigEntry
) -> None:
    """The account it waits for is disabled before it loads: refused in words, never sent."""
    entry = starting
    async with _sending_before_loaded(hass, entry) as send:
        await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
        with pytest.raises(ServiceValidationError) as err:
            await send
    assert err.value.translation_key == "account_disabled"
    assert not _sent(simulator, "netoxygen")


async def test_send_at_start_to_an_account_that_does_not_load_in_time(
    hass: HomeAssistant, simulator: RunningSimulator, starting: MockConfigEntry
) -> None:
    """The account is still not loaded when the wait ends: refused in words, never sent."""
    entry = starting
    # The wait (30 s) made short; the default is read when the function is defined.
    with (
        patch.object(loading, "_RECHECK", 0.01),
        patch.object(loading.async_wait_loaded, "__defaults__", (0.05,)),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Good morning")
    assert err.value.translation_key == "account_not_loaded"
    assert not _sent(simulator, "netoxygen")
