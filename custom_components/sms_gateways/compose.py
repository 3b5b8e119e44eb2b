"""An outgoing SMS made of an action's or a notification's fields and the account's options.

Sending it is ``sending.py``'s job, the one send path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import (
    ATTR_BOOKMARK_URL,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TEST,
    ATTR_TTS,
    CONF_MESSAGE_TYPE,
    CONF_PHONE_NUMBER,
    CONF_SENDER,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from .gateways import Capability, OutgoingSms, SmsGateway

SEND_OPTIONS = (
    ATTR_SENDER,
    ATTR_SEND_AT,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_BOOKMARK_URL,
    ATTR_TTS,
    ATTR_TEST,
)
"""The fields of an action or a notification that shape the message."""

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


def recipient_numbers(entry: ConfigEntry[Any]) -> list[str]:
    """The numbers of the entry's recipient subentries."""
    return [
        subentry.data[CONF_PHONE_NUMBER]
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]


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
