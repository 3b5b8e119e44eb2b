"""Event entities: a received SMS, and a change of a sent message's delivery status.

They let users build automations from the UI (an event trigger on the entity) without knowing
the names of the bus events, which carry the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import AccountEntity
from .gateways import Capability, DeliveryStatus
from .inbound import ReceivedSms, signal_inbound
from .runtime import SmsGatewaysConfigEntry
from .tracking import DeliveryUpdate, signal_delivery

PARALLEL_UPDATES = 0

EVENT_RECEIVED = "received"


@dataclass(frozen=True, kw_only=True)
class SmsGatewaysEventEntityDescription[T](EventEntityDescription):
    """An event of the account: the entry's signal it fires on, and what it fires then."""

    signal_fn: Callable[[str], str]
    """The dispatcher signal of an entry (its id given)."""
    event_fn: Callable[[T], tuple[str, dict[str, Any]]]
    """The event type and data of what the signal carries."""


INBOUND_SMS = SmsGatewaysEventEntityDescription[ReceivedSms](
    key="inbound_sms",
    translation_key="inbound_sms",
    event_types=[EVENT_RECEIVED],
    signal_fn=signal_inbound,
    event_fn=lambda received: (EVENT_RECEIVED, received.entity_data()),
)
DELIVERY_STATUS = SmsGatewaysEventEntityDescription[DeliveryUpdate](
    key="delivery_status",
    translation_key="delivery_status",
    event_types=[status.value for status in DeliveryStatus],
    signal_fn=signal_delivery,
    event_fn=lambda update: (update.status.value, update.entity_data()),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities this provider can feed."""
    entities: list[EventEntity] = [DeliveryStatusEvent(entry, DELIVERY_STATUS)]
    if entry.runtime_data.gateway.supports(Capability.INBOUND_PUSH, Capability.INBOUND_POLL):
        entities.append(InboundSmsEvent(entry, INBOUND_SMS))
    async_add_entities(entities)


class _AccountEvent[T](AccountEntity, EventEntity):
    """An event entity of the account's device: fires on each signal its description names."""

    entity_description: SmsGatewaysEventEntityDescription[T]

    def __init__(
        self, entry: SmsGatewaysConfigEntry, description: SmsGatewaysEventEntityDescription[T]
    ) -> None:
        """Describe the entity: a description of its own kind of payload only."""
        super().__init__(entry, description)

    @override
    def _async_follow(self) -> CALLBACK_TYPE:
        """Listen for the entry's signal."""
        signal = self.entity_description.signal_fn(self._entry.entry_id)
        return async_dispatcher_connect(self.hass, signal, self._async_signalled)

    @callback
    def _async_signalled(self, payload: T) -> None:
        self._trigger_event(*self.entity_description.event_fn(payload))
        self.async_write_ha_state()


class InboundSmsEvent(_AccountEvent[ReceivedSms]):
    """Fires ``received`` with the sender, text and time of each received SMS."""

    # The live state shows them; the recorder's history keeps no number and no text.
    _unrecorded_attributes = frozenset({"sender", "recipient", "message", "keyword", "contact"})


class DeliveryStatusEvent(_AccountEvent[DeliveryUpdate]):
    """Fires the new status (``delivered``, ``failed``...) of a sent message."""

    # As the last delivery status sensor: no number in the history (Mobyt's ids hold one).
    _unrecorded_attributes = frozenset({"recipient", "message_id"})
