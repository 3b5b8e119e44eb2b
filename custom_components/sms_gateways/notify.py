"""Notify: one entity per recipient, and the account's legacy ``notify.<account>`` service.

The entities serve ``notify.send_message``. The legacy service, loaded per entry through
discovery the way ``mobile_app`` loads its own, serves the many automations that already call
an SMS notifier with ``message``, ``title``, ``target`` (numbers) and ``data``.
"""

from __future__ import annotations

from contextlib import suppress
import logging
from typing import Any, override

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    NotifyEntityFeature,
)
from homeassistant.components.notify.legacy import NOTIFY_SERVICES, BaseNotificationService
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import slugify
import probatio

from .const import (
    ATTR_BOOKMARK_URL,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TEST,
    ATTR_TTS,
    CONF_PHONE_NUMBER,
    DOMAIN,
    MESSAGE_TYPES,
    SUBENTRY_RECIPIENT,
)
from .coordinator import SmsGatewaysConfigEntry
from .entity import recipient_device_info
from .helpers import recipient_numbers, with_title
from .sending import SendRequest

_LOGGER = logging.getLogger(__name__)

PARALLEL_UPDATES = 0

NOTIFY_DATA_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_SENDER): cv.string,
        probatio.Optional(ATTR_SEND_AT): cv.datetime,
        probatio.Optional(ATTR_FLASH): cv.boolean,
        probatio.Optional(ATTR_MESSAGE_TYPE): probatio.All(
            cv.string, probatio.Lower, probatio.In(MESSAGE_TYPES)
        ),
        probatio.Optional(ATTR_BOOKMARK_URL): cv.url,
        probatio.Optional(ATTR_TTS): cv.boolean,
        probatio.Optional(ATTR_TEST): cv.boolean,
    }
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One notify entity per recipient subentry."""
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_RECIPIENT:
            async_add_entities(
                [RecipientNotifyEntity(hass, entry, subentry)], config_subentry_id=subentry_id
            )


class RecipientNotifyEntity(NotifyEntity):
    """Send an SMS to one recipient with ``notify.send_message``."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_translation_key = "recipient"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(
        self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """The main entity of the recipient's device, named after the recipient."""
        self._entry = entry
        self._number: str = subentry.data[CONF_PHONE_NUMBER]
        self._attr_unique_id = f"{entry.unique_id}_{subentry.subentry_id}"
        self._attr_device_info = recipient_device_info(hass, entry, subentry)

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message, the title on its first line, with the other entities called now.

        ``notify.send_message`` to several recipients of one account makes one send.
        """
        await self._entry.runtime_data.sending.async_notify(
            self._number, with_title(message, title)
        )


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> SmsNotificationService | None:
    """The legacy notify service of the entry that asked for it (never from YAML)."""
    if discovery_info is None:
        return None
    entry: SmsGatewaysConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info[ATTR_CONFIG_ENTRY_ID]
    )
    if (
        entry is None
        or entry.state not in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_IN_PROGRESS)
        or entry.runtime_data.notify_service is not None
    ):
        return None
    name = slugify(discovery_info[CONF_NAME])
    if hass.services.has_service(NOTIFY_DOMAIN, name):
        _LOGGER.warning(
            "The notify service %s.%s already exists; rename the %s entry %s to get its own",
            NOTIFY_DOMAIN,
            name,
            DOMAIN,
            entry.title,
        )
        return None
    service = SmsNotificationService(entry)
    entry.runtime_data.notify_service = service
    return service


async def async_remove_notify_service(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Unregister an unloaded entry's legacy service, and forget it."""
    service = entry.runtime_data.notify_service
    if service is None:
        return
    entry.runtime_data.notify_service = None
    await service.async_unregister_services()
    # Forget it too, or a later reload of the legacy services would register it again.
    with suppress(ValueError):
        hass.data.get(NOTIFY_SERVICES, {}).get(DOMAIN, []).remove(service)


class SmsNotificationService(BaseNotificationService):
    """``notify.<account>``: an SMS to ``target`` (numbers), else to every recipient."""

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Send through one entry."""
        self._entry = entry

    @override
    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send the message, the title on its first line, with the options of ``data``.

        Raises:
            ServiceValidationError: no recipient, or ``data`` has an unknown or invalid option.
        """
        targets: list[str] = kwargs.get(ATTR_TARGET) or recipient_numbers(self._entry)
        try:
            options: dict[str, Any] = NOTIFY_DATA_SCHEMA(kwargs.get(ATTR_DATA) or {})
        except probatio.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"error": str(err)},
            ) from err
        text = with_title(message, kwargs.get(ATTR_TITLE))
        request = SendRequest.of(targets, text, options)
        await self._entry.runtime_data.sending.async_send(request)
