"""What is sent and what became of it: the request, the report, and the errors of a send.

The types every part of the send path shares (``sending.py`` and the outbox, the scheduled
sends and the gathered notify calls it uses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .compose import SEND_OPTIONS
from .const import ATTR_SEND_AT, DOMAIN
from .gateways import (
    AuthenticationError,
    DeliveryStatus,
    GatewayConnectionError,
    GatewayError,
    InsufficientCreditsError,
    MessageInfo,
    PreparedSms,
    SendOutcomeUnknownError,
    SendResult,
    SmsGateway,
)

type SentListener = Callable[[SendResult], None]


def certainly_not_sent(err: GatewayError) -> bool:
    """Whether the error proves that the provider took nothing of the send.

    The adapters raise these for a whole send only before anything could have gone out.
    """
    if isinstance(err, GatewayConnectionError):
        return not err.request_sent
    return isinstance(err, AuthenticationError | InsufficientCreditsError)


def unreachable(err: GatewayError) -> bool:
    """Whether the provider could not be reached and the request never left."""
    return isinstance(err, GatewayConnectionError) and not err.request_sent


def may_have_been_sent(err: BaseException) -> bool:
    """Whether the send's error leaves open that the provider took it."""
    if isinstance(err, HomeAssistantError) and (err.translation_key or "").startswith(
        "send_outcome_unknown"
    ):
        return True
    cause = err.__cause__ if isinstance(err, HomeAssistantError) else err
    if isinstance(cause, GatewayConnectionError):
        return cause.request_sent
    return isinstance(cause, SendOutcomeUnknownError)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """What to send, as the user asked for it; each account makes its own message of it."""

    recipients: tuple[str, ...]
    message: str
    options: dict[str, Any] = field(default_factory=dict)
    """The send options given (``sender``, ``send_at`` as a datetime, ``flash``, ...)."""

    @classmethod
    def of(cls, recipients: list[str] | tuple[str, ...], message: str, data: Any) -> SendRequest:
        """A request from an action's or a notification's fields (other fields ignored)."""
        options = {key: data[key] for key in SEND_OPTIONS if data.get(key) is not None}
        return cls(recipients=tuple(recipients), message=message, options=options)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for the outbox."""
        options = dict(self.options)
        send_at = options.get(ATTR_SEND_AT)
        if isinstance(send_at, datetime):
            options[ATTR_SEND_AT] = send_at.isoformat()
        return {"recipients": list(self.recipients), "message": self.message, "options": options}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SendRequest:
        """Read what ``as_dict`` wrote."""
        options = {
            key: value for key, value in dict(data["options"]).items() if key in SEND_OPTIONS
        }
        if isinstance(options.get(ATTR_SEND_AT), str):
            options[ATTR_SEND_AT] = datetime.fromisoformat(options[ATTR_SEND_AT])
        return cls(
            recipients=tuple(str(number) for number in data["recipients"]),
            message=str(data["message"]),
            options=options,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientOutcome:
    """What became of one recipient of a send, and which account took it."""

    recipient: str
    accepted: bool
    status: DeliveryStatus
    sent_by: str
    """The config entry id of the account that took it (or keeps it in its outbox)."""
    message_id: str | None = None
    error: str | None = None
    error_code: str | None = None

    def as_response(self) -> dict[str, Any]:
        """One item of ``messages`` in the ``send_sms`` response."""
        return {
            "recipient": self.recipient,
            "message_id": self.message_id,
            "accepted": self.accepted,
            "error": self.error,
            "status": self.status.value,
            "sent_by": self.sent_by,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReport:
    """The outcome of a send for every recipient."""

    messages: tuple[RecipientOutcome, ...]
    info: MessageInfo
    batch_id: str | None = None

    @classmethod
    def of(cls, result: SendResult, entry_id: str) -> SendReport:
        """The report of what one account's provider answered."""
        return cls(
            messages=tuple(
                RecipientOutcome(
                    recipient=message.recipient,
                    accepted=message.accepted,
                    status=message.status,
                    sent_by=entry_id,
                    message_id=message.message_id,
                    error=message.error,
                    error_code=message.error_code,
                )
                for message in result.messages
            ),
            info=result.info,
            batch_id=result.batch_id,
        )

    def as_response(self) -> dict[str, Any]:
        """The ``send_sms`` response."""
        return {
            "messages": [message.as_response() for message in self.messages],
            "batch_id": self.batch_id,
            "encoding": self.info.encoding.value,
            "characters": self.info.characters,
            "segments": self.info.segments,
        }


class EntryStoppedError(HomeAssistantError):
    """The account unloaded before the send began: nothing was sent or kept.

    The callers send it again through the entry set up next (``loading.async_send_through``).
    """

    def __init__(self, title: str) -> None:
        """Said in the user's words, should it ever reach them."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="account_not_loaded",
            translation_placeholders={"account": title, "reason": ""},
        )


class NotSentError(Exception):
    """Neither the account nor its fallback could take the send; nothing was sent."""

    def __init__(self, error: GatewayError) -> None:
        """The account's own error, to say or to keep the message after."""
        super().__init__(str(error))
        self.error = error


class SendPath(Protocol):
    """What the outbox and the gathered notify calls use of ``sending.EntrySending``.

    A protocol, so that the parts below the send path do not import it (no import circle).
    """

    @property
    def hass(self) -> HomeAssistant:
        """Home Assistant."""

    @property
    def entry(self) -> ConfigEntry[Any]:
        """The account."""

    @property
    def gateway(self) -> SmsGateway:
        """The account's provider."""

    @property
    def stopped(self) -> bool:
        """Whether the account unloads: no attempt starts any more."""

    @property
    def has_fallback(self) -> bool:
        """Whether the account has a fallback account."""

    @property
    def give_up_after(self) -> timedelta:
        """How long a message waits in the outbox at most."""

    async def async_send_report(self, request: SendRequest) -> SendReport:
        """The one send path."""

    def not_taken(self, outcome: RecipientOutcome) -> HomeAssistantError:
        """The error of a recipient the provider did not take."""

    def error(self, err: GatewayError) -> HomeAssistantError:
        """The translated error of a gateway error."""

    def prepare(self, request: SendRequest) -> PreparedSms:
        """The account's message for ``request``."""

    async def async_send_once(self, request: SendRequest, prepared: PreparedSms) -> SendReport:
        """This account, else its fallback (raises ``NotSentError`` if neither took it)."""

    def title_of(self, entry_id: str) -> str:
        """The provider's title of the account that took a message."""

    def changed(self) -> None:
        """Write the outbox with the next group."""

    async def async_write(self) -> None:
        """Return once the outbox is on disk (raises ``WriteError``)."""

    async def async_write_logged(self) -> None:
        """Like ``async_write``, a failure only logged."""
