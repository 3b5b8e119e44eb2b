"""What a loaded entry holds (``entry.runtime_data``), and the entry's type.

The top of the integration's own modules: it names them all and none of them names it, so the
parts of an account (coordinator, send path, tracker...) are each given what they use.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_API_URL, CONF_PROVIDER, CONF_REGION, CONF_TIME_ZONE
from .coordinator import SmsGatewaysCoordinator
from .gateways import SmsGateway, create_gateway
from .inbound import InboundReceiver
from .outbox_watch import OutboxWatch
from .sending import EntrySending
from .spend import DailySpend
from .tracking import DeliveryTracker

type SmsGatewaysConfigEntry = ConfigEntry[SmsGatewaysData]


@dataclass(kw_only=True)
class SmsGatewaysData:
    """What a loaded entry holds."""

    gateway: SmsGateway
    coordinator: SmsGatewaysCoordinator
    tracker: DeliveryTracker
    """Follows the delivery of every accepted message."""
    inbound: InboundReceiver
    """Fires each received SMS once, from the webhook or from polling."""
    sending: EntrySending
    """The one send path of the account: fallback, outbox, gathered notify calls."""
    outbox_watch: OutboxWatch
    """How many SMS wait in the outbox, and the repair issue when they wait long."""
    spend: DailySpend
    """The SMS parts sent today, and the daily limit that refuses sends past it."""


def entry_gateway(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> SmsGateway:
    """A client for the entry's account, as its data and options say (no request made).

    Raises:
        ValueError: the time zone of the options is not an IANA time zone.
    """
    return create_gateway(
        entry.data[CONF_PROVIDER],
        async_get_clientsession(hass),
        username=entry.data[CONF_USERNAME],
        password=entry.data[CONF_PASSWORD],
        api_url=entry.data.get(CONF_API_URL),
        region=entry.options.get(CONF_REGION),
        timezone=entry.options.get(CONF_TIME_ZONE),
    )
