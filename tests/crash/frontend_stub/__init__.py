"""Stands in for Home Assistant's frontend in the crash test's config.

The test requirements do not install the frontend's files, and Home Assistant starts in recovery
mode (without custom integrations) when the frontend does not load. The test has no UI.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Nothing to serve."""
    return True
