"""The scheduled sends of an account, remembered so that ``cancel_sms`` cancels one whole.

A send with a ``send_at`` is kept by its ``batch_id`` until an hour after its time; the send
path remembers each one the provider took, and stores them with its outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .gateways import Capability, GatewayError, SendResult, SmsGateway
from .tracking import DeliveryTracker

SCHEDULED_KEPT = timedelta(hours=1)
"""How long after its send time a scheduled send is still remembered for ``cancel_sms``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledSend:
    """A scheduled send that ``cancel_sms`` can cancel by its ``batch_id``."""

    send_at: datetime
    messages: tuple[tuple[str, str], ...]
    """(message id, recipient) of every message the provider took."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {"send_at": self.send_at.isoformat(), "messages": [list(m) for m in self.messages]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScheduledSend:
        """Read what ``as_dict`` wrote."""
        return cls(
            send_at=datetime.fromisoformat(data["send_at"]),
            messages=tuple((str(mid), str(recipient)) for mid, recipient in data["messages"]),
        )


class ScheduledSends:
    """The account's scheduled sends by batch id, and their cancellation."""

    def __init__(
        self,
        gateway: SmsGateway,
        tracker: DeliveryTracker,
        *,
        on_change: Callable[[], None],
        error: Callable[[GatewayError], HomeAssistantError],
    ) -> None:
        """``on_change`` stores them; ``error`` translates the provider's refusal."""
        self.gateway = gateway
        self.tracker = tracker
        self.sends: dict[str, ScheduledSend] = {}
        self._on_change = on_change
        self._error = error

    def load(self, stored: Any) -> None:
        """Restore what ``as_dict`` wrote; a malformed send is skipped."""
        for batch_id, data in (stored if isinstance(stored, dict) else {}).items():
            try:
                self.sends[str(batch_id)] = ScheduledSend.from_dict(data)
            except KeyError, ValueError, TypeError, AttributeError:
                continue

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {batch_id: send.as_dict() for batch_id, send in self.sends.items()}

    @callback
    def async_remember(self, result: SendResult) -> None:
        """Remember a scheduled send, so that ``cancel_sms`` can cancel it by its batch id."""
        gateway = self.gateway
        if result.send_at is None or result.batch_id is None:
            return
        if not gateway.supports(Capability.CANCEL):
            return
        now = dt_util.utcnow()
        for batch_id, send in list(self.sends.items()):
            if send.send_at + SCHEDULED_KEPT < now:
                del self.sends[batch_id]
        self.sends[result.batch_id] = ScheduledSend(
            send_at=result.send_at,
            messages=tuple(
                (message.message_id, message.recipient)
                for message in result.accepted
                if message.message_id is not None
            ),
        )
        self._on_change()

    async def async_cancel_batch(self, batch_id: str) -> dict[str, Any]:
        """Cancel every scheduled message of one send; each one's result.

        Raises:
            ServiceValidationError: no scheduled send has this batch id.
            HomeAssistantError: the provider refused, or cancelled none of them.
        """
        send = self.sends.get(batch_id)
        if send is None or not send.messages:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_batch",
                translation_placeholders={"batch_id": batch_id},
            )
        ids = [message_id for message_id, _recipient in send.messages]
        try:
            results = await self.gateway.cancel(ids)
        except GatewayError as err:
            raise self._error(err) from err
        by_id = {result.message_id: result for result in results}
        messages: list[dict[str, Any]] = []
        marked = False
        for message_id, recipient in send.messages:
            result = by_id.get(message_id)
            # None: the answer does not say (it may have been cancelled).
            canceled = result.canceled if result is not None else False
            if canceled and not (marked and self.gateway.cancels_whole_batch):
                self.tracker.async_mark_canceled(message_id)
                marked = True
            error = None
            if not canceled:
                error = (result.error if result else None) or "The provider said nothing of it"
            messages.append(
                {
                    "message_id": message_id,
                    "recipient": recipient,
                    "canceled": canceled,
                    "error": error,
                }
            )
        left = tuple(
            (message["message_id"], message["recipient"])
            for message in messages
            if not message["canceled"]
        )
        if left and len(left) == len(messages):
            unknown = [message for message in messages if message["canceled"] is None]
            if unknown:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="cancel_batch_outcome_unknown",
                    translation_placeholders={
                        "batch_id": batch_id,
                        "provider": self.gateway.title,
                        "error": unknown[0]["error"],
                    },
                )
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cancel_batch_failed",
                translation_placeholders={"batch_id": batch_id, "error": messages[0]["error"]},
            )
        if left:
            self.sends[batch_id] = replace(send, messages=left)
        else:
            del self.sends[batch_id]
        self._on_change()
        return {"batch_id": batch_id, "messages": messages}
