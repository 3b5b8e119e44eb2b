"""Device triggers: an SMS from a trusted contact (the account), or from this contact (a recipient).

They let a user build "when Alice texts STATUS" in the UI without templates, and only ever for an
SMS whose sender is one of the account's recipients; on a recipient's device, the action can
answer through that recipient's notify entity. Either may ask for a word. The event trigger
matches equal values only, so the word is looked for here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any
import unicodedata

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .const import (
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_REGION,
    DOMAIN,
    EVENT_INBOUND_SMS,
    SUBENTRY_RECIPIENT,
)
from .contacts import Contact, find_contact, sender_number
from .gateways import GATEWAYS, Capability

TRIGGER_TRUSTED_SMS = "trusted_sms"
"""On the account's device: an SMS from any of its recipients."""
TRIGGER_CONTACT_SMS = "contact_sms"
"""On a recipient's device: an SMS from that recipient."""
CONF_CONTAINING = "containing"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        probatio.Required(CONF_TYPE): probatio.In([TRIGGER_TRUSTED_SMS, TRIGGER_CONTACT_SMS]),
        probatio.Optional(CONF_CONTAINING): cv.string,
    }
)


def _folded(text: str) -> str:
    """``text`` as compared: NFKC-normalised and case-folded (``Straße`` is ``STRASSE``)."""
    return unicodedata.normalize("NFKC", text).casefold()


def contains_word(message: str, word: str) -> bool:
    """Whether ``message`` has ``word`` (or a phrase) as a whole word, whatever the case.

    A whole word, so that "arm" is not found in "disarm" or "alarm". An empty word is in every
    message.
    """
    folded = _folded(word).strip()
    if not folded:
        return True
    return re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", _folded(message)) is not None


@dataclass(frozen=True, slots=True)
class _Source:
    """Whose SMS a device's trigger is about: the account's trusted contacts, or one of them."""

    entry_id: str
    trigger_type: str
    region: str
    """The account's country, to read a national number."""
    contact: Contact | None = None
    """The recipient of a recipient's device; None on the account's device (any contact)."""

    @callback
    def matches(self, data: Mapping[str, Any], word: str) -> bool:
        """Whether a received SMS's event data is one to trigger on."""
        return (
            data.get("config_entry_id") == self.entry_id
            and data.get("trusted") is True
            and (
                self.contact is None
                or find_contact(str(data.get("sender") or ""), [self.contact], self.region)
                is not None
            )
            and contains_word(str(data.get("message") or ""), word)
        )


def _source(hass: HomeAssistant, device_id: str) -> _Source | None:
    """The SMS a device of ours can trigger on; None where its provider receives no SMS."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    if entry is None or entry.domain != DOMAIN:
        return None
    gateway = GATEWAYS.get(entry.data.get(CONF_PROVIDER, ""))
    if (
        gateway is None
        or not {Capability.INBOUND_PUSH, Capability.INBOUND_POLL} & gateway.capabilities
    ):
        return None
    region = str(entry.options.get(CONF_REGION) or gateway.default_region).upper()
    if (DOMAIN, entry.entry_id) in device.identifiers:
        return _Source(entry.entry_id, TRIGGER_TRUSTED_SMS, region)
    subentry = entry.subentries.get(device.config_subentry_id or "")
    if (
        subentry is None
        or subentry.subentry_type != SUBENTRY_RECIPIENT
        or (DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}") not in device.identifiers
    ):
        return None
    number = sender_number(str(subentry.data.get(CONF_PHONE_NUMBER, "")), region)
    if number is None:
        return None
    return _Source(entry.entry_id, TRIGGER_CONTACT_SMS, region, Contact(subentry.title, number))


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The account's device has "from a trusted contact", each recipient's "from this contact".

    Only where the provider receives SMS.
    """
    if (source := _source(hass, device_id)) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: source.trigger_type,
        }
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, probatio.Schema]:
    """The optional word the SMS must contain."""
    return {"extra_fields": probatio.Schema({probatio.Optional(CONF_CONTAINING): cv.string})}


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run the action for each SMS from a trusted contact (or this contact), with the word.

    Raises:
        InvalidDeviceAutomationConfig: the device is not one of an account that receives SMS.
    """
    source = _source(hass, config[CONF_DEVICE_ID])
    if source is None or source.trigger_type != config[CONF_TYPE]:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} has no trigger {config[CONF_TYPE]}"
        )
    word: str = config.get(CONF_CONTAINING) or ""
    trigger_data = trigger_info["trigger_data"]
    job = HassJob(action, f"{DOMAIN} {source.trigger_type} trigger {trigger_info}")

    @callback
    def _matches(data: Mapping[str, Any]) -> bool:
        return source.matches(data, word)

    @callback
    def _run(event: Event) -> None:
        hass.loop.call_soon(
            hass.async_run_hass_job,
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                    CONF_TYPE: source.trigger_type,
                    "event": event,
                    "description": f"SMS from {event.data.get('contact')}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_INBOUND_SMS, _run, event_filter=_matches)
