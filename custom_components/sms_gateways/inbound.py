"""Received SMS: each one fires ``sms_gateways_inbound_sms`` and the event entity, at least once.

Messages come from the webhook (SMSFactor, Mobyt) or, where the provider can be polled and no push
has been seen, from polling (Mobyt ``SRHISTORYBYID`` from the last id seen). The last id and the
keys of recent messages are stored, so a restart neither misses nor repeats a message.

A message is recorded as received (with what its event says) and that is on disk before it fires;
once fired it is recorded as fired. One recorded but not known to have fired (a kill between the
two) fires again at the next start, or when the provider pushes it again, with
``redelivered: true`` in its data: the only events that carry it. An automation that must never
act twice can check it; no message is ever lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_INBOUND_SMS
from .contacts import Contact, find_contact
from .dedup import DuplicateMemoryFullError, RecentKeys
from .gateways import (
    AuthenticationError,
    Capability,
    GatewayError,
    InboundPage,
    InboundSms,
    SmsGateway,
)
from .gateways.models import stored_datetime
from .outage_log import AvailabilityLog
from .storage import WriteError, entry_grouped_store

_LOGGER = logging.getLogger(__name__)

PUSH_IN_USE = timedelta(days=7)
"""A push received this recently means the webhook is in use: polling stays off."""
_PUSH_SEEN_STEP = timedelta(hours=1)
"""How stale the stored time of the last push may be (it matters only at a week's scale)."""


INBOUND_STORE = "inbound"
"""The part of an entry's storage with its last polled id and received messages."""


def signal_inbound(entry_id: str) -> str:
    """The dispatcher signal carrying an entry's received ``InboundSms``."""
    return f"{DOMAIN}_inbound_{entry_id}"


ATTR_REDELIVERED = "redelivered"
"""In the data of a received SMS fired again: it may have fired before (a kill in between)."""


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """A received SMS as events show it."""

    sms: InboundSms
    contact: Contact | None = None
    """The account's recipient who sent it; None for anyone else (who is never trusted)."""
    redelivered: bool = False
    """Fired again: recorded as received, not known to have fired."""
    _stored: dict[str, Any] = field(init=False, repr=False, compare=False)
    """``as_stored``, made once: a burst reads it three times a push (the time's ISO form is the
    costly part)."""

    def __post_init__(self) -> None:
        """Make the stored form once."""
        sms = self.sms
        stored = {
            "message_id": sms.message_id,
            "sender": sms.sender,
            "recipient": sms.recipient,
            "message": sms.message,
            "received_at": sms.received_at.isoformat(),
            "keyword": sms.keyword,
        }
        object.__setattr__(self, "_stored", stored)

    def entity_data(self) -> dict[str, Any]:
        """The data of the entity's ``received``: the message, its sender, if it fires again."""
        data: dict[str, Any] = {
            **self._stored,
            "contact": self.contact.name if self.contact else None,
            "trusted": self.contact is not None,
        }
        if self.redelivered:
            data[ATTR_REDELIVERED] = True
        return data

    def event_data(self, entry_id: str, provider: str) -> dict[str, Any]:
        """The data of ``sms_gateways_inbound_sms``: the entity's, with the account and provider."""
        return {"config_entry_id": entry_id, "provider": provider, **self.entity_data()}

    def as_stored(self) -> dict[str, Any]:
        """What fires it again after a restart (JSON-friendly): a copy of the form made once."""
        return dict(self._stored)

    @classmethod
    def from_stored(cls, data: Any) -> ReceivedSms | None:
        """Read what ``as_stored`` wrote, fired again; None if it is damaged."""
        received_at = stored_datetime(data.get("received_at")) if isinstance(data, dict) else None
        if not isinstance(data, dict) or received_at is None:
            return None
        texts: dict[str, Any] = {key: data.get(key) for key in ("sender", "recipient", "message")}
        optional: dict[str, Any] = {key: data.get(key) for key in ("message_id", "keyword")}
        if not all(isinstance(value, str) for value in texts.values()) or not all(
            value is None or isinstance(value, str) for value in optional.values()
        ):
            return None
        sms = InboundSms(**texts, **optional, received_at=received_at)
        return cls(sms, redelivered=True)


_NUMERIC_ID = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (``str.isdigit`` takes ``²``, which ``int`` refuses), and few enough."""


def _numeric_id(sms: InboundSms) -> int:
    """Mobyt's ids are increasing integers; anything else sorts first."""
    message_id = sms.message_id
    if isinstance(message_id, str) and _NUMERIC_ID.fullmatch(message_id):
        return int(message_id)
    return 0


_MAX_SKIPPED_KEPT = 1000


class InboundReceiver:
    """Fire each received SMS of one entry once, from pushes or polling."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        entry_id: str,
        gateway: SmsGateway,
        poll_interval: timedelta | None,
        on_auth_failed: Callable[[], None],
        contacts: Callable[[], Iterable[Contact]] = tuple,
    ) -> None:
        """Nothing is read or polled until ``async_start``.

        Args:
            hass: Home Assistant.
            entry_id: the config entry the messages belong to.
            gateway: the entry's provider client.
            poll_interval: how often to poll, None to never poll.
            on_auth_failed: called when the provider refuses the credentials while polling.
            contacts: the account's contacts now (read for each batch of received messages,
                so that a recipient added or removed counts at once); none by default.
        """
        self.hass = hass
        self.entry_id = entry_id
        self.gateway = gateway
        self._poll_interval = poll_interval
        self._on_auth_failed = on_auth_failed
        self._contacts = contacts
        self._store = entry_grouped_store(hass, entry_id, INBOUND_STORE, self._data_to_save)
        self._seen = RecentKeys()
        self.last_id: int | None = None
        """Where polling resumes: the highest id a poll of the provider returned."""
        self._pushed_last_id: int | None = None
        """The highest id pushed, unproven: anyone holding the webhook address can push any id.

        Used once a poll returns it (see ``_already_pushed``), never as a position by itself."""
        self.push_seen_at: datetime | None = None
        self._polling = False
        self._unsub: CALLBACK_TYPE | None = None
        self._availability = AvailabilityLog(_LOGGER, provider=gateway.title, what="received SMS")
        self._skipped: set[str] = set()
        """Ids of unreadable rows already logged (a row after the last id comes back)."""
        self._unfired: dict[str, ReceivedSms] = {}
        """Recorded as received, not yet known to have fired, by key (stored)."""
        self._firing: set[str] = set()
        """The keys of ``_unfired`` this run is firing now: a copy meanwhile is a duplicate."""
        self._unsub_started: CALLBACK_TYPE | None = None

    @property
    def polls(self) -> bool:
        """Whether received messages are polled now (off while the webhook is in use)."""
        if self._poll_interval is None or not self.gateway.supports(Capability.INBOUND_POLL):
            return False
        return self.push_seen_at is None or dt_util.utcnow() - self.push_seen_at > PUSH_IN_USE

    async def async_start(self) -> None:
        """Restore what was seen and start polling where the provider is polled."""
        stored = await self._store.async_load()
        if not isinstance(stored, dict):
            stored = {}
        self._seen.load(stored.get("seen", []))
        if isinstance(last_id := stored.get("last_id"), int):
            self.last_id = last_id
        if isinstance(pushed_last_id := stored.get("pushed_last_id"), int):
            self._pushed_last_id = pushed_last_id
        self.push_seen_at = stored_datetime(stored.get("push_seen_at"))
        unfired = stored.get("unfired")
        for key, data in (unfired if isinstance(unfired, dict) else {}).items():
            if isinstance(key, str) and (received := ReceivedSms.from_stored(data)) is not None:
                self._unfired[key] = received
        if self._unfired:
            self._unsub_started = async_at_started(self.hass, self._started)
        if self._poll_interval is not None and self.gateway.supports(Capability.INBOUND_POLL):
            self._unsub = async_track_time_interval(
                self.hass,
                self._async_tick,
                self._poll_interval,
                name=f"{DOMAIN} inbound SMS",
                cancel_on_shutdown=True,
            )
            if self.polls:
                # Poll now, not one interval later: a new entry learns where the history ends
                # (a message received in between would otherwise be taken for an old one), and
                # after a restart what arrived while Home Assistant was down fires at once.
                self.hass.async_create_task(
                    self.async_poll(), f"{DOMAIN} inbound SMS first poll", eager_start=True
                )

    async def async_stop(self) -> None:
        """Stop polling, write what was seen now, then nothing more (a set-up right after reads it).

        A push still being handled then cannot be written: it is answered 503 and pushed again.
        """
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        if self._unsub_started is not None:
            self._unsub_started()
            self._unsub_started = None
        await self._store.async_close()

    @callback
    def _started(self, hass: HomeAssistant) -> None:
        """Home Assistant has started (its automations are loaded): fire once the entry is.

        The entry's event entity listens from then on.
        """
        self._unsub_started = None
        entry = hass.config_entries.async_get_entry(self.entry_id)
        if entry is None or entry.state is ConfigEntryState.LOADED:
            self._fire_unfired()
            return
        waiting = True

        @callback
        def _state_changed() -> None:
            nonlocal waiting
            if waiting and entry.state is ConfigEntryState.LOADED:
                waiting = False
                self._fire_unfired()
            elif entry.state is not ConfigEntryState.SETUP_IN_PROGRESS:
                waiting = False

        self._unsub_started = entry.async_on_state_change(_state_changed)

    def _contact_of(self, sms: InboundSms, contacts: tuple[Contact, ...]) -> Contact | None:
        """The account's recipient who sent it, as the contacts are now."""
        return find_contact(sms.sender, contacts, self.gateway.region)

    @callback
    def _fire_unfired(self) -> None:
        """Fire again what a previous run recorded as received but is not known to have fired."""
        keys = [key for key in self._unfired if key not in self._firing]
        if keys:
            _LOGGER.info(
                "%s received SMS may not have fired before the restart: fired again",
                len(keys),
            )
            self._firing.update(keys)
            contacts = tuple(self._contacts())
            self._fire(
                [
                    (key, replace(sms, contact=self._contact_of(sms.sms, contacts)))
                    for key, sms in ((key, self._unfired[key]) for key in keys)
                ]
            )

    async def async_receive(self, messages: list[InboundSms], *, pushed: bool) -> int:
        """Fire the messages not fired before, once recorded as received; the number fired.

        Each message is checked and recorded before the first ``await``, so two copies of one
        push arriving together fire once. Nothing fires before the write that records it as
        received (and the position past it) has reached the disk; once fired it is recorded as
        fired. A kill between the two fires it again at the next start, marked redelivered:
        at least once, never lost. A message recorded by an earlier run and not known to have
        fired (its push is pushed again) fires again here, marked redelivered.

        Raises:
            DuplicateMemoryFullError: the memory of handled messages is full; nothing was recorded.
            WriteError: the record could not be written; nothing fired, nothing new stays
                recorded, so the provider's next try fires them.
        """
        previous_last_id = self.last_id
        new, again, written = self._record(messages, pushed=pushed)
        recorded_last_id = self.last_id
        try:
            # The write of this change holds every change before it; a push with nothing new
            # (a copy) waits all the same for what is pending: its original may not be on disk.
            await (written if written is not None else self._store.async_wait_written())
        except WriteError:
            keys = [key for key, _ in new]
            self._seen.discard(keys)
            for key in keys:
                self._unfired.pop(key, None)
            self._firing.difference_update(key for key, _ in (*new, *again))
            if self.last_id == recorded_last_id:
                self.last_id = previous_last_id
            raise
        self._fire([*new, *again])
        return len(new) + len(again)

    @callback
    def _fire(self, received: list[tuple[str, ReceivedSms]]) -> None:
        """Fire each message, then record it as fired (written with the next group)."""
        if not received:
            return
        for key, sms in received:
            if key not in self._unfired:  # fired meanwhile (start-up and a retry together)
                continue
            try:
                data = sms.event_data(self.entry_id, self.gateway.provider)
                self.hass.bus.async_fire(EVENT_INBOUND_SMS, data)
                async_dispatcher_send(self.hass, signal_inbound(self.entry_id), sms)
            finally:
                del self._unfired[key]
                self._firing.discard(key)
        # Recorded as fired with the next write (a kill before it fires them again, marked).
        self._store.async_mark_changed()

    @callback
    def _record(
        self, messages: list[InboundSms], *, pushed: bool
    ) -> tuple[
        list[tuple[str, ReceivedSms]], list[tuple[str, ReceivedSms]], asyncio.Future[None] | None
    ]:
        """Record the messages as received, and the last id; what is to fire.

        Returns the messages not seen before, and those an earlier run recorded as received
        without being known to have fired them (to fire again), each with its key; and the
        write that records them, if anything changed. One that cannot be read is skipped
        (logged).
        """
        changed = False
        if pushed:
            now = dt_util.utcnow()
            if self.push_seen_at is None or now - self.push_seen_at > _PUSH_SEEN_STEP:
                changed = True
            self.push_seen_at = now
        if ids := [number for sms in messages if (number := _numeric_id(sms))]:
            if pushed:
                # Should polling resume (no push for a week), what was pushed is not fired again.
                pushed_last_id = max([*ids, self._pushed_last_id or 0])
                changed = changed or pushed_last_id != self._pushed_last_id
                self._pushed_last_id = pushed_last_id
            else:
                last_id = max([*ids, self.last_id or 0])
                changed = changed or last_id != self.last_id
                self.last_id = last_id
        readable: list[tuple[str, ReceivedSms]] = []
        contacts = tuple(self._contacts())
        for sms in messages:
            try:
                received = ReceivedSms(sms, find_contact(sms.sender, contacts, self.gateway.region))
                key = sms.dedup_key
                # It must be storable: one message that is not would fail every write. Its event
                # data are the same fields (and the contact's name, a string).
                json_bytes(received.as_stored())
            except Exception:  # noqa: BLE001  # one bad message never blocks the others
                _LOGGER.warning(
                    "Received SMS %s from %s could not be read; skipped",
                    getattr(sms, "message_id", None) or "(no id)",
                    self.gateway.title,
                )
                continue
            readable.append((key, received))
        added = self._seen.add_all(key for key, _ in readable)
        new: list[tuple[str, ReceivedSms]] = []
        again: list[tuple[str, ReceivedSms]] = []
        for (key, received), is_new in zip(readable, added, strict=True):
            if key in self._unfired:
                if key not in self._firing:
                    # Pushed again after a run recorded it and may not have fired it (checked
                    # first: should the memory of keys have let its key go, it is no new one).
                    self._firing.add(key)
                    again.append((key, replace(received, redelivered=True)))
            elif is_new:
                self._unfired[key] = received
                self._firing.add(key)
                new.append((key, received))
        if len(new) + len(again) < len(readable):
            _LOGGER.debug("%s received SMS already handled", len(readable) - len(new) - len(again))
        written = self._store.async_changed() if new or changed else None
        return new, again, written

    async def _async_tick(self, _now: datetime) -> None:
        if self.polls:
            await self.async_poll()

    async def async_poll(self) -> int:
        """Fetch the messages after the last id seen; the number fired.

        The first poll of a new entry only learns where the history ends: messages received
        before the integration was set up are not fired.
        """
        if self._polling:
            return 0
        self._polling = True
        pushed_last_id = self._pushed_last_id
        try:
            page = await self.gateway.poll_inbound(after_id=self.last_id or 0)
        except AuthenticationError:
            self._on_auth_failed()
            return 0
        except GatewayError as err:
            self._availability.failed(err)
            return 0
        except Exception as err:  # an adapter bug must not stop polling
            _LOGGER.debug("Received SMS poll failed", exc_info=True)
            self._availability.failed(err)
            return 0
        finally:
            self._polling = False
        self._availability.answered()
        for skipped in page.skipped:
            if skipped not in self._skipped:
                if len(self._skipped) >= _MAX_SKIPPED_KEPT:
                    self._skipped.clear()
                self._skipped.add(skipped)
                _LOGGER.warning(
                    "A received SMS from %s could not be read and was skipped (id %s)",
                    self.gateway.title,
                    skipped,
                )
        messages = list(page.messages)
        first_poll = self.last_id is None
        if first_poll:
            # Only where the history ends; what was received before the set-up is not fired.
            try:
                self._seen.add_all(sms.dedup_key for sms in messages)
            except DuplicateMemoryFullError:
                _LOGGER.warning("Received SMS not recorded: the memory of handled SMS is full")
                return 0
            ids = [_numeric_id(sms) for sms in messages]
            self.last_id = max([*ids, page.last_id or 0, 0])
            self._store.async_changed()
            return 0
        ordered = self._already_pushed(page, sorted(messages, key=_numeric_id), pushed_last_id)
        try:
            fired = await self.async_receive(ordered, pushed=False)
        except (DuplicateMemoryFullError, WriteError) as err:
            # Nothing fired and the position did not move: the next poll reads them again.
            _LOGGER.warning("Received SMS not fired yet (%s): tried again at the next poll", err)
            return 0
        if page.last_id and page.last_id > (self.last_id or 0):
            # Past every row of the reply, read or not: a bad row never holds the others back.
            self.last_id = page.last_id
            self._store.async_changed()
        return fired

    def _already_pushed(
        self, page: InboundPage, ordered: list[InboundSms], pushed_last_id: int | None
    ) -> list[InboundSms]:
        """The polled messages, less those the webhook handled before polling resumed.

        The last pushed id counts only once the provider returns it in a poll: then every message
        up to it came while the webhook was in use (their keys may have expired since), and is
        recorded without firing. A forged id is never returned, so it holds nothing back.
        """
        if pushed_last_id is None:
            return ordered
        returned = {_numeric_id(sms) for sms in ordered}
        returned.update(int(row) for row in page.skipped if _NUMERIC_ID.fullmatch(row))
        if pushed_last_id == self._pushed_last_id:
            # Proven or disproven by this reply (a push during the poll brought a newer one).
            self._pushed_last_id = None
            self._store.async_changed()
        if pushed_last_id not in returned:
            return ordered
        handled = [sms for sms in ordered if 0 < _numeric_id(sms) <= pushed_last_id]
        self._seen.add_all(sms.dedup_key for sms in handled)
        self._store.async_changed()
        return [sms for sms in ordered if not 0 < _numeric_id(sms) <= pushed_last_id]

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "seen": self._seen.dump(),
            "last_id": self.last_id,
            "pushed_last_id": self._pushed_last_id,
            "push_seen_at": self.push_seen_at.isoformat() if self.push_seen_at else None,
            "unfired": {key: sms.as_stored() for key, sms in self._unfired.items()},
        }

    async def async_flush(self) -> None:
        """Write what is pending now (tests, unload)."""
        await self._store.async_flush()
