"""The outbox: messages that never reached the provider, kept on disk and tried again.

A send the account could not take because it could not be reached (the request never left)
waits here, is tried again through the one send path, waiting longer each time, until it
leaves or the account's ``give_up_after`` has passed. Nothing that may have reached a provider
is tried again: the mark "being sent" is on disk before a request can leave.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any
from uuid import uuid4

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util

from .const import ATTR_SEND_AT, DOMAIN
from .gateways import (
    Capability,
    DeliveryStatus,
    GatewayError,
    PreparedSms,
    mask_numbers,
)
from .listeners import Listeners
from .send_request import (
    NotSentError,
    RecipientOutcome,
    SendPath,
    SendReport,
    SendRequest,
    may_have_been_sent,
    unreachable,
)
from .storage import WriteError
from .tracking import DeliveryTracker, DeliveryUpdate

_LOGGER = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
"""The wait before a message of the outbox is tried again the first time; it doubles after."""
RETRY_LONGEST = timedelta(minutes=5)


OUTBOX_STORE = "outbox"
"""The part of an entry's stored state that keeps its outbox and its scheduled sends."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A message that never reached the provider, and when to try it again."""

    item_id: str
    request: SendRequest
    created_at: datetime
    deadline: datetime
    next_try: datetime
    attempts: int = 0
    reason: str = ""
    """Why the last attempt could not send it."""
    in_flight: bool = False
    """An attempt was started: after a crash, the message may have been sent."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {
            "item_id": self.item_id,
            "request": self.request.as_dict(),
            "created_at": self.created_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "next_try": self.next_try.isoformat(),
            "attempts": self.attempts,
            "reason": self.reason,
            "in_flight": self.in_flight,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxItem:
        """Read what ``as_dict`` wrote."""
        return cls(
            item_id=str(data["item_id"]),
            request=SendRequest.from_dict(data["request"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            deadline=datetime.fromisoformat(data["deadline"]),
            next_try=datetime.fromisoformat(data["next_try"]),
            attempts=int(data.get("attempts", 0)),
            reason=str(data.get("reason", "")),
            in_flight=bool(data.get("in_flight", False)),
        )


class Outbox:
    """One account's outbox: its messages, the timer of the next try, and the tries."""

    def __init__(self, path: SendPath, tracker: DeliveryTracker) -> None:
        """Empty until ``async_load``."""
        self._path = path
        self._tracker = tracker
        self.items: dict[str, OutboxItem] = {}
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._retrying: asyncio.Future[None] | None = None
        """Done when the attempts under way have ended (None when none is)."""
        self._listeners: Listeners[()] = Listeners()

    async def async_load(self, stored: Any) -> None:
        """Restore what was stored; plan the next try.

        A message stopped while its request was out may have reached the provider: it is
        not tried again but said to be of unknown outcome.
        """
        interrupted: list[OutboxItem] = []
        for data in stored if isinstance(stored, list) else []:
            try:
                item = OutboxItem.from_dict(data)
            except KeyError, ValueError, TypeError, AttributeError:
                _LOGGER.debug("Skipping a malformed message of the outbox")
                continue
            if item.in_flight:
                interrupted.append(item)
            else:
                self.items[item.item_id] = item
        for item in interrupted:
            self._publish_all(
                item,
                DeliveryStatus.UNKNOWN,
                "Interrupted while it was being sent: it may have been sent, "
                "so it is not sent again",
            )
        if interrupted:
            with suppress(WriteError):  # logged by the store; tried again with the next change
                await self._path.async_write()
        self._schedule()

    def _running(self) -> bool:
        return not self._path.stopped

    async def async_stop(self) -> None:
        """Plan no more tries; wait for the attempt under way (never cancelled)."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._retrying is not None:
            await asyncio.shield(self._retrying)

    async def async_keep(
        self, request: SendRequest, prepared: PreparedSms, failure: GatewayError
    ) -> SendReport:
        """Keep a message that never left in the outbox, stored before the action answers."""
        now = dt_util.utcnow()
        item = OutboxItem(
            item_id=uuid4().hex,
            request=replace(request, recipients=prepared.recipients),
            created_at=now,
            deadline=now + self._path.give_up_after,
            next_try=now + RETRY_FIRST,
            reason=str(failure),
        )
        try:
            json_bytes(item.as_dict())
        except TypeError, ValueError:
            # Text JSON cannot hold (a lone surrogate): kept, it would fail every write after.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_not_stored",
                translation_placeholders={
                    "account": self._path.entry.title,
                    "error": "the message holds characters that cannot be stored",
                },
            ) from failure
        self.items[item.item_id] = item
        try:
            await self._path.async_write()
        except WriteError as err:
            # Not on disk: a restart would lose it, so it is not promised.
            del self.items[item.item_id]
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_not_stored",
                translation_placeholders={"account": self._path.entry.title, "error": str(err)},
            ) from err
        _LOGGER.warning(
            "%s could not be reached; the SMS to %s waits in the outbox (%s)",
            self._path.entry.title,
            mask_numbers(", ".join(prepared.recipients)),
            mask_numbers(failure),
        )
        self._publish_all(item, DeliveryStatus.RETRYING, f"Not sent yet, trying again: {failure}")
        self._schedule()
        return SendReport(
            messages=tuple(
                RecipientOutcome(
                    recipient=recipient,
                    accepted=False,
                    status=DeliveryStatus.RETRYING,
                    sent_by=self._path.entry.entry_id,
                )
                for recipient in prepared.recipients
            ),
            info=prepared.info,
        )

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Be told whenever the outbox may have changed; returns the callback that stops it."""
        return self._listeners.add(listener)

    @callback
    def _schedule(self) -> None:
        # Called after every change of the outbox: what shows it follows.
        self._listeners.notify()
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._path.stopped:
            return
        waiting = [item for item in self.items.values() if not item.in_flight]
        if not waiting:
            return
        when = min(min(item.next_try, item.deadline) for item in waiting)
        self._unsub_timer = async_track_point_in_utc_time(self._path.hass, self._due, when)

    @callback
    def _due(self, _now: datetime) -> None:
        self._unsub_timer = None
        if not self._path.stopped:
            # The entry's task, not a background one: an unload waits for it, never cancels it.
            self._path.entry.async_create_task(
                self._path.hass, self.async_retry_due(), f"{DOMAIN} outbox {self._path.entry.title}"
            )

    async def async_retry_due(self) -> None:
        """Try every message whose time has come; give up those past their deadline."""
        if self._retrying is not None or self._path.stopped:
            return
        self._retrying = self._path.hass.loop.create_future()
        try:
            now = dt_util.utcnow()
            due = sorted(
                (
                    item
                    for item in self.items.values()
                    if not item.in_flight and min(item.next_try, item.deadline) <= now
                ),
                key=lambda item: item.created_at,
            )
            for item in [item for item in due if now >= item.deadline]:
                self._give_up(item)
            due = [item for item in due if now < item.deadline]
            if due and (failure := await self._async_unreachable()) is not None:
                # Nothing can leave: none is marked as being sent, so a kill now loses none.
                for item in due:
                    self.items[item.item_id] = later(item, now, failure)
                self._path.changed()
                due = []
            for item in due:
                if not self._running():
                    break
                await self._async_attempt(item, now)
        finally:
            retrying, self._retrying = self._retrying, None
            retrying.set_result(None)
            self._schedule()

    async def _async_unreachable(self) -> GatewayError | None:
        """Why the account cannot be reached now, where only a send could tell otherwise.

        A read that changes nothing, before any message is marked as being sent: while the
        provider refuses connections no mark is written, so a start after a kill never takes a
        message that did not leave for one that may have. None when it answered (whatever it
        said), or when the account has a fallback (the attempt hands the message over to it).
        """
        if self._path.has_fallback:
            return None
        gateway = self._path.gateway
        try:
            if gateway.supports(Capability.BALANCE):
                await gateway.get_balance()
            else:
                await gateway.validate_credentials()
        except GatewayError as err:
            return err if unreachable(err) else None
        except Exception:  # noqa: BLE001  # an adapter's bug: the attempt will tell
            return None
        return None

    @callback
    def _give_up(self, item: OutboxItem) -> None:
        del self.items[item.item_id]
        self._path.changed()
        minutes = round((item.deadline - item.created_at).total_seconds() / 60)
        _LOGGER.warning(
            "Gave up the SMS to %s: %s could not be reached for %s minutes",
            mask_numbers(", ".join(item.request.recipients)),
            self._path.entry.title,
            minutes,
        )
        self._publish_all(
            item,
            DeliveryStatus.FAILED,
            f"Never sent: the provider could not be reached for {minutes} minutes ({item.reason})",
        )

    async def _async_attempt(self, item: OutboxItem, now: datetime) -> None:
        """Send one message of the outbox, in this order of writes.

        1. It is marked as being sent, and the mark is on disk (checked) before the request
           can leave: a crash from then on never sends it again.
        2. When the request certainly never left, the mark is cleared and written before
           anything else happens: a start after a kill does not take it for maybe sent.
        3. Whatever else became of it, it leaves the outbox, and that is written.
        """
        request = item.request
        send_at = request.options.get(ATTR_SEND_AT)
        if isinstance(send_at, datetime) and send_at <= now:
            # Its time has passed while it waited: it leaves now.
            options = {k: v for k, v in request.options.items() if k != ATTR_SEND_AT}
            request = replace(request, options=options)
        try:
            prepared = self._path.prepare(request)
        except HomeAssistantError as err:
            del self.items[item.item_id]
            self._path.changed()
            self._publish_all(item, DeliveryStatus.FAILED, f"Never sent: {err}")
            return
        self.items[item.item_id] = replace(item, in_flight=True)
        try:
            await self._path.async_write()
        except WriteError as err:
            # The mark is not on disk: sent now, a crash could send it again. Not now.
            self.items[item.item_id] = later(item, now, f"could not be stored: {err}")
            return
        try:
            report = await self._path.async_send_once(request, prepared)
        except NotSentError as err:
            if unreachable(err.error):
                self.items[item.item_id] = later(item, now, str(err.error))
                await self._path.async_write_logged()
                return
            del self.items[item.item_id]
            await self._path.async_write_logged()
            self._publish_all(item, DeliveryStatus.FAILED, f"Never sent: {err.error}")
            return
        except HomeAssistantError as err:
            self.items.pop(item.item_id, None)
            await self._path.async_write_logged()
            if may_have_been_sent(err):
                self._publish_all(item, DeliveryStatus.UNKNOWN, f"May have been sent: {err}")
            else:
                self._publish_all(item, DeliveryStatus.FAILED, f"Not sent: {err}")
            return
        self.items.pop(item.item_id, None)
        await self._path.async_write_logged()
        _LOGGER.info(
            "The SMS to %s left the outbox", mask_numbers(", ".join(item.request.recipients))
        )
        for message in report.messages:
            if not message.accepted:
                self._publish(message.recipient, DeliveryStatus.FAILED, message.error, None)
            elif message.sent_by != self._path.entry.entry_id:
                # Followed by the fallback account; this account's sensor says where it went.
                self._publish(
                    message.recipient,
                    message.status,
                    f"Sent by {self._path.title_of(message.sent_by)}",
                    message.message_id,
                    event=False,
                )

    @callback
    def _publish_all(self, item: OutboxItem, status: DeliveryStatus, provider_status: str) -> None:
        for recipient in item.request.recipients:
            self._publish(recipient, status, provider_status, None)

    @callback
    def _publish(
        self,
        recipient: str,
        status: DeliveryStatus,
        provider_status: str | None,
        message_id: str | None,
        *,
        event: bool = True,
    ) -> None:
        self._tracker.async_publish(
            DeliveryUpdate(
                message_id=message_id,
                recipient=recipient,
                status=status,
                provider_status=provider_status,
                updated_at=dt_util.utcnow(),
            ),
            event=event,
        )


def later(item: OutboxItem, now: datetime, reason: str | GatewayError) -> OutboxItem:
    """The message as it waits for its next try, not being sent."""
    attempts = item.attempts + 1
    wait = min(RETRY_FIRST * 2**attempts, RETRY_LONGEST)
    return replace(
        item, attempts=attempts, next_try=now + wait, reason=str(reason), in_flight=False
    )
