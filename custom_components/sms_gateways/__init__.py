"""The SMS Gateways integration: NetOxygen, SMSFactor, Mobyt and 123-SMS.net."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .cloudhook import async_create_cloudhook, async_delete_cloudhook
from .const import (
    CONF_API_URL,
    CONF_CLOUDHOOK_URL,
    CONF_INBOUND_SCAN_INTERVAL,
    CONF_MESSAGE_TYPE,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SENDER,
    CONF_TIME_ZONE,
    DEFAULT_INBOUND_SCAN_INTERVAL,
    DOMAIN,
)
from .contacts import account_contacts
from .coordinator import (
    SmsGatewaysConfigEntry,
    SmsGatewaysCoordinator,
    SmsGatewaysData,
    credits_store,
    no_credits_issue_id,
)
from .entity import account_device_info
from .gateways import GATEWAYS, Capability, create_gateway
from .inbound import InboundReceiver, inbound_store
from .notify import (
    async_add_legacy_entry,
    async_remove_legacy_entry,
    async_setup_legacy_notify,
)
from .sending import EntrySending, outbox_store
from .services import async_setup_services
from .tracking import DeliveryTracker, deliveries_store
from .webhook import (
    PushHandler,
    async_attach_push_handler,
    async_register_webhook,
    async_unregister_webhook,
)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and load the legacy notify platform, once for every entry."""
    async_setup_services(hass)
    async_setup_legacy_notify(hass, config)
    # Every entry's webhook answers from the start, loaded or not (503 until it is loaded).
    for entry in hass.config_entries.async_entries(DOMAIN):
        async_register_webhook(hass, entry)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Bring an entry stored by an older version to the current form.

    1.2: Mobyt's message type option is stored lowercase (``n``/``l``), the selector's keys.
    1.3: the sender, not needed to connect, is an option: the one given at setup moves from
    the data to the options (where a sender saved in the options already took its place).
    """
    if entry.version > 1:
        # A downgrade: this version cannot read what a newer one stored.
        return False
    if entry.minor_version < 2:
        options = dict(entry.options)
        if isinstance(message_type := options.get(CONF_MESSAGE_TYPE), str):
            options[CONF_MESSAGE_TYPE] = message_type.lower()
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
    if entry.minor_version < 3:
        data = dict(entry.data)
        options = dict(entry.options)
        if (sender := data.pop(CONF_SENDER, None)) and CONF_SENDER not in options:
            options[CONF_SENDER] = sender
        hass.config_entries.async_update_entry(entry, data=data, options=options, minor_version=3)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Connect to the provider account and set up its entities and notify service."""
    # Before anything may fail (setup retry): a push meanwhile gets 503 and is pushed again.
    async_register_webhook(hass, entry)
    await _async_ensure_cloudhook(hass, entry)
    gateway = create_gateway(
        entry.data[CONF_PROVIDER],
        async_get_clientsession(hass),
        username=entry.data[CONF_USERNAME],
        password=entry.data[CONF_PASSWORD],
        api_url=entry.data.get(CONF_API_URL),
        region=entry.options.get(CONF_REGION),
        timezone=entry.options.get(CONF_TIME_ZONE),
    )
    coordinator = SmsGatewaysCoordinator(hass, entry, gateway)
    await coordinator.async_config_entry_first_refresh()

    def _reauth() -> None:
        entry.async_start_reauth(hass)

    tracker = DeliveryTracker(
        hass, entry_id=entry.entry_id, gateway=gateway, on_auth_failed=_reauth
    )
    minutes = entry.options.get(CONF_INBOUND_SCAN_INTERVAL, DEFAULT_INBOUND_SCAN_INTERVAL)
    inbound = InboundReceiver(
        hass,
        entry_id=entry.entry_id,
        gateway=gateway,
        poll_interval=(
            timedelta(minutes=minutes) if gateway.supports(Capability.INBOUND_POLL) else None
        ),
        on_auth_failed=_reauth,
        contacts=lambda: account_contacts(entry, gateway.region),
    )
    await tracker.async_start()
    entry.async_on_unload(tracker.async_stop)
    await inbound.async_start()
    entry.async_on_unload(inbound.async_stop)
    sending = EntrySending(hass, entry)
    entry.runtime_data = SmsGatewaysData(
        gateway=gateway, coordinator=coordinator, tracker=tracker, inbound=inbound, sending=sending
    )
    await sending.async_start()
    entry.async_on_unload(sending.async_stop)
    entry.async_on_unload(entry.runtime_data.async_add_sent_listener(tracker.async_track_send))
    entry.async_on_unload(
        async_attach_push_handler(
            hass, entry, PushHandler(gateway=gateway, inbound=inbound, tracker=tracker)
        )
    )
    # The account's device first: the recipients' devices are reached through it.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_add_legacy_entry(hass, entry)
    # Recipients (subentries), options and credentials take effect through a reload.
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    return True


async def _async_ensure_cloudhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Give a pushing provider's webhook a cloudhook once Home Assistant Cloud is active."""
    pushes = {Capability.INBOUND_PUSH, Capability.STATUS_PUSH}
    if (
        CONF_CLOUDHOOK_URL in entry.data
        or not pushes & GATEWAYS[entry.data[CONF_PROVIDER]].capabilities
    ):
        return
    if url := await async_create_cloudhook(hass, entry.data[CONF_WEBHOOK_ID]):
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CLOUDHOOK_URL: url})


async def _async_update_listener(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Reload the entry when it changed."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Unload the entities and the notify service; leave no repair issue behind."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await async_remove_legacy_entry(hass, entry)
    ir.async_delete_issue(hass, DOMAIN, no_credits_issue_id(entry.entry_id))
    return True


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Forget what was stored for a removed entry: credits, deliveries, received SMS, outbox."""
    async_unregister_webhook(hass, entry)
    await async_delete_cloudhook(hass, entry.data)
    await credits_store(hass, entry.entry_id).async_remove()
    await outbox_store(hass, entry.entry_id).async_remove()
    await deliveries_store(hass, entry.entry_id).async_remove()
    await inbound_store(hass, entry.entry_id).async_remove()
