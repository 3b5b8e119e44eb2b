"""Sensors: credits (Mobyt: per type and country too), account status, last delivery status.

And, read from the send path, the SMS waiting in the outbox and the SMS parts sent today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AccountData, SmsGatewaysCoordinator
from .entity import AccountEntity, SmsGatewaysEntity
from .gateways import Capability, DeliveryStatus, SmsGateway
from .runtime import SmsGatewaysConfigEntry, SmsGatewaysData
from .tracking import DeliveryUpdate, signal_delivery

PARALLEL_UPDATES = 0

ACCOUNT_STATUSES = ["regular", "free"]
# The translation keys of Mobyt's credit types: N is SMS Top, L SMS Direct, EE sending abroad.
# Another code is named in Mobyt's own words (``credits_by_type``).
CREDIT_TYPE_KEYS = {"N": "credits_sms_top", "L": "credits_sms_direct", "EE": "credits_abroad"}


@dataclass(frozen=True, kw_only=True)
class SmsGatewaysSensorEntityDescription(SensorEntityDescription):
    """A sensor of the account, and which providers have it."""

    value_fn: Callable[[AccountData], float | str | None]
    exists_fn: Callable[[SmsGateway], bool]


def _amount(credits_left: float) -> float:
    """Credits are mostly whole: show 100, not 100.0."""
    return int(credits_left) if credits_left.is_integer() else credits_left


def _account_status(data: AccountData) -> str | None:
    status = data.account_status
    return status if status in ACCOUNT_STATUSES else None


SENSORS: tuple[SmsGatewaysSensorEntityDescription, ...] = (
    SmsGatewaysSensorEntityDescription(
        key="credits",
        translation_key="credits",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: (
            _amount(data.balance.total) if data.balance and data.balance.total is not None else None
        ),
        exists_fn=lambda gateway: gateway.supports(
            Capability.BALANCE, Capability.CREDITS_FROM_SEND
        ),
    ),
    SmsGatewaysSensorEntityDescription(
        key="account_status",
        translation_key="account_status",
        # NetOxygen's kind of account (regular or free): about the account, rarely looked at.
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.ENUM,
        options=ACCOUNT_STATUSES,
        value_fn=_account_status,
        exists_fn=lambda gateway: gateway.supports(Capability.ACCOUNT_STATUS),
    ),
)


type CreditLineKey = tuple[str, str | None]
"""A Mobyt credit line: its type (``N``, ``L``, ``EE``) and country (None: international)."""


def _credit_lines(data: AccountData | None) -> dict[CreditLineKey, float | None]:
    """The credits per type and country (None: unknown), repeated lines read safely.

    Lines that repeat a type and country are shown under the reading that gives less
    (``Balance.by_line``): one pool listed twice is not counted twice.
    """
    if data is None or data.balance is None:
        return {}
    return data.balance.by_line()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors, and a sensor for each credit line as it appears."""
    coordinator = entry.runtime_data.coordinator
    gateway = entry.runtime_data.gateway
    async_add_entities(
        SmsGatewaysSensor(coordinator, description)
        for description in SENSORS
        if description.exists_fn(gateway)
    )

    known: set[CreditLineKey] = set()

    @callback
    def _async_add_credit_lines() -> None:
        new = [key for key in _credit_lines(coordinator.data) if key not in known]
        known.update(new)
        if new:
            async_add_entities(CreditLineSensor(coordinator, key) for key in new)

    _async_add_credit_lines()
    entry.async_on_unload(coordinator.async_add_listener(_async_add_credit_lines))
    async_add_entities(
        [
            LastDeliveryStatusSensor(entry),
            *(SendPathSensor(entry, description) for description in SEND_PATH_SENSORS),
        ]
    )


class SmsGatewaysSensor(SmsGatewaysEntity, SensorEntity):
    """A sensor of the account."""

    entity_description: SmsGatewaysSensorEntityDescription

    @property
    @override
    def native_value(self) -> float | str | None:
        """The value from the coordinator's data."""
        return self.entity_description.value_fn(self.coordinator.data)


class CreditLineSensor(SmsGatewaysEntity, SensorEntity):
    """The credits of one type for one country (Mobyt)."""

    def __init__(self, coordinator: SmsGatewaysCoordinator, key: CreditLineKey) -> None:
        """Name the line by its type and country."""
        credit_type, nation = key
        translation_key = CREDIT_TYPE_KEYS.get(credit_type, "credits_by_type")
        if nation is None:
            translation_key += "_international"
        super().__init__(
            coordinator,
            SensorEntityDescription(
                key=f"credits_{credit_type.lower()}_{(nation or 'international').lower()}",
                translation_key=translation_key,
                state_class=SensorStateClass.MEASUREMENT,
            ),
        )
        self._line = key
        placeholders = {"nation": nation} if nation is not None else {}
        if credit_type not in CREDIT_TYPE_KEYS:
            placeholders["credit_type"] = credit_type
        self._attr_translation_placeholders = placeholders

    @property
    @override
    def native_value(self) -> float | None:
        """The credits left on this line, None once the provider no longer lists it."""
        amount = _credit_lines(self.coordinator.data).get(self._line)
        return None if amount is None else _amount(amount)


