"""A gateway error as the translated Home Assistant error that tells the user what went wrong."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .gateways import SmsGateway, errors, outcome_cause


def _outcome_unknown(
    err: errors.GatewayError, names: dict[str, str], *, sending: bool, canceling: str | None
) -> tuple[str, dict[str, str]] | None:
    """The key and placeholders of an error after which the provider may have acted.

    A send (or cancel) that reached the provider, whose answer does not say what became of it:
    the wording is the same for every provider, says that it may have been done, and carries the
    id the answer held, so that the user can check its status instead of sending again.
    """
    if not isinstance(err, errors.GatewayResponseError | errors.GatewayConnectionError):
        return None
    if isinstance(err, errors.GatewayConnectionError) and not err.request_sent:
        return None
    detail = {**names, "error": outcome_cause(str(err))}
    if canceling is not None:
        return "cancel_outcome_unknown", {**detail, "message_id": canceling}
    if not sending:
        return None
    reference = err.reference if isinstance(err, errors.SendOutcomeUnknownError) else None
    if reference:
        return "send_outcome_unknown_id", {**detail, "message_id": reference}
    return "send_outcome_unknown", detail


def sender_error(
    err: errors.InvalidSenderError, names: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders of a refused sender: the doc's rule it breaks."""
    if err.reason == errors.InvalidSenderError.TOO_LONG and err.limit is not None:
        return "sender_too_long", {**names, "limit": str(err.limit)}
    if err.reason == errors.InvalidSenderError.NOT_ALPHANUMERIC:
        return "sender_not_alphanumeric", names
    if err.reason == errors.InvalidSenderError.UNPRINTABLE:
        return "sender_unprintable", names
    return "invalid_sender", {**names, "error": str(err)}


def gateway_error(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    gateway: SmsGateway,
    err: errors.GatewayError,
    *,
    sending: bool = False,
    canceling: str | None = None,
) -> HomeAssistantError:
    """The translated error that tells the user what went wrong.

    Rejected credentials also start a reauthentication of the entry. ``sending`` says the error
    came from a send, ``canceling`` names the message a cancel was for: after either, an answer
    that does not say what became of it is "it may have been done", never a refusal.
    """
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
        case errors.AccessDeniedError():
            key, placeholders, invalid_input = "access_denied", {**names, "error": str(err)}, False
        case errors.AuthenticationError():
            entry.async_start_reauth(hass)
            key, invalid_input = "authentication_failed", False
        case errors.InvalidRecipientError():
            key, placeholders = "invalid_recipient", {"number": err.number or str(err)}
        case errors.TooManyRecipientsError():
            key = "too_many_recipients"
            placeholders = {**names, "count": str(err.count), "limit": str(err.limit)}
        case errors.InvisibleMessageError():
            key = "message_not_visible"
        case errors.EmptyMessageError():
            key = "empty_message"
        case errors.InvalidTextError():
            key = "invalid_character"
            placeholders = {
                "field": err.field,
                "position": str(err.position),
                "character": err.character,
            }
        case errors.SendTimeRangeError():
            key = "send_at_out_of_range"
            placeholders = {
                "send_at": err.when.isoformat(),
                "earliest": err.earliest.date().isoformat(),
                "latest": err.latest.date().isoformat(),
            }
        case errors.MessageTooLongError():
            key = "message_too_long"
            placeholders = {**names, "length": str(err.length), "limit": str(err.limit)}
        case errors.InvalidSenderError():
            key, placeholders = sender_error(err, names)
        case errors.UnsupportedOperationError():
            key, placeholders = "unsupported", {**names, "error": str(err)}
        case errors.InsufficientCreditsError():
            key, invalid_input = "insufficient_credits", False
        case errors.MessageRejectedError() | errors.SchedulingError():
            key, placeholders, invalid_input = "rejected", {**names, "error": str(err)}, False
        case errors.GatewayConnectionError() if not err.request_sent:
            key, invalid_input = "cannot_connect", False
        case errors.GatewayConnectionError():
            key, invalid_input = "no_answer", False
        case errors.GatewayResponseError():
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
