"""Notify: one entity per recipient, and the legacy notify services of the accounts.

The entities serve ``notify.send_message``. The legacy platform, loaded once through discovery
the way ``mobile_app`` loads its own, serves the many automations that already call an SMS
notifier with ``message``, ``title``, ``target`` and ``data``. Its one service instance reflects
the loaded accounts:

- ``notify.<account>`` per account, as before: ``target`` numbers or names of its recipients,
  every recipient of the account without one;
- ``notify.sms_gateways``: ``target`` recipient names (numbers when a single account is
  loaded), every recipient of every account without one.

No service per recipient: the recipient's notify entity serves it. Home Assistant shows a
legacy service with the name and description it was registered with, so they are written in
the system's language from our ``services`` translations.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
import logging
from typing import Any, override

from homeassistant.components.notify import NotifyEntity
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_MESSAGE,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    NOTIFY_SERVICE_SCHEMA,
    SERVICE_NOTIFY,
    NotifyEntityFeature,
)
from homeassistant.components.notify.legacy import BaseNotificationService, async_reload
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.const import CONF_DESCRIPTION, CONF_NAME, Platform
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import discovery, translation
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.service import async_set_service_schema
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import slugify
import probatio

from .compose import SEND_OPTION_FIELDS, with_title
from .const import (
    CONF_PHONE_NUMBER,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from .contacts import recipient_numbers, recipient_subentries
from .entity import recipient_device_info
from .gateways import mask_numbers
from .loading import async_send_through, async_wait_loaded, not_loaded_error
from .runtime import SmsGatewaysConfigEntry
from .send_request import SendReport, SendRequest

_LOGGER = logging.getLogger(__name__)

PARALLEL_UPDATES = 0

NOTIFY_DATA_SCHEMA = probatio.Schema(SEND_OPTION_FIELDS)


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

        ``notify.send_message`` to several recipients of one account makes one send. Called
        while the account reloads, it goes through the account set up again.
        """
        number = self._number
        text = with_title(message, title)
        await async_send_through(
            self.hass,
            self._entry.entry_id,
            lambda entry: entry.runtime_data.sending.async_notify(number, text),
        )


@callback
def async_setup_legacy_notify(hass: HomeAssistant, config: ConfigType) -> None:
    """Load the legacy notify platform, once for every entry (as ``mobile_app`` does)."""
    hass.async_create_task(
        discovery.async_load_platform(hass, Platform.NOTIFY, DOMAIN, {CONF_NAME: DOMAIN}, config),
        eager_start=True,
    )

    @callback
    def _entry_changed(change: ConfigEntryChange, entry: ConfigEntry[Any]) -> None:
        if entry.domain == DOMAIN and change is ConfigEntryChange.REMOVED:
            # A removed account's services go with it.
            hass.async_create_task(async_reload(hass, DOMAIN), eager_start=True)

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)


async def async_update_legacy_services(hass: HomeAssistant) -> None:
    """Bring the legacy services in line with the accounts and their recipients.

    An account's services stay while it unloads, reloads or waits to be set up again: a call
    meanwhile waits for it, or is refused with a translated error. They go when the account is
    removed or disabled.
    """
    await async_reload(hass, DOMAIN)


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> SmsNotificationService | None:
    """The legacy services of every account (never from YAML)."""
    if discovery_info is None:
        return None
    return SmsNotificationService()


def _target_name(entry: SmsGatewaysConfigEntry, subentry: ConfigSubentry) -> str:
    return f"{entry.title} {subentry.title}"


