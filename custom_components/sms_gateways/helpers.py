"""Building an entry's messages, and the gateway's errors in the user's language.

Sending itself is in ``sending.py``, the one send path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
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
from .coordinator import SmsGatewaysConfigEntry
from .gateways import (
    AccessDeniedError,
    AuthenticationError,
    Capability,
    EmptyMessageError,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
    InvalidSenderError,
    InvalidTextError,
    InvisibleMessageError,
    MessageRejectedError,
    MessageTooLongError,
    OutgoingSms,
    SchedulingError,
    SendOutcomeUnknownError,
    SendTimeRangeError,
    TooManyRecipientsError,
    UnsupportedOperationError,
    outcome_cause,
)

# The send options a provider may not have, and the capability each needs.
_OPTION_CAPABILITIES: dict[str, Capability] = {
    ATTR_SEND_AT: Capability.SCHEDULE,
    ATTR_FLASH: Capability.FLASH,
    ATTR_MESSAGE_TYPE: Capability.MESSAGE_TYPE,
    ATTR_BOOKMARK_URL: Capability.BOOKMARK,
    ATTR_TTS: Capability.TTS,
    ATTR_TEST: Capability.TEST_MODE,
}


def default_sender(entry: SmsGatewaysConfigEntry) -> str | None:
    """The sender of the options (None: the provider's)."""
    return entry.options.get(CONF_SENDER) or None


def recipient_numbers(entry: SmsGatewaysConfigEntry) -> list[str]:
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
    entry: SmsGatewaysConfigEntry,
    recipients: Sequence[str],
    message: str,
    options: dict[str, Any],
) -> OutgoingSms:
    """An outgoing SMS from an action's or a notification's fields and the entry's options.

    Raises:
        ServiceValidationError: an option the provider does not have was asked for.
    """
    gateway = entry.runtime_data.gateway
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


@contextmanager
def translate_errors(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    *,
    sending: bool = False,
    canceling: str | None = None,
) -> Iterator[None]:
    """Raise the gateway errors of the block as translated Home Assistant errors."""
    try:
        yield
    except GatewayError as err:
        raise gateway_error(hass, entry, err, sending=sending, canceling=canceling) from err


def _outcome_unknown(
    err: GatewayError, names: dict[str, str], *, sending: bool, canceling: str | None
) -> tuple[str, dict[str, str]] | None:
    """The key and placeholders of an error after which the provider may have acted.

    A send (or cancel) that reached the provider, whose answer does not say what became of it:
    the wording is the same for every provider, says that it may have been done, and carries the
    id the answer held, so that the user can check its status instead of sending again.
    """
    if not isinstance(err, GatewayResponseError | GatewayConnectionError):
        return None
    if isinstance(err, GatewayConnectionError) and not err.request_sent:
        return None
    detail = {**names, "error": outcome_cause(str(err))}
    if canceling is not None:
        return "cancel_outcome_unknown", {**detail, "message_id": canceling}
    if not sending:
        return None
    reference = err.reference if isinstance(err, SendOutcomeUnknownError) else None
    if reference:
        return "send_outcome_unknown_id", {**detail, "message_id": reference}
    return "send_outcome_unknown", detail


def sender_error(err: InvalidSenderError, names: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders of a refused sender: the doc's rule it breaks."""
    if err.reason == InvalidSenderError.TOO_LONG and err.limit is not None:
        return "sender_too_long", {**names, "limit": str(err.limit)}
    if err.reason == InvalidSenderError.NOT_ALPHANUMERIC:
        return "sender_not_alphanumeric", names
    if err.reason == InvalidSenderError.UNPRINTABLE:
        return "sender_unprintable", names
    return "invalid_sender", {**names, "error": str(err)}


def gateway_error(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    err: GatewayError,
    *,
    sending: bool = False,
    canceling: str | None = None,
) -> HomeAssistantError:
    """The translated error that tells the user what went wrong.

    Rejected credentials also start a reauthentication of the entry. ``sending`` says the error
    came from a send, ``canceling`` names the message a cancel was for: after either, an answer
    that does not say what became of it is "it may have been done", never a refusal.
    """
    gateway = entry.runtime_data.gateway
    names = {"provider": gateway.title, "account": entry.title}
    if (unknown := _outcome_unknown(err, names, sending=sending, canceling=canceling)) is not None:
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=unknown[0],
            translation_placeholders=unknown[1],
        )
    key: str
    placeholders: dict[str, str] = names
    invalid_input = True
    match err:
        case AccessDeniedError():
            key, placeholders, invalid_input = "access_denied", {**names, "error": str(err)}, False
        case AuthenticationError():
            entry.async_start_reauth(hass)
            key, invalid_input = "authentication_failed", False
        case InvalidRecipientError():
            key, placeholders = "invalid_recipient", {"number": err.number or str(err)}
        case TooManyRecipientsError():
            key = "too_many_recipients"
            placeholders = {**names, "count": str(err.count), "limit": str(err.limit)}
        case InvisibleMessageError():
            key = "message_not_visible"
        case EmptyMessageError():
            key = "empty_message"
        case InvalidTextError():
            key = "invalid_character"
            placeholders = {
                "field": err.field,
                "position": str(err.position),
                "character": err.character,
            }
        case SendTimeRangeError():
            key = "send_at_out_of_range"
            placeholders = {
                "send_at": err.when.isoformat(),
                "earliest": err.earliest.date().isoformat(),
                "latest": err.latest.date().isoformat(),
            }
        case MessageTooLongError():
            key = "message_too_long"
            placeholders = {**names, "length": str(err.length), "limit": str(err.limit)}
        case InvalidSenderError():
            key, placeholders = sender_error(err, names)
        case UnsupportedOperationError():
            key, placeholders = "unsupported", {**names, "error": str(err)}
        case InsufficientCreditsError():
            key, invalid_input = "insufficient_credits", False
        case MessageRejectedError() | SchedulingError():
            key, placeholders, invalid_input = "rejected", {**names, "error": str(err)}, False
        case GatewayConnectionError() if not err.request_sent:
            key, invalid_input = "cannot_connect", False
        case GatewayConnectionError():
            key, invalid_input = "no_answer", False
        case GatewayResponseError():
            key, placeholders, invalid_input = (
                "invalid_response",
                {**names, "error": str(err)},
                False,
            )
        case _:
            key, placeholders, invalid_input = "provider_error", {**names, "error": str(err)}, False
    error_class = ServiceValidationError if invalid_input else HomeAssistantError
    return error_class(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
