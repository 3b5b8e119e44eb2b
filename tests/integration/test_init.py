"""Setup, retry and unload of an entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Each provider's demo account loads, then unloads."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