class SmsNotificationService(BaseNotificationService):
    """The legacy services: ``notify.sms_gateways`` and one per account."""

    def __init__(self) -> None:
        """No account yet: they come and go with their entries."""
        self._accounts: dict[str, str] = {}
        """The ``notify.<account>`` services registered: service name -> entry id."""
        self._warned: set[str] = set()

    @property
    def _entries(self) -> list[SmsGatewaysConfigEntry]:
        """Every account that is not disabled, loaded or not (a call waits for it)."""
        return self.hass.config_entries.async_entries(DOMAIN, include_disabled=False)

    @override
    async def async_register_services(self) -> None:
        """Bring the services in line with the loaded accounts; none without an account."""
        if not self._entries:
            await self.async_unregister_services()
            return
        await super().async_register_services()
        texts = await translation.async_get_translations(
            self.hass, self.hass.config.language, "services", [DOMAIN]
        )
        async_set_service_schema(
            self.hass,
            NOTIFY_DOMAIN,
            self._service_name,
            self._description(texts, "notify_all_accounts", ""),
        )
        # A name belongs to the first account set up with that title, loaded or not, so that
        # it never moves to another account while its own reloads, nor between restarts.
        wanted: dict[str, str] = {}
        titles: dict[str, str] = {}
        for entry in self._entries:
            wanted.setdefault(slugify(entry.title), entry.entry_id)
            titles[entry.entry_id] = entry.title
        for name in [name for name in self._accounts if name not in wanted]:
            del self._accounts[name]
            self.hass.services.async_remove(NOTIFY_DOMAIN, name)
        for name, entry_id in wanted.items():
            if name not in self._accounts:
                if self.hass.services.has_service(NOTIFY_DOMAIN, name):
                    continue
                self.hass.services.async_register(
                    NOTIFY_DOMAIN, name, self._async_account_service, schema=NOTIFY_SERVICE_SCHEMA
                )
            self._accounts[name] = entry_id
            async_set_service_schema(
                self.hass,
                NOTIFY_DOMAIN,
                name,
                self._description(texts, "notify_account", titles[entry_id]),
            )
        for entry in self._entries:
            if entry.entry_id in self._accounts.values() or entry.entry_id in self._warned:
                continue
            self._warned.add(entry.entry_id)
            _LOGGER.warning(
                "The notify service %s.%s already exists; rename the %s entry %s to get its own",
                NOTIFY_DOMAIN,
                slugify(entry.title),
                DOMAIN,
                entry.title,
            )

    def _description(self, texts: dict[str, str], key: str, account: str) -> dict[str, Any]:
        """The name, description and fields of a service, in the system's language."""

        def text(path: str) -> str:
            return texts.get(f"component.{DOMAIN}.services.{key}.{path}", "").replace(
                "{account}", account
            )

        return {
            CONF_NAME: text("name"),
            CONF_DESCRIPTION: text("description"),
            "fields": {
                field: {
                    **spec,
                    CONF_NAME: text(f"fields.{field}.name"),
                    CONF_DESCRIPTION: text(f"fields.{field}.description"),
                }
                for field, spec in self.services_dict[SERVICE_NOTIFY]["fields"].items()
            },
        }

    @override
    async def async_unregister_services(self) -> None:
        """Remove every service, the accounts' too."""
        await super().async_unregister_services()
        for name in self._accounts:
            self.hass.services.async_remove(NOTIFY_DOMAIN, name)
        self._accounts.clear()
        self._warned.clear()

    async def _async_account_service(self, call: ServiceCall) -> None:
        """``notify.<account>``: through that account only (waited for while it reloads)."""
        entry = self.hass.config_entries.async_get_entry(self._accounts.get(call.service, ""))
        if entry is None:
            # Called while its account is removed, before the service is taken away.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="notify_account_not_loaded",
                translation_placeholders={"service": f"{NOTIFY_DOMAIN}.{call.service}"},
            )
        await self._async_send([entry], call.data[ATTR_MESSAGE], call.data)

    @override
    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """``notify.sms_gateways``: through every account."""
        await self._async_send(self._entries, message, kwargs)

    async def _async_send(
        self, entries: list[SmsGatewaysConfigEntry], message: str, fields: Mapping[str, Any]
    ) -> None:
        """Send the message, the title on its first line, with the options of ``data``.

        Each account sends to its own recipients; a number goes through the one account named.

        Raises:
            ServiceValidationError: no recipient, a target that names none with several
                accounts, or ``data`` has an unknown or invalid option.
            HomeAssistantError: the first account that could not send (the others still did).
        """
        try:
            options: dict[str, Any] = NOTIFY_DATA_SCHEMA(fields.get(ATTR_DATA) or {})
        except probatio.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_notify_data",
                translation_placeholders={"error": str(err)},
            ) from err
        # An account that loads or reloads is waited for. The loaded ones come first, so that
        # a number several accounts list goes through one that can send it.
        loaded = {entry.entry_id for entry in entries if await async_wait_loaded(self.hass, entry)}
        entries = sorted(entries, key=lambda entry: entry.entry_id not in loaded)
        numbers = _numbers_by_entry(entries, fields.get(ATTR_TARGET) or [])
        if not numbers and len(entries) == 1:
            # Only an account without any recipient is told to add one.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="notify_account_no_recipients",
                translation_placeholders={"account": entries[0].title},
            )
        if not numbers:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="notify_no_recipients"
            )
        text = with_title(message, fields.get(ATTR_TITLE))
        errors: list[tuple[SmsGatewaysConfigEntry, HomeAssistantError]] = []
        requests: list[tuple[SmsGatewaysConfigEntry, SendRequest]] = []
        for entry in entries:
            if entry.entry_id not in numbers:
                continue
            if entry.entry_id not in loaded:
                # Not coming: said so (after the others have sent), never left out silently.
                errors.append((entry, not_loaded_error(entry)))
                continue
            requests.append((entry, SendRequest.of(numbers[entry.entry_id], text, options)))
        # Every account's message is checked before any is sent: an option one provider lacks
        # fails the call with nothing sent, not after another account has sent.
        for entry, request in requests:
            entry.runtime_data.sending.prepare(request)
        for entry, request in requests:
            try:
                await async_send_through(self.hass, entry.entry_id, partial(_async_send, request))
            except HomeAssistantError as err:
                errors.append((entry, err))
        for failed, error in errors[1:]:
            # Only the first is raised: the others are said here, each with its own words.
            _LOGGER.error("Sending through %s failed too: %s", failed.title, mask_numbers(error))
        if errors:
            raise errors[0][1]


