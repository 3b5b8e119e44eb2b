"""What the user sees of the outbox: how many SMS wait, and a repair issue when they wait long.

A provider that stays unreachable must not go unnoticed: once a message has waited longer than
``ISSUE_AFTER`` a repair issue names the account, how many SMS wait and since when; it goes away
when they leave or are given up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .issues import async_raise_warning
from .listeners import Listeners
from .sending import EntrySending

ISSUE_AFTER = timedelta(minutes=5)
"""How long a message waits in the outbox before a repair issue says so."""
ISSUE_OUTBOX_WAITING = "outbox_waiting"


def outbox_issue_id(entry_id: str) -> str:
    """The repair issue raised while an entry's outbox holds messages that wait long."""
    return f"{ISSUE_OUTBOX_WAITING}_{entry_id}"


class OutboxWatch:
    """Follow one account's outbox: the count of waiting SMS, and the repair issue."""

    def __init__(self, hass: HomeAssistant, sending: EntrySending) -> None:
        """Nothing is shown until ``async_start``."""
        self.hass = hass
        self.sending = sending
        self.entry = sending.entry
        self.waiting = 0
        """The SMS in the outbox (one per recipient), not yet sent."""
        self.since: datetime | None = None
        """When the oldest of them was given."""
        self._listeners: Listeners[()] = Listeners()
        self._unsub_timer: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the outbox; returns the callback that stops following it."""
        unsub = self.sending.async_add_outbox_listener(self._async_changed)
        self._async_changed()

        @callback
        def _stop() -> None:
            unsub()
            self._cancel_timer()
            # Raised again at the next set-up if messages still wait by then.
            ir.async_delete_issue(self.hass, DOMAIN, outbox_issue_id(self.entry.entry_id))

        return _stop

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Be told when the count changes (the sensor)."""
        return self._listeners.add(listener)

    @callback
    def _async_changed(self) -> None:
        items = list(self.sending.outbox.values())
        waiting = sum(len(item.request.recipients) for item in items)
        since = min((item.created_at for item in items), default=None)
        if (waiting, since) != (self.waiting, self.since):
            self.waiting, self.since = waiting, since
            self._listeners.notify()
        self._async_update_issue(None)

    @callback
    def _async_update_issue(self, _now: datetime | None) -> None:
        self._cancel_timer()
        issue_id = outbox_issue_id(self.entry.entry_id)
        if self.since is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        due = self.since + ISSUE_AFTER
        if dt_util.utcnow() < due:
            self._unsub_timer = async_track_point_in_utc_time(
                self.hass, self._async_update_issue, due
            )
            return
        oldest = min(self.sending.outbox.values(), key=lambda item: item.created_at)
        async_raise_warning(
            self.hass,
            issue_id,
            ISSUE_OUTBOX_WAITING,
            {
                "account": self.entry.title,
                "count": str(self.waiting),
                "since": dt_util.as_local(self.since).strftime("%Y-%m-%d %H:%M"),
                "provider": self.sending.gateway.title,
                "reason": oldest.reason,
            },
        )

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
