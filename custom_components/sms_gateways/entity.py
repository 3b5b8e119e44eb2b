"""The base entity and the devices: one for the provider account, one for each recipient."""

from __future__ import annotations

from abc import abstractmethod
from typing import override

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SmsGatewaysCoordinator
from .runtime import SmsGatewaysConfigEntry


def account_device_info(entry: SmsGatewaysConfigEntry) -> DeviceInfo:
    """The device of the provider account."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer=entry.runtime_data.gateway.title,
        model="SMS gateway account",
        name=entry.title,
    )


def recipient_device_info(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry
) -> DeviceInfo:
    """The device of one recipient, reached through the account's device.

    The recipient's phone, not a service: Home Assistant counts only the account among the
    integration's services. Its maker is unknown, so none is named (not the provider). Both
    are given explicitly, so that a device registered as a service by an earlier version is
    updated.
    """
    return DeviceInfo(
        entry_type=None,
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        manufacturer=None,
        model="SMS recipient",
        # Named after the account too, so that its notify entity is notify.<account>_<recipient>.
        name=f"{entry.title} {subentry.title}",
        via_device_id=dr.async_get_device_id_by_identifier(
            hass, (DOMAIN, entry.entry_id), config_entry_id=entry.entry_id
        ),
    )


class SmsGatewaysEntity(CoordinatorEntity[SmsGatewaysCoordinator]):
    """An entity fed by the account's coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmsGatewaysCoordinator, description: EntityDescription) -> None:
        """Identify the entity by the account and the description's key."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)


class AccountEntity(Entity):
    """An entity of the account's device that the coordinator does not feed.

    What it shows is handed to it (a signal of the entry, a listener of the send path) and it
    is written then: it is never polled.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: SmsGatewaysConfigEntry, description: EntityDescription) -> None:
        """Identify the entity by the account and the description's key."""
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)

    @override
    async def async_added_to_hass(self) -> None:
        """Follow what the entity shows until it is removed."""
        await super().async_added_to_hass()
        self.async_on_remove(self._async_follow())

    @abstractmethod
    def _async_follow(self) -> CALLBACK_TYPE:
        """Start following what the entity shows; return what stops it."""
