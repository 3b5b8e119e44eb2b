"""The spend guard: at most ``daily_limit`` SMS parts a day through one account.

An automation loop (or a chatty contact answered by Assist) could spend every credit. Each send
reserves its parts (parts of the message times recipients) before its request leaves; one that
would pass the day's limit is refused with a translated error and nothing is sent, and a repair
issue says until when. What the provider was handed counts (a send that may have been sent
too); a send refused before any request is given back. The count is stored, reservations
included, so that neither a restart nor a crash during a request resets the day's spending; it
starts again at local midnight (Home Assistant's time zone).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
import logging
from types import TracebackType
from typing import Any, Self

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import CONF_DAILY_LIMIT, DOMAIN, ISSUE_DAILY_LIMIT
from .gateways import (
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    PreparedSms,
    SendResult,
)
from .issues import async_raise_warning
from .listeners import Listeners
from .storage import entry_grouped_store

_LOGGER = logging.getLogger(__name__)


SPEND_STORE = "spend"
"""The part of an entry's stored state that keeps its count of the day."""


def daily_limit_issue_id(entry_id: str) -> str:
    """The repair issue raised while an entry's daily limit refuses sends."""
    return f"{ISSUE_DAILY_LIMIT}_{entry_id}"


def daily_limit(entry: ConfigEntry[Any]) -> int | None:
    """The account's limit of SMS parts a day; None when it has none (0 or empty)."""
    value = entry.options.get(CONF_DAILY_LIMIT)
    try:
        limit = int(value) if value not in (None, "") else 0
    except TypeError, ValueError:
        return None
    return limit if limit > 0 else None


def _may_have_been_billed(err: BaseException) -> bool:
    """Whether a send that raised ``err`` may have reached the provider (so it counts).

    The same reading as the send's error: an answer we cannot read, or a request that left,
    may have been sent; any other error of the library is a refusal before anything went out.
    An error that is not the library's (a bug, a cancellation) may have come after the request.
    """
    if isinstance(err, GatewayConnectionError):
        return err.request_sent
    if isinstance(err, GatewayError):
        return isinstance(err, GatewayResponseError)
    return True


def _resets_at(day: date) -> datetime:
    """Local midnight after ``day``, when its count starts again."""
    return dt_util.start_of_local_day(day + timedelta(days=1))


def _local_time(when: datetime) -> str:
    return dt_util.as_local(when).strftime("%Y-%m-%d %H:%M")


class DailyLimitError(ServiceValidationError):
    """A send would pass the account's daily limit: refused before any request, nothing sent."""


class Spending:
    """The parts of one send, reserved before its request; settled when the request ends.

    Used as a context manager around the provider call: on leaving it, the parts the provider
    was handed count (``sent`` tells which recipients it took), and the rest is given back.
    """

    def __init__(self, spend: DailySpend, day: date, parts: int, recipients: int) -> None:
        """``parts`` of the message for each of ``recipients``, reserved on ``day``."""
        self._spend = spend
        self._day = day
        self._parts = parts
        self._recipients = recipients
        self._result: SendResult | None = None

    def sent(self, result: SendResult) -> SendResult:
        """Note what the provider answered (its recipients taken or maybe taken); ``result``."""
        self._result = result
        return result

    def __enter__(self) -> Self:
        """The request may leave."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Count what the provider was handed; give back the rest. Never hides the error."""
        if exc is not None:
            taken = self._recipients if _may_have_been_billed(exc) else 0
        elif self._result is not None:
            taken = len(self._result.accepted)
        else:
            taken = self._recipients
        self._spend.async_settle(self._day, self._parts * self._recipients, self._parts * taken)


