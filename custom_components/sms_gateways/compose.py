"""An outgoing SMS made of an action's or a notification's fields and the account's options.

Sending it is ``sending.py``'s job, the one send path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .const import (
    ATTR_BOOKMARK_URL,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TEST,
    ATTR_TTS,
    CONF_MESSAGE_TYPE,
    CONF_SENDER,
    DOMAIN,
    MESSAGE_TYPES,
)
from .gateways import Capability, OutgoingSms, SmsGateway

SEND_OPTION_FIELDS: dict[Any, Any] = {
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
"""The fields of an action or a notification that shape the message, as they are validated."""
SEND_OPTIONS = tuple(str(field) for field in SEND_OPTION_FIELDS)
"""Their names."""

# The send options a provider may not have, and the capability each needs.
_OPTION_CAPABILITIES: dict[str, Capability] = {
    ATTR_SEND_AT: Capability.SCHEDULE,
    ATTR_FLASH: Capability.FLASH,
    ATTR_MESSAGE_TYPE: Capability.MESSAGE_TYPE,
    ATTR_BOOKMARK_URL: Capability.BOOKMARK,
    ATTR_TTS: Capability.TTS,
    ATTR_TEST: Capability.TEST_MODE,
}


def default_sender(entry: ConfigEntry[Any]) -> str | None:
    """The sender of the options (None: the provider's)."""
    return entry.options.get(CONF_SENDER) or None


def with_title(message: str, title: str | None) -> str:
    """An SMS has no title: put it on the first line."""
    return f"{title}\n{message}" if title else message


def local_datetime(value: datetime) -> datetime:
    """A date and time without a time zone is Home Assistant's local time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_util.get_default_time_zone())
    return value


def build_sms(
    entry: ConfigEntry[Any],
    gateway: SmsGateway,
    recipients: Sequence[str],
    message: str,
    options: dict[str, Any],
) -> OutgoingSms:
    """An outgoing SMS from an action's or a notification's fields and the entry's options.

    Raises:
        ServiceValidationError: an option the provider does not have was asked for.
    """
    for option, capability in _OPTION_CAPABILITIES.items():
        if options.get(option) and not gateway.supports(capability):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="option_not_supported",
                translation_placeholders={"option": option, "provider": gateway.title},
            )
    message_type = options.get(ATTR_MESSAGE_TYPE)
    if message_type is None and gateway.supports(Capability.MESSAGE_TYPE):
        message_type = entry.options.get(CONF_MESSAGE_TYPE)
    send_at = options.get(ATTR_SEND_AT)
    return OutgoingSms(
        recipients=tuple(recipients),
        message=message,
        sender=options.get(ATTR_SENDER) or default_sender(entry),
        send_at=local_datetime(send_at) if send_at is not None else None,
        flash=bool(options.get(ATTR_FLASH)),
        message_type=message_type,
        bookmark_url=options.get(ATTR_BOOKMARK_URL),
        tts=bool(options.get(ATTR_TTS)),
        test=bool(options.get(ATTR_TEST)),
    )
