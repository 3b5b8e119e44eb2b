"""Binary sensor: the credits are below the threshold of the options."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_LOW_CREDITS_THRESHOLD, DEFAULT_LOW_CREDITS_THRESHOLD
from .coordinator import SmsGatewaysCoordinator
from .entity import SmsGatewaysEntity
from .gateways import Capability
from .runtime import SmsGatewaysConfigEntry

PARALLEL_UPDATES = 0

LOW_CREDITS = BinarySensorEntityDescription(
    key="low_credits",
    translation_key="low_credits",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the low-credits sensor where the credits are known."""
    if entry.runtime_data.gateway.supports(Capability.BALANCE, Capability.CREDITS_FROM_SEND):
        async_add_entities([LowCreditsSensor(entry.runtime_data.coordinator)])


class LowCreditsSensor(SmsGatewaysEntity, BinarySensorEntity):
    """On when the credits the sends draw from are below the threshold."""

    def __init__(self, coordinator: SmsGatewaysCoordinator) -> None:
        """Compare against the threshold of the options (saved without a reload)."""
        super().__init__(coordinator, LOW_CREDITS)

    @property
    def _threshold(self) -> float:
        options = self.coordinator.config_entry.options
        return float(options.get(CONF_LOW_CREDITS_THRESHOLD, DEFAULT_LOW_CREDITS_THRESHOLD))

    @property
    @override
    def is_on(self) -> bool | None:
        """Unknown until the credits are known; judged on the credits the sends draw from.

        Unknown too while a line that may pay them could not be read.
        """
        balance = self.coordinator.data.balance
        if balance is None:
            return None
        credits_left = self.coordinator.credits_for_sends(balance)
        return None if credits_left is None else credits_left < self._threshold
