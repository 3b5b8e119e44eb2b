"""Diagnostics: useful, and without credentials, numbers or the webhook id."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import ALICE, BOB


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt"])
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The entry, the provider's capabilities and the credits, secrets redacted."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics == snapshot(exclude=props("api_url"))
    text = str(diagnostics)
    for secret in ("demo-password", "webhook-", ALICE, BOB, "'demo'"):
        assert secret not in text
