"""The credit refresh: one request most of the time."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from tests.conftest import RunningSimulator


def _methods(simulator: RunningSimulator) -> list[str]:
    """The XML-RPC methods NetOxygen was asked, in order."""
    return [
        request["body"].split("<methodName>")[1].split("</methodName>")[0]
        for request in simulator.requests("/netoxygen/")
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_account_status_is_read_once_a_day(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refresh asks for the credits only; the account status is asked again after a day."""
    simulator.sim.requests.clear()
    freezer.tick(timedelta(minutes=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _methods(simulator) == ["get_credits"]

    simulator.sim.requests.clear()
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _methods(simulator) == ["get_credits", "account_status"]
    assert hass.states.get("sensor.netoxygen_demo_account_status").state == "regular"
