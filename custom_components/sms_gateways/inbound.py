"""Received SMS: each one fires ``sms_gateways_inbound_sms`` and the event entity, exactly once.

Messages come from the webhook (SMSFactor, Mobyt) or, where the provider can be polled and no push
has been seen, from polling (Mobyt ``SRHISTORYBYID`` from the last id seen). The last id and the
keys of recent messages are stored, so a restart neither misses nor repeats a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import re
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .availability import AvailabilityLog
from .const import DOMAIN, EVENT_INBOUND_SMS, STORAGE_VERSION
from .contacts import Contact, find_contact
from .dedup import DuplicateMemoryFullError, RecentKeys, stored_datetime
from .gateways import AuthenticationError, Capability, GatewayError, InboundSms, SmsGateway
from .storage import GroupedStore, WriteError

_LOGGER = logging.getLogger(__name__)

PUSH_IN_USE = timedelta(days=7)
"""A push received this recently means the webhook is in use: polling stays off."""
_PUSH_SEEN_STEP = timedelta(hours=1)
"""How stale the stored time of the last push may be (it matters only at a week's scale)."""


def inbound_store_key(entry_id: str) -> str:
    """The file in ``.storage`` where an entry's last polled id and received messages are kept."""
    return f"{DOMAIN}.{entry_id}.inbound"


def inbound_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The same file as a ``Store`` (to remove it with the entry)."""
    return Store(hass, STORAGE_VERSION, inbound_store_key(entry_id))


def signal_inbound(entry_id: str) -> str:
    """The dispatcher signal carrying an entry's received ``InboundSms``."""
    return f"{DOMAIN}_inbound_{entry_id}"


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """A received SMS as events show it."""

    sms: InboundSms
    contact: Contact | None = None
    """The account's recipient who sent it; None for anyone else (who is never trusted)."""

    def contact_data(self) -> dict[str, Any]:
        """Who sent it: ``contact`` (the recipient's name, or None) and ``trusted``."""
        return {
            "contact": self.contact.name if self.contact else None,
            "trusted": self.contact is not None,
        }

    def event_data(self, entry_id: str, provider: str) -> dict[str, Any]:
        """The data of ``sms_gateways_inbound_sms``."""
        return {
            "config_entry_id": entry_id,
            "provider": provider,
            "message_id": self.sms.message_id,
            "sender": self.sms.sender,
            "recipient": self.sms.recipient,
            "message": self.sms.message,
            "received_at": self.sms.received_at.isoformat(),
            "keyword": self.sms.keyword,
            **self.contact_data(),
        }


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
        self._store = GroupedStore(
            hass, inbound_store_key(entry_id), self._data_to_save, version=STORAGE_VERSION
        )
        self._seen = RecentKeys()
        self.last_id: int | None = None
        self.push_seen_at: datetime | None = None
        self._polling = False
        self._unsub: CALLBACK_TYPE | None = None
        self._availability = AvailabilityLog(_LOGGER, provider=gateway.title, what="received SMS")
        self._skipped: set[str] = set()
        """Ids of unreadable rows already logged (a row after the last id comes back)."""

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
        self.push_seen_at = stored_datetime(stored.get("push_seen_at"))
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
        """Stop polling and write what was seen now, so that a set-up right after reads it."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self.async_flush()

    async def async_receive(self, messages: list[InboundSms], *, pushed: bool) -> int:
        """Fire the messages not seen before, once their keys are on disk; the number fired.

        Each message is checked and recorded before the first ``await``, so two copies of one
        push arriving together fire once. Nothing fires before the write that holds its key (and
        the position past it) has reached the disk: a crash at any instant may lose the firing of
        a message whose write had just completed, never fire one twice.

        Raises:
            DuplicateMemoryFullError: the memory of handled messages is full; nothing was recorded.
            WriteError: the keys could not be written; nothing fired, nothing stays recorded, so
                the provider's next try fires them.
        """
        previous_last_id = self.last_id
        new = self._record(messages, pushed=pushed)
        recorded_last_id = self.last_id
        try:
            await self._store.async_wait_written()
        except WriteError:
            self._seen.discard(key for key, _, _ in new)
            if self.last_id == recorded_last_id:
                self.last_id = previous_last_id
            raise
        for _, received, data in new:
            self.hass.bus.async_fire(EVENT_INBOUND_SMS, data)
            async_dispatcher_send(self.hass, signal_inbound(self.entry_id), received)
        return len(new)

    @callback
    def _record(
        self, messages: list[InboundSms], *, pushed: bool
    ) -> list[tuple[str, ReceivedSms, dict[str, Any]]]:
        """Record the messages' keys and the last id; the messages not seen before.

        Each comes with its key and event data; one that cannot be read is skipped (logged).
        """
        changed = False
        if pushed:
            now = dt_util.utcnow()
            if self.push_seen_at is None or now - self.push_seen_at > _PUSH_SEEN_STEP:
                changed = True
            self.push_seen_at = now
        # Should polling resume (no push for a week), it starts after what was pushed.
        if ids := [_numeric_id(sms) for sms in messages if _numeric_id(sms)]:
            last_id = max([*ids, self.last_id or 0])
            changed = changed or last_id != self.last_id
            self.last_id = last_id
        readable: list[tuple[str, ReceivedSms, dict[str, Any]]] = []
        contacts = tuple(self._contacts())
        for sms in messages:
            try:
                received = ReceivedSms(sms, find_contact(sms.sender, contacts, self.gateway.region))
                key = sms.dedup_key
                data = received.event_data(self.entry_id, self.gateway.provider)
            except Exception:  # noqa: BLE001  # one bad message never blocks the others
                _LOGGER.warning(
                    "Received SMS %s from %s could not be read; skipped",
                    getattr(sms, "message_id", None) or "(no id)",
                    self.gateway.title,
                )
                continue
            readable.append((key, received, data))
        added = self._seen.add_all(key for key, _, _ in readable)
        new = [item for item, is_new in zip(readable, added, strict=True) if is_new]
        if len(new) < len(readable):
            _LOGGER.debug("%s received SMS already handled", len(readable) - len(new))
        if new or changed:
            self._store.async_changed()
        return new

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
        ordered = sorted(messages, key=_numeric_id)
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

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "seen": self._seen.dump(),
            "last_id": self.last_id,
            "push_seen_at": self.push_seen_at.isoformat() if self.push_seen_at else None,
        }

    async def async_flush(self) -> None:
        """Write what is pending now (tests, unload)."""
        await self._store.async_flush()