LAST_DELIVERY_STATUS = SensorEntityDescription(
    key="last_delivery_status",
    translation_key="last_delivery_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in DeliveryStatus],
)


class LastDeliveryStatusSensor(AccountEntity, SensorEntity):
    """The status of the message whose delivery status changed last, and which message it is.

    Fed by the delivery tracker (pushes and polling), which also keeps it across restarts.
    """

    # The live state shows to whom; the recorder's history keeps no phone number (Mobyt's
    # message ids hold the recipient's).
    _unrecorded_attributes = frozenset({"recipient", "message_id"})

    def __init__(self, entry: SmsGatewaysConfigEntry) -> None:
        """Start from the last status the tracker knows."""
        super().__init__(entry, LAST_DELIVERY_STATUS)
        self._update: DeliveryUpdate | None = entry.runtime_data.tracker.last

    @override
    def _async_follow(self) -> CALLBACK_TYPE:
        """Follow the entry's delivery updates."""
        return async_dispatcher_connect(
            self.hass, signal_delivery(self._entry.entry_id), self._async_updated
        )

    @callback
    def _async_updated(self, update: DeliveryUpdate) -> None:
        self._update = update
        self.async_write_ha_state()

    @property
    @override
    def native_value(self) -> str | None:
        """The normalised status, None until a message was sent."""
        return self._update.status.value if self._update else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which message, to whom, and the provider's own words."""
        update = self._update
        updated_at: datetime | None = update.updated_at if update else None
        return {
            "message_id": update.message_id if update else None,
            "recipient": update.recipient if update else None,
            "provider_status": update.provider_status if update else None,
            "updated_at": updated_at.isoformat() if updated_at else None,
        }


@dataclass(frozen=True, kw_only=True)
class SendPathSensorEntityDescription(SensorEntityDescription):
    """A count the send path keeps: read from it, and written whenever it says it changed.

    Read from the send path itself, so it is there while the provider is unreachable.
    """

    follow_fn: Callable[[SmsGatewaysData, CALLBACK_TYPE], CALLBACK_TYPE]
    """Call the listener on each change of the count; return what stops it."""
    value_fn: Callable[[SmsGatewaysData], int]
    """The count now."""
    last_reset_fn: Callable[[SmsGatewaysData], datetime] | None = None
    """When a count that starts again began (None for a count that never does)."""


SEND_PATH_SENSORS: tuple[SendPathSensorEntityDescription, ...] = (
    # The SMS waiting in the outbox (one per recipient): never reached the provider yet,
    # tried again later.
    SendPathSensorEntityDescription(
        key="outbox",
        translation_key="outbox",
        state_class=SensorStateClass.MEASUREMENT,
        follow_fn=lambda data, listener: data.outbox_watch.async_add_listener(listener),
        value_fn=lambda data: data.outbox_watch.waiting,
    ),
    # The SMS parts the provider was handed today, each recipient's counted: those the daily
    # limit counts.
    SendPathSensorEntityDescription(
        key="sent_today",
        translation_key="sent_today",
        # A total that starts again at local midnight, and says when: long-term statistics add
        # each day's parts from zero, even a day whose first value they did not see.
        state_class=SensorStateClass.TOTAL,
        follow_fn=lambda data, listener: data.spend.async_add_listener(listener),
        value_fn=lambda data: data.spend.sent_today,
        last_reset_fn=lambda data: data.spend.day_started,
    ),
)


class SendPathSensor(AccountEntity, SensorEntity):
    """A count of the account's send path."""

    entity_description: SendPathSensorEntityDescription

    @override
    def _async_follow(self) -> CALLBACK_TYPE:
        """Follow the count."""
        return self.entity_description.follow_fn(
            self._entry.runtime_data, self.async_write_ha_state
        )

    @property
    @override
    def native_value(self) -> int:
        """The count now."""
        return self.entity_description.value_fn(self._entry.runtime_data)

    @property
    @override
    def last_reset(self) -> datetime | None:
        """When the count began, for a count that starts again (None for the others)."""
        reset_fn = self.entity_description.last_reset_fn
        return reset_fn(self._entry.runtime_data) if reset_fn else None