class DailySpend:
    """One account's SMS parts of the day, its limit, and the repair issue when it refuses."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Nothing is read or shown until ``async_start``."""
        self.hass = hass
        self.entry = entry
        self._store = entry_grouped_store(hass, entry.entry_id, SPEND_STORE, self._data_to_save)
        self.day = dt_util.now().date()
        self.sent_today = 0
        """The parts the provider was handed today (or may have been)."""
        self._reserved = 0
        """The parts of today's requests under way."""
        self._refused_at: int | None = None
        """The limit that refused a send today (the repair issue is up), else None."""
        self._listeners: Listeners[()] = Listeners()
        self._unsub_options: CALLBACK_TYPE | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._unsub_midnight: CALLBACK_TYPE | None = None

    @property
    def limit(self) -> int | None:
        """The account's limit (read at each send: saving the option needs no reload)."""
        return daily_limit(self.entry)

    @property
    def day_started(self) -> datetime:
        """Local midnight when today's count began."""
        return dt_util.start_of_local_day(self.day)

    async def async_start(self) -> None:
        """Read today's count (a new day starts from zero) and show the issue if it stands."""
        stored = await self._store.async_load()
        if isinstance(stored, dict) and stored.get("day") == self.day.isoformat():
            try:
                self.sent_today = max(0, int(stored.get("parts", 0)))
                refused_at = stored.get("refused_at")
                self._refused_at = int(refused_at) if refused_at is not None else None
            except TypeError, ValueError:
                _LOGGER.debug("Ignoring a malformed count of the day for %s", self.entry.title)
        self._unsub_options = self.entry.add_update_listener(self._async_options_updated)
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stop
        )
        self._schedule_midnight()
        self._async_update_issue()

    async def async_stop(self) -> None:
        """Stop following the day; write the count (the issue is raised again at the next start)."""
        if self._unsub_options is not None:
            self._unsub_options()
            self._unsub_options = None
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        self._cancel_midnight()
        await self._store.async_close()
        ir.async_delete_issue(self.hass, DOMAIN, daily_limit_issue_id(self.entry.entry_id))

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Be told when the count of the day changes (the sensor)."""
        return self._listeners.add(listener)

    @callback
    def async_reserve(self, prepared: PreparedSms) -> Spending:
        """Reserve the parts of ``prepared``, to be settled when its request ends.

        Raises:
            DailyLimitError: they would pass the day's limit (nothing is reserved or sent).
        """
        self._roll()
        parts = prepared.info.segments
        recipients = len(prepared.recipients)
        needed = parts * recipients
        limit = self.limit
        if limit is not None and self.sent_today + self._reserved + needed > limit:
            self._refuse(limit, needed)
        self._reserved += needed
        self._changed()
        return Spending(self, self.day, parts, recipients)

    @callback
    def async_settle(self, day: date, reserved: int, taken: int) -> None:
        """A request of ``day`` ended: ``taken`` of its ``reserved`` parts count."""
        if day != self.day:
            return  # yesterday's: its count has been reset since
        self._reserved = max(0, self._reserved - reserved)
        if taken:
            self.sent_today += taken
            self._notify()
        self._changed()

    def _refuse(self, limit: int, needed: int) -> None:
        remaining = max(0, limit - self.sent_today - self._reserved)
        _LOGGER.warning(
            "%s reached its daily limit of %s SMS parts: a message of %s parts is not sent",
            self.entry.title,
            limit,
            needed,
        )
        self._refused_at = limit
        self._changed()
        self._async_update_issue()
        raise DailyLimitError(
            translation_domain=DOMAIN,
            translation_key="daily_limit_reached",
            translation_placeholders={
                "account": self.entry.title,
                "limit": str(limit),
                "needed": str(needed),
                "remaining": str(remaining),
                "resets": _local_time(_resets_at(self.day)),
            },
        )

    @callback
    def _roll(self) -> None:
        """Start a new count when the local day has changed."""
        today = dt_util.now().date()
        if today == self.day:
            return
        self.day = today
        self.sent_today = 0
        self._reserved = 0
        self._refused_at = None
        self._changed()
        self._notify()
        self._async_update_issue()

    @callback
    def _schedule_midnight(self) -> None:
        self._cancel_midnight()
        self._unsub_midnight = async_track_point_in_utc_time(
            self.hass, self._async_midnight, _resets_at(self.day)
        )

    @callback
    def _cancel_midnight(self) -> None:
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None

    @callback
    def _async_midnight(self, _now: datetime) -> None:
        self._unsub_midnight = None
        self._roll()
        self._schedule_midnight()

    @callback
    def _async_hass_stop(self, _event: Event) -> None:
        """Home Assistant stops (an entry that failed to unload stays): no timer is left."""
        self._unsub_stop = None
        self._cancel_midnight()

    async def _async_options_updated(self, _hass: HomeAssistant, _entry: ConfigEntry[Any]) -> None:
        """A raised (or removed) limit lifts the issue."""
        self._async_update_issue()

    @callback
    def _async_update_issue(self) -> None:
        issue_id = daily_limit_issue_id(self.entry.entry_id)
        limit = self.limit
        if self._refused_at is not None and (limit is None or limit > self._refused_at):
            self._refused_at = None
            self._changed()
        if self._refused_at is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        async_raise_warning(
            self.hass,
            issue_id,
            ISSUE_DAILY_LIMIT,
            {
                "account": self.entry.title,
                "limit": str(self._refused_at),
                "resets": _local_time(_resets_at(self.day)),
            },
        )

    @callback
    def _notify(self) -> None:
        self._listeners.notify()

    @callback
    def _changed(self) -> None:
        # Nobody waits: a failed write is logged by the store and goes with the next change.
        self._store.async_changed()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            # Requests under way count: after a crash they may have been sent.
            "parts": self.sent_today + self._reserved,
            "refused_at": self._refused_at,
        }
