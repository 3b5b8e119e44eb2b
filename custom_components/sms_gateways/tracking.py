"""Delivery tracking: every accepted message is followed until it is final or too old.

Reports come from the provider's push (Mobyt) or from polling its status call (NetOxygen,
SMSFactor, Mobyt) with a growing interval, every due message of one entry in one call (the
adapter batches as its provider allows), within ``POLL_REQUESTS`` requests a tick. Each change
fires ``sms_gateways_delivery_status`` and is sent to the entities; the pending messages and
the last status survive a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_DELIVERY_STATUS
from .dedup import DuplicateMemoryFullError, RecentKeys
from .gateways import (
    AuthenticationError,
    Capability,
    DeliveryReport,
    DeliveryStatus,
    GatewayError,
    SendResult,
    SmsGateway,
    mask_numbers,
)
from .gateways.models import stored_datetime
from .outage_log import AvailabilityLog
from .storage import entry_grouped_store

_LOGGER = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=48)
"""How long a message is followed (Mobyt reports TIMEOUT after 48 h)."""
POLL_TICK = timedelta(seconds=30)
POLL_REQUESTS = 20
"""The most status requests one poll makes (at most 2,400 an hour); the rest wait a tick."""
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=20),
    timedelta(minutes=30),
)
"""The wait before each status check of one message; the last one repeats."""
PUSH_TRUST = timedelta(hours=48)
"""After a status push, the provider is trusted to push: polling falls back to the slowest pace."""


DELIVERIES_STORE = "deliveries"
"""The part of an entry's storage with its pending messages and last status."""


def signal_delivery(entry_id: str) -> str:
    """The dispatcher signal carrying an entry's ``DeliveryUpdate``s."""
    return f"{DOMAIN}_delivery_{entry_id}"


