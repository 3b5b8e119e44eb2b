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

from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import ALICE, BOB, make_entry


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


CLOUDHOOK = "https://hooks.nabu.casa/cloudhook-s3cr3t-token"
NUMERIC_SENDER = "+41791230005"


async def test_diagnostics_redact_the_cloudhook_and_a_numeric_sender(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, simulator: RunningSimulator
) -> None:
    """The cloudhook's token and a sender that is a phone number are not in the diagnostics."""
    entry = await setup_entry(
        hass,
        make_entry(
            simulator,
            "mobyt",
            recipients={"Alice": ALICE},
            cloudhook_url=CLOUDHOOK,
            sender=NUMERIC_SENDER,
        ),
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diagnostics)
    for secret in ("s3cr3t", "hooks.nabu.casa", NUMERIC_SENDER, "79123", "webhook-", ALICE):
        assert secret not in text
    assert diagnostics["entry"]["options"]["sender"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["cloudhook_url"] == "**REDACTED**"