async def _async_send(request: SendRequest, entry: SmsGatewaysConfigEntry) -> SendReport:
    return await entry.runtime_data.sending.async_send(request)


def _numbers_by_entry(
    entries: list[SmsGatewaysConfigEntry], targets: list[str]
) -> dict[str, list[str]]:
    """The numbers each account sends to: its recipients named in ``targets``, or all of them.

    Raises:
        ServiceValidationError: a target is no recipient's name, and several accounts could
            send to it.
    """
    if not targets:
        if len(entries) == 1:
            own = recipient_numbers(entries[0])
            return {entries[0].entry_id: own} if own else {}
        # A number several accounts list (a fallback account's copy) gets one message.
        every: dict[str, list[str]] = {}
        seen: set[str] = set()
        for entry in entries:
            if new := [n for n in recipient_numbers(entry) if n not in seen]:
                every[entry.entry_id] = new
                seen.update(new)
        return every
    numbers: dict[str, list[str]] = {}
    for target in targets:
        key = slugify(target)
        found = [
            (entry, subentry)
            for entry in entries
            for subentry in recipient_subentries(entry)
            if key == slugify(_target_name(entry, subentry))
            or (len(entries) == 1 and key == slugify(subentry.title))
        ]
        if found:
            entry, subentry = found[0]
            numbers.setdefault(entry.entry_id, []).append(subentry.data[CONF_PHONE_NUMBER])
        elif len(entries) == 1:
            numbers.setdefault(entries[0].entry_id, []).append(target)
        else:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="notify_target_unknown",
                translation_placeholders={"target": target},
            )
    return numbers
