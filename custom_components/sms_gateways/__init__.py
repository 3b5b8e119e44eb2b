"""The SMS Gateways integration: NetOxygen, SMSFactor, Mobyt and 123-SMS.net."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from homeassistant.const import (
    CONF_WEBHOOK_ID,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .assist import ASSIST_STORE, AssistAnswers
from .cloudhook import async_create_cloudhook, async_delete_cloudhook
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_INBOUND_SCAN_INTERVAL,
    CONF_MESSAGE_TYPE,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SENDER,
    CONF_TIME_ZONE,
    DEFAULT_INBOUND_SCAN_INTERVAL,
    DOMAIN,
    LIVE_OPTIONS,
)
from .contacts import AccountContacts
from .coordinator import CREDITS_STORE, SmsGatewaysCoordinator, no_credits_issue_id
from .entity import account_device_info
from .gateways import GATEWAYS, Capability
from .inbound import INBOUND_STORE, InboundReceiver
from .notify import async_setup_legacy_notify, async_update_legacy_services
from .outbox import OUTBOX_STORE
from .outbox_watch import OutboxWatch
from .runtime import SmsGatewaysConfigEntry, SmsGatewaysData, entry_gateway
from .sending import EntrySending
from .services import async_setup_services
from .spend import SPEND_STORE, DailySpend
from .storage import entry_store
from .tracking import DELIVERIES_STORE, DeliveryTracker
from .webhook import (
    PushHandler,
    async_attach_push_handler,
    async_register_webhook,
    async_track_entry_webhooks,
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
    # Every enabled entry's webhook answers from the start, loaded or not (503 until it is
    # loaded); a disabled or removed entry's answers nothing.
    async_track_entry_webhooks(hass)
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
    gateway = entry_gateway(hass, entry)
    coordinator = SmsGatewaysCoordinator(hass, entry, gateway)

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
        contacts=AccountContacts(entry, gateway.region),
    )
    await tracker.async_start()
    entry.async_on_unload(tracker.async_stop)
    await inbound.async_start()
    entry.async_on_unload(inbound.async_stop)
    # Started before the send path, stopped after it: a send under way is counted and written.
    spend = DailySpend(hass, entry)
    sending = EntrySending(
        hass,
        entry,
        gateway=gateway,
        coordinator=coordinator,
        tracker=tracker,
        spend=spend,
    )
    outbox_watch = OutboxWatch(hass, sending)
    entry.runtime_data = SmsGatewaysData(
        gateway=gateway,
        coordinator=coordinator,
        tracker=tracker,
        inbound=inbound,
        sending=sending,
        outbox_watch=outbox_watch,
        spend=spend,
    )
    await spend.async_start()
    entry.async_on_unload(spend.async_stop)
    await sending.async_start()
    entry.async_on_unload(sending.async_stop)
    # Answers from Assist: listens to the received SMS, answers trusted contacts when on.
    assist = AssistAnswers(hass, entry)
    await assist.async_start()
    entry.async_on_unload(assist.async_stop)
    entry.async_on_unload(outbox_watch.async_start())
    entry.async_on_unload(sending.async_add_sent_listener(tracker.async_track_send))
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
    await async_update_legacy_services(hass)
    # Last: set-up never waits for the provider, which may be unreachable at start.
    await coordinator.async_start()
    # Recipients (subentries), credentials and most options take effect through a reload.
    entry.async_on_unload(entry.add_update_listener(_updater(entry)))
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


def _set_up_with(entry: SmsGatewaysConfigEntry) -> tuple[Any, ...]:
    """What a change of needs a reload: all but the options read at each use.

    An option the set-up reads is taken as it applies (its default when not given), so that
    the options form saving the defaults it shows is no change.
    """
    gateway = GATEWAYS[entry.data[CONF_PROVIDER]]
    options = {key: value for key, value in entry.options.items() if key not in LIVE_OPTIONS}
    options[CONF_REGION] = options.get(CONF_REGION) or gateway.default_region
    options[CONF_TIME_ZONE] = options.get(CONF_TIME_ZONE) or str(gateway.timezone)
    options.setdefault(CONF_INBOUND_SCAN_INTERVAL, DEFAULT_INBOUND_SCAN_INTERVAL)
    subentries = {key: (sub.title, dict(sub.data)) for key, sub in entry.subentries.items()}
    return (entry.title, dict(entry.data), options, subentries)


def _updater(
    entry: SmsGatewaysConfigEntry,
) -> Callable[[HomeAssistant, SmsGatewaysConfigEntry], Coroutine[Any, Any, None]]:
    """The entry's update listener: a reload, unless only options read at each use changed.

    A reload takes the notify entities away for a moment, and Home Assistant's
    ``notify.send_message`` skips a missing entity without a word: saving the sender, the
    fallback account or the outbox's options must not open that window.
    """
    set_up_with = _set_up_with(entry)

    async def _async_updated(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        if _set_up_with(entry) != set_up_with:
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        entry.runtime_data.coordinator.async_options_updated()

    return _async_updated


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> bool:
    """Unload the entities and the notify service; leave no repair issue behind."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await async_update_legacy_services(hass)
    ir.async_delete_issue(hass, DOMAIN, no_credits_issue_id(entry.entry_id))
    return True


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Forget every part of what was stored for a removed entry (credits, outbox, spend...)."""
    async_unregister_webhook(hass, entry)
    await async_delete_cloudhook(hass, entry.data)
    for part in (
        CREDITS_STORE,
        OUTBOX_STORE,
        DELIVERIES_STORE,
        INBOUND_STORE,
        ASSIST_STORE,
        SPEND_STORE,
    ):
        await entry_store(hass, entry.entry_id, part).async_remove()
