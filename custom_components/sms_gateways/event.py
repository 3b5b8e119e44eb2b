"""Event entities: a received SMS, and a change of a sent message's delivery status.

They let users build automations from the UI (an event trigger on the entity) without knowing
the names of the bus events, which carry the same data.
"""

from __future__ import annotations

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import account_device_info
from .gateways import Capability, DeliveryStatus
from .inbound import ReceivedSms, signal_inbound
from .runtime import SmsGatewaysConfigEntry
from .tracking import DeliveryUpdate, signal_delivery

PARALLEL_UPDATES = 0

EVENT_RECEIVED = "received"

INBOUND_SMS = EventEntityDescription(
    key="inbound_sms", translation_key="inbound_sms", event_types=[EVENT_RECEIVED]
)
DELIVERY_STATUS = EventEntityDescription(
    key="delivery_status",
    translation_key="delivery_status",
    event_types=[status.value for status in DeliveryStatus],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities this provider can feed."""
    entities: list[EventEntity] = [DeliveryStatusEvent(entry)]
    if entry.runtime_data.gateway.supports(Capability.INBOUND_PUSH, Capability.INBOUND_POLL):
        entities.append(InboundSmsEvent(entry))
    async_add_entities(entities)


class _AccountEvent(EventEntity):
    """An event entity of the account's device."""

    _attr_has_entity_name = True

    def __init__(self, entry: SmsGatewaysConfigEntry, description: EventEntityDescription) -> None:
        """Identify the entity by the account and the description's key."""
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)


class InboundSmsEvent(_AccountEvent):
    """Fires ``received`` with the sender, text and time of each received SMS."""

    # The live state shows them; the recorder's history keeps no number and no text.
    _unrecorded_attributes = frozenset({"sender", "recipient", "message", "keyword", "contact"})

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Describe the entity."""
        super().__init__(entry, INBOUND_SMS)

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the entry's received SMS."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_inbound(self._entry.entry_id), self._async_received
            )
        )

    @callback
    def _async_received(self, received: ReceivedSms) -> None:
        self._trigger_event(EVENT_RECEIVED, received.entity_data())
        self.async_write_ha_state()


class DeliveryStatusEvent(_AccountEvent):
    """Fires the new status (``delivered``, ``failed``...) of a sent message."""

    # As the last delivery status sensor: no number in the history (Mobyt's ids hold one).
    _unrecorded_attributes = frozenset({"recipient", "message_id"})

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Describe the entity."""
        super().__init__(entry, DELIVERY_STATUS)

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the entry's delivery updates."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_delivery(self._entry.entry_id), self._async_update
            )
        )

    @callback
    def _async_update(self, update: DeliveryUpdate) -> None:
        self._trigger_event(update.status.value, update.entity_data())
        self.async_write_ha_state()