_CANCELED_TTL = 90 * 24 * 3600.0
"""How long a cancelled message is remembered (a second cancel is said to be one)."""
_MAX_CANCELED = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryUpdate:
    """A message's status as the entities and events show it."""

    message_id: str | None
    """None while the message is in the outbox: the provider has not given it an id yet."""
    recipient: str | None
    status: DeliveryStatus
    provider_status: str | None
    updated_at: datetime
    delivered_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage and event data."""
        return {
            "message_id": self.message_id,
            "recipient": self.recipient,
            "status": self.status.value,
            "provider_status": self.provider_status,
            "updated_at": self.updated_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }

    def event_data(self, entry_id: str, provider: str) -> dict[str, Any]:
        """The data of ``sms_gateways_delivery_status`` (the event has its own time)."""
        data = {"config_entry_id": entry_id, "provider": provider, **self.as_dict()}
        del data["updated_at"]
        return data

    def entity_data(self) -> dict[str, Any]:
        """The data of the event entity (its event type is the status)."""
        data = self.as_dict()
        del data["status"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryUpdate:
        """Read what ``as_dict`` wrote."""
        delivered = data.get("delivered_at")
        message_id = data["message_id"]
        return cls(
            message_id=None if message_id is None else str(message_id),
            recipient=data.get("recipient"),
            status=DeliveryStatus(data["status"]),
            provider_status=data.get("provider_status"),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            delivered_at=datetime.fromisoformat(delivered) if delivered else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingMessage:
    """A message not yet final, and when to ask about it next."""

    update: DeliveryUpdate
    sent_at: datetime
    next_check: datetime
    checks: int = 0
    batch_id: str | None = None
    """The send it belongs to (cancelled together where the provider cancels whole sends)."""

    @property
    def message_id(self) -> str:
        """The provider's id (a pending message always has one)."""
        return self.update.message_id or ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {
            **self.update.as_dict(),
            "sent_at": self.sent_at.isoformat(),
            "next_check": self.next_check.isoformat(),
            "checks": self.checks,
            "batch_id": self.batch_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingMessage:
        """Read what ``as_dict`` wrote."""
        return cls(
            update=DeliveryUpdate.from_dict(data),
            sent_at=datetime.fromisoformat(data["sent_at"]),
            next_check=datetime.fromisoformat(data["next_check"]),
            checks=int(data.get("checks", 0)),
            batch_id=data.get("batch_id"),
        )


class ReportBeforeSendAnsweredError(Exception):
    """A pushed report names a message we do not follow while a send is still unanswered.

    It may be that send's: the provider can push a status before its answer to the send reaches
    us. Answered 503 so that it is pushed again once the send's ids are known.
    """


class DeliveryTracker:
    """Follow the delivery of one entry's messages."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        entry_id: str,
        gateway: SmsGateway,
        on_auth_failed: Callable[[], None],
    ) -> None:
        """Nothing is read or polled until ``async_start``."""
        self.hass = hass
        self.entry_id = entry_id
        self.gateway = gateway
        self._on_auth_failed = on_auth_failed
        self._store = entry_grouped_store(hass, entry_id, DELIVERIES_STORE, self._data_to_save)
        self.messages: MutableMapping[str, Any] = gateway.message_store
        """What the adapter keeps about sent messages (123-SMS: what a cancel sends again),
        its own mapping: stored and restored here, filled in place, never replaced."""
        self.pending: dict[str, PendingMessage] = {}
        self.last: DeliveryUpdate | None = None
        self._seen = RecentKeys()
        self._canceled = RecentKeys(ttl=_CANCELED_TTL, max_keys=_MAX_CANCELED)
        """The messages cancelled here: a second cancel is answered without asking the provider."""
        self._push_seen_at: datetime | None = None
        self._polling = False
        self._unsub: CALLBACK_TYPE | None = None
        self._availability = AvailabilityLog(
            _LOGGER, provider=gateway.title, what="delivery status"
        )
        self._unreadable: set[object] = set()
        """The ids whose report could not be applied, each logged once."""
        self._sends_unanswered = 0
        """Send requests made and not yet answered (see ``async_sending``)."""

    @property
    def polls(self) -> bool:
        """Whether the provider has a status call to poll."""
        return self.gateway.supports(Capability.DELIVERY_STATUS)

    async def async_start(self) -> None:
        """Restore the pending messages and start polling."""
        stored = await self._store.async_load()
        if not isinstance(stored, dict):
            stored = {}
        for item in stored.get("pending", []):
            try:
                message = PendingMessage.from_dict(item)
            except KeyError, ValueError, TypeError:
                _LOGGER.debug("Skipping a malformed stored message")
                continue
            if message.update.message_id is not None:
                self.pending[message.update.message_id] = message
        if stored.get("last"):
            try:
                self.last = DeliveryUpdate.from_dict(stored["last"])
            except KeyError, ValueError, TypeError:
                self.last = None
        self._seen.load(stored.get("seen", []))
        self._canceled.load(stored.get("canceled", {}))
        if isinstance(stored.get("messages"), dict):
            self.messages.update(stored["messages"])
        self._push_seen_at = stored_datetime(stored.get("push_seen_at"))
        if self.polls:
            self._unsub = async_track_time_interval(
                self.hass,
                self._async_tick,
                POLL_TICK,
                name=f"{DOMAIN} delivery status",
                cancel_on_shutdown=True,
            )

    async def async_stop(self) -> None:
        """Stop polling and store what is pending now, so that a set-up right after reads it."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self.async_flush()

    # --- what comes in --------------------------------------------------------------------------

    @contextmanager
    def async_sending(self) -> Iterator[None]:
        """Around a send request: a report pushed meanwhile for an unknown message may be its."""
        self._sends_unanswered += 1
        try:
            yield
        finally:
            self._sends_unanswered -= 1

    @callback
    def async_track_send(self, result: SendResult) -> None:
        """Follow every message of a send the provider accepted."""
        now = dt_util.utcnow()
        first_check = (result.send_at or now) + BACKOFF[0]
        for recipient in result.accepted:
            message_id = recipient.message_id
            if message_id is None:
                continue  # nothing to follow (123-SMS test mode)
            update = DeliveryUpdate(
                message_id=message_id,
                recipient=recipient.recipient,
                status=recipient.status,
                provider_status=None,
                updated_at=now,
            )
            if not recipient.status.is_final and self.polls:
                self.pending[message_id] = PendingMessage(
                    update=update,
                    sent_at=result.send_at or now,
                    next_check=first_check,
                    batch_id=result.batch_id,
                )
            self._publish(update)
        self._save()

    @callback
    def async_apply_report(self, report: DeliveryReport, *, pushed: bool = False) -> bool:
        """Take a report from a push or a poll; False if it changes nothing (a duplicate).

        Checked and recorded before any ``await``: the same push arriving twice fires once. A
        report for a message we do not follow (never sent by us, or final already) changes
        nothing, and is not remembered: a forged push cannot crowd out the duplicate memory.

        Raises:
            DuplicateMemoryFullError: a pushed report when the memory of reports is full.
            ReportBeforeSendAnsweredError: a pushed report for a message not followed while a
                send is unanswered: it may be that send's.
        """
        pending = self.pending.get(report.message_id)
        if pending is None:
            if pushed and self._sends_unanswered:
                raise ReportBeforeSendAnsweredError(report.message_id)
            _LOGGER.debug("Report for %s, a message not followed: ignored", report.message_id)
            return False
        now = dt_util.utcnow()
        if pushed:
            self._push_seen_at = now
        try:
            if not self._seen.add(report.dedup_key):
                return False
        except DuplicateMemoryFullError:
            if pushed:
                raise  # answered 503: pushed again later
            # A polled report needs no memory: the pending status below tells whether it is new.
        if (
            pending.update.status == report.status
            and pending.update.provider_status == report.provider_status
        ):
            return False
        if (
            report.status is DeliveryStatus.UNKNOWN
            and not report.may_change
            and pending.update.status is not DeliveryStatus.UNKNOWN
        ):
            # "Not found" or an unknown word says nothing new: keep what we knew. A state the
            # provider calls current (an error that may still change) is news: it is shown.
            return False
        update = DeliveryUpdate(
            message_id=report.message_id,
            recipient=report.recipient or pending.update.recipient,
            status=report.status,
            provider_status=report.provider_status,
            updated_at=now,
            delivered_at=report.delivered_at,
        )
        if report.status.is_final:
            del self.pending[report.message_id]
        else:
            self.pending[report.message_id] = replace(pending, update=update)
        self._publish(update)
        self._save()
        return True

    @callback
    def async_mark_canceled(self, message_id: str) -> None:
        """A scheduled message was cancelled: it is final.

        Where the provider cancels a whole send (Mobyt), its other messages are cancelled too.
        """
        pending = self.pending.pop(message_id, None)
        known = pending.update if pending else self.last
        canceled = [
            DeliveryUpdate(
                message_id=message_id,
                recipient=known.recipient if known and known.message_id == message_id else None,
                status=DeliveryStatus.CANCELED,
                provider_status=None,
                updated_at=dt_util.utcnow(),
            )
        ]
        if pending is not None and pending.batch_id and self.gateway.cancels_whole_batch:
            for other in [m for m in self.pending.values() if m.batch_id == pending.batch_id]:
                del self.pending[other.message_id]
                canceled.append(
                    replace(other.update, status=DeliveryStatus.CANCELED, provider_status=None)
                )
        for update in canceled:
            if update.message_id is not None:
                self._canceled.add(update.message_id)
            self._publish(update)
        self._save()

    def was_canceled(self, message_id: str) -> bool:
        """Whether a cancel of ``message_id`` succeeded here (in the last months)."""
        return message_id in self._canceled

    @callback
    def async_publish(self, update: DeliveryUpdate, *, event: bool = True) -> None:
        """Show a status that no provider report gave (the outbox: retrying, failed).

        With ``event`` False only the entities are told (a message another account follows).
        """
        self._publish(update, event=event)
        self._save()

    # --- polling --------------------------------------------------------------------------------

    async def _async_tick(self, _now: datetime) -> None:
        await self.async_poll()

    async def async_poll(self) -> int:
        """Ask the provider about the messages due for a check; the number asked about.

        At most ``POLL_REQUESTS`` requests, oldest due first (see ``_due``).
        """
        if self._polling or not self.pending:
            return 0
        now = dt_util.utcnow()
        expired = False
        for message_id, message in list(self.pending.items()):
            if now - message.sent_at > MAX_AGE:
                _LOGGER.debug("No final status for %s after 48 h: no longer followed", message_id)
                del self.pending[message_id]
                expired = True
        due = self._due(now)
        if not due:
            if expired:  # an idle tick writes nothing
                self._save()
            return 0
        self._polling = True
        reports: list[DeliveryReport] = []
        try:
            reports = await self.gateway.get_delivery_status([m.message_id for m in due])
        except AuthenticationError:
            # Asked again at the back-off's pace, not every tick, until reauthenticated.
            self._on_auth_failed()
        except GatewayError as err:
            self._availability.failed(err)
        except Exception as err:  # an adapter bug must not stop the back-off
            _LOGGER.debug("Delivery status poll failed", exc_info=True)
            self._availability.failed(err)
        else:
            self._availability.answered()
        finally:
            self._polling = False
            # Every message asked about waits its next step, answered or not: a failing poll
            # is not repeated every tick.
            self._reschedule(due, now)
        for report in reports:
            self._apply_polled(report)
        self._save()
        return len(due)

    def _due(self, now: datetime) -> list[PendingMessage]:
        """The messages due for a check, oldest due first, within ``POLL_REQUESTS`` requests.

        SMSFactor asks one request per message and Mobyt one per order: without a bound, one
        poll of thousands of due messages would make thousands of requests. The rest stay due
        and go first in the next ticks.
        """
        due = sorted(
            (m for m in self.pending.values() if m.next_check <= now),
            key=lambda m: (m.next_check, m.sent_at),
        )
        requests: set[str] = set()
        chosen: list[PendingMessage] = []
        for message in due:
            key = self.gateway.status_request_key(message.message_id)
            if key not in requests:
                if len(requests) >= POLL_REQUESTS:
                    continue
                requests.add(key)
            chosen.append(message)
        return chosen

    @callback
    def _apply_polled(self, report: DeliveryReport) -> None:
        """Apply one polled report; one that cannot be applied never stops the others."""
        try:
            self.async_apply_report(report)
        except Exception:
            message_id = getattr(report, "message_id", None)
            if message_id not in self._unreadable:
                self._unreadable.add(message_id)
                _LOGGER.warning(
                    "Delivery status of %s from %s could not be applied; skipped",
                    mask_numbers(message_id),  # Mobyt's ids hold the recipient's number
                    self.gateway.title,
                )
            _LOGGER.debug("Report of %s not applied", message_id, exc_info=True)

    def _reschedule(self, checked: list[PendingMessage], now: datetime) -> None:
        trusted_push = self._push_seen_at is not None and now - self._push_seen_at < PUSH_TRUST
        for message in checked:
            current = self.pending.get(message.message_id)
            if current is None:
                continue
            step = BACKOFF[min(current.checks + 1, len(BACKOFF) - 1)]
            if trusted_push:
                step = BACKOFF[-1]
            self.pending[current.message_id] = replace(
                current, checks=current.checks + 1, next_check=now + step
            )

    # --- what goes out --------------------------------------------------------------------------

    @callback
    def _publish(self, update: DeliveryUpdate, *, event: bool = True) -> None:
        self.last = update
        if event:
            self._fire(update)
        async_dispatcher_send(self.hass, signal_delivery(self.entry_id), update)

    @callback
    def _fire(self, update: DeliveryUpdate) -> None:
        self.hass.bus.async_fire(
            EVENT_DELIVERY_STATUS, update.event_data(self.entry_id, self.gateway.provider)
        )

    @callback
    def _save(self) -> None:
        """Write the change with the others of its group (``async_wait_written`` awaits it)."""
        self._store.async_changed()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "pending": [message.as_dict() for message in self.pending.values()],
            "last": self.last.as_dict() if self.last else None,
            "seen": self._seen.dump(),
            "canceled": self._canceled.dump(),
            "messages": dict(self.messages),
            "push_seen_at": self._push_seen_at.isoformat() if self._push_seen_at else None,
        }

    async def async_wait_written(self) -> None:
        """Return once every change so far is on disk: a send's messages, a pushed report.

        Raises:
            WriteError: it could not be written (the change stays pending and is tried again).
        """
        await self._store.async_wait_written()

    async def async_flush(self) -> None:
        """Write what is pending now (tests, unload)."""
        await self._store.async_flush()
