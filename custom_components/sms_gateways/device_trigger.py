"""Device trigger "an SMS from a trusted contact", optionally containing a word.

It lets a user build "when Alice texts STATUS" in the UI, on the account's device, without
templates, and only ever for an SMS whose sender is one of the account's recipients. The event
trigger matches equal values only, so the word is looked for here.
"""

from __future__ import annotations

from collections.abc import Mapping
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

from .const import CONF_PROVIDER, DOMAIN, EVENT_INBOUND_SMS
from .gateways import GATEWAYS, Capability

TRIGGER_TRUSTED_SMS = "trusted_sms"
CONF_CONTAINING = "containing"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        probatio.Required(CONF_TYPE): probatio.In([TRIGGER_TRUSTED_SMS]),
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


def _account_entry_id(hass: HomeAssistant, device_id: str) -> str | None:
    """The config entry of an account's device that can receive SMS; None for any other."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or (DOMAIN, device.config_entry_id) not in device.identifiers:
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
    return entry.entry_id


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The account's device of a provider that receives SMS has the trigger."""
    if _account_entry_id(hass, device_id) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: TRIGGER_TRUSTED_SMS,
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
    """Run the action for each SMS of the account from a trusted contact (with the word).

    Raises:
        InvalidDeviceAutomationConfig: the device is not an account that receives SMS.
    """
    entry_id = _account_entry_id(hass, config[CONF_DEVICE_ID])
    if entry_id is None:
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is not an SMS account that receives SMS"
        )
    word: str = config.get(CONF_CONTAINING) or ""
    trigger_data = trigger_info["trigger_data"]
    job = HassJob(action, f"{DOMAIN} trusted SMS trigger {trigger_info}")

    @callback
    def _matches(data: Mapping[str, Any]) -> bool:
        return (
            data.get("config_entry_id") == entry_id
            and data.get("trusted") is True
            and contains_word(str(data.get("message") or ""), word)
        )

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
                    CONF_TYPE: TRIGGER_TRUSTED_SMS,
                    "event": event,
                    "description": f"SMS from {event.data.get('contact')}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_INBOUND_SMS, _run, event_filter=_matches)
