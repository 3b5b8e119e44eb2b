"""Durable state: one grouped write for every change made while the previous write ran.

Home Assistant's ``Store.async_delay_save`` writes a second after the last change and postpones
while changes keep coming; ``Store.async_save`` logs a failed write instead of raising it. Neither
lets a caller promise something (answer a push 200, fire a polled SMS, return from a send) only
once it is on disk. ``GroupedStore`` does:

- ``async_changed()`` marks the state changed and returns a future that is done once a write that
  includes the change has reached the operating system (or raises ``WriteError``);
- the changes made in one turn of the event loop (and within ``delay`` of the first one, if a
  delay is set) are written once, and all their callers await that one write; changes made while
  a write runs go into the next one, which starts as soon as it ends (a group commit: a burst is
  written in as many writes as its pushes wait for, each taking all that arrived meanwhile);
- ``async_mark_changed()`` marks a change nobody waits for: it goes with the next write, or
  ``LATER_DELAY`` later (a received SMS recorded as fired rides with the next push's write);
- nothing is written while nothing changes;
- once closed (``async_close``), nothing is written any more: the owner that replaces this one
  (a reload) reads the file, and a late change of the old one must never write over it.

Kept beside ``Store`` for what it promises, and for what it buys: the inbound burst of
``script/bench`` written by ``Store.async_save`` awaited per push takes about twice as long
(the row "ours (GroupedStore) vs ours written by Store.async_save": 0.49x to 0.55x, 2026-12-07),
and ``Store`` cannot say that a write failed.

The file is written the way ``Store`` writes it (same place, same envelope, a temporary file renamed
into place by ``homeassistant.util.file.write_utf8_file``): a kill -9 at any instant leaves either
the old file or the new one, whole. It is not fsynced: what the operating system holds survives the
process; a power cut may lose the last writes, as with every ``Store``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util.file import WriteError, write_utf8_file
from homeassistant.util.json import load_json

from .const import DOMAIN, STORAGE_VERSION

_LOGGER = logging.getLogger(__name__)

GROUP_DELAY = 0.0
"""Seconds a first change waits for others before its write starts: none by default.

Waiting adds the delay to every answer while grouping little more: measured in ``benchmarks/``
(1,200 concurrent pushes), 20 ms gave the same 11 writes as none, and a slower burst.
"""

LATER_DELAY = 0.05
"""Seconds a change nobody waits for waits for a write to go with (``async_mark_changed``)."""

__all__ = [
    "GROUP_DELAY",
    "LATER_DELAY",
    "GroupedStore",
    "WriteError",
    "entry_grouped_store",
    "entry_store",
    "entry_store_key",
]


def entry_store_key(entry_id: str, part: str) -> str:
    """The file in ``.storage`` that keeps one part (``inbound``...) of an entry's state."""
    return f"{DOMAIN}.{entry_id}.{part}"


def entry_store(hass: HomeAssistant, entry_id: str, part: str) -> Store[dict[str, Any]]:
    """The same file as a ``Store`` (to remove it with the entry)."""
    return Store(hass, STORAGE_VERSION, entry_store_key(entry_id, part))


def entry_grouped_store(
    hass: HomeAssistant, entry_id: str, part: str, data_func: Callable[[], Any]
) -> GroupedStore:
    """The same file written in groups, by the part of the entry that keeps it."""
    return GroupedStore(hass, entry_store_key(entry_id, part), data_func, version=STORAGE_VERSION)


class GroupedStore:
    """A JSON file in ``.storage`` written in groups, each write awaited by the changes it holds."""

    def __init__(
        self,
        hass: HomeAssistant,
        key: str,
        data_func: Callable[[], Any],
        *,
        version: int = 1,
        delay: float | None = None,
    ) -> None:
        """Nothing is read or written yet.

        Args:
            hass: Home Assistant.
            key: the file name in ``.storage`` (the same key a ``Store`` of this data would use).
            data_func: returns the JSON-friendly state to write, called in the event loop when a
                write starts (so it holds every change made until then).
            version: written in the envelope, as ``Store`` does.
            delay: how long a first change waits for the others of its group (default
                ``GROUP_DELAY``).
        """
        self.hass = hass
        self.key = key
        self.path = hass.config.path(STORAGE_DIR, key)
        self._data_func = data_func
        self._version = version
        self._delay = GROUP_DELAY if delay is None else delay
        self._changes = 0
        """How many changes were made (a counter, so that a write knows what it covered)."""
        self._written = 0
        """How many of them are on disk."""
        self._next: asyncio.Future[None] | None = None
        """Done when the next write is; every change not yet in a running write awaits it."""
        self._running: tuple[int, asyncio.Future[None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsub_final_write: CALLBACK_TYPE | None = None
        self._flushing = asyncio.Event()
        self._later: asyncio.TimerHandle | None = None
        """The write of changes marked with ``async_mark_changed`` if no other write comes."""
        self._closed = False
        self.writes = 0
        """How many writes were made (diagnostics, tests, the crash test's figures)."""

    @property
    def dirty(self) -> bool:
        """Whether a change is not on disk yet."""
        return self._written < self._changes

    async def async_load(self) -> Any:
        """The stored data, None when there is none or the file is unreadable."""
        try:
            stored = await self.hass.async_add_executor_job(load_json, self.path, None)
        except HomeAssistantError as err:
            _LOGGER.warning("Stored state %s is unreadable, starting empty: %s", self.key, err)
            return None
        if not isinstance(stored, dict) or "data" not in stored:
            return None
        return stored["data"]

    @callback
    def async_changed(self) -> asyncio.Future[None]:
        """Mark the state changed; the future is done once the change is on disk.

        The future raises ``WriteError`` if that write failed. Awaiting it is optional: a change
        nobody waits for is written with its group all the same.
        """
        self._changes += 1
        if self._closed:
            return _failed(WriteError(f"{self.key} is closed"), self.hass.loop)
        return _shielded(self._async_next_write())

    @callback
    def async_mark_changed(self) -> None:
        """Mark a change nobody waits for: written with the next write, or ``LATER_DELAY`` later.

        For what may be lost by a kill at no cost to a promise (a received SMS recorded as
        fired: fired again, marked redelivered). Riding with the next awaited write halves the
        writes of a burst of pushes, and each push waited for two.
        """
        self._changes += 1
        if self._closed or self._next is not None:
            return  # closed: nothing is written any more; else the next write holds it
        if self._later is None:
            self._later = self.hass.loop.call_later(LATER_DELAY, self._async_write_later)
        if self._unsub_final_write is None:
            self._unsub_final_write = self.hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )

    @callback
    def _async_write_later(self) -> None:
        self._later = None
        if self.dirty and not self._closed and self._next is None:
            self._async_next_write()
        else:
            self._async_cleanup_final_write()

    async def async_wait_written(self) -> None:
        """Return once every change made so far is on disk (at once if it already is).

        Raises:
            WriteError: the write failed; the change stays pending and is tried again with the
                next change or the next wait.
        """
        if not self.dirty:
            return
        if self._closed:
            raise WriteError(f"{self.key} is closed")
        if self._running is not None and self._running[0] >= self._changes:
            await _shielded(self._running[1])
            return
        await _shielded(self._async_next_write())

    async def async_flush(self) -> None:
        """Write now whatever is pending (unload, stop); errors are logged, not raised."""
        if self._closed:
            return
        self._flushing.set()  # no grouping delay
        try:
            await self._async_flush()
        finally:
            self._flushing.clear()
        self._async_cleanup_final_write()

    async def async_close(self) -> None:
        """Write what is pending, then nothing ever again (unload).

        A change made after this fails with ``WriteError``: the next owner of the file (the
        entry set up again) may have read it already, so a late write of this one would put
        stale state over its own.
        """
        await self.async_flush()
        self._closed = True
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._unsub_final_write is not None:
            self._unsub_final_write()
            self._unsub_final_write = None
        if self._next is not None and not self._next.done():
            self._next.set_exception(WriteError(f"{self.key} is closed"))
        self._next = None

    @property
    def closed(self) -> bool:
        """Whether ``async_close`` was called: nothing is written any more."""
        return self._closed

    async def _async_flush(self) -> None:
        for _ in range(3):  # a failed write is tried again, a few times at most
            if self.dirty and self._next is None and self._running is None:
                self._async_next_write()
            if self._task is None or self._task.done():
                break
            await asyncio.gather(asyncio.shield(self._task), return_exceptions=True)
            if not self.dirty:
                break

    @callback
    def _async_next_write(self) -> asyncio.Future[None]:
        if self._next is None:
            self._next = self.hass.loop.create_future()
            # Nobody may await it (a change made without waiting): retrieve the error anyway.
            self._next.add_done_callback(_retrieve)
        if self._task is None or self._task.done():
            # Tracked, not a background task: Home Assistant waits for it when it stops.
            self._task = self.hass.async_create_task(
                self._async_run(), f"write {self.key}", eager_start=False
            )
        if self._unsub_final_write is None:
            self._unsub_final_write = self.hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )
        return self._next

    async def _async_run(self) -> None:
        """Write in groups until nothing is pending."""
        while self._next is not None:
            if not self._flushing.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._delay):
                        await self._flushing.wait()
            await self._async_write_next()
        self._async_cleanup_final_write()

    async def _async_write_next(self) -> None:
        """Write the state now for every change awaiting ``_next``."""
        future, self._next = self._next, None
        if future is None:
            return
        if self._closed:
            future.set_exception(WriteError(f"{self.key} is closed"))
            return
        covered = self._changes
        self._running = (covered, future)
        try:
            payload = json_bytes(
                {
                    "version": self._version,
                    "minor_version": 1,
                    "key": self.key,
                    "data": self._data_func(),
                }
            )
            await self.hass.async_add_executor_job(self._write, payload)
        except (WriteError, TypeError, ValueError) as err:
            failure = err if isinstance(err, WriteError) else WriteError(err)
            if not future.done():
                future.set_exception(failure)
        except BaseException as err:
            if not future.done():
                future.set_exception(WriteError(err))
            raise
        else:
            self._written = max(self._written, covered)
            self.writes += 1
            if not future.done():
                future.set_result(None)
        finally:
            self._running = None
        if future.done() and not future.cancelled() and future.exception() is not None:
            _LOGGER.error("Could not write %s: %s", self.key, future.exception())

    def _write(self, payload: bytes) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        write_utf8_file(self.path, payload, mode="wb")

    async def _async_final_write(self, _event: Event) -> None:
        self._unsub_final_write = None
        await self.async_flush()

    @callback
    def _async_cleanup_final_write(self) -> None:
        if (
            self._unsub_final_write is not None
            and not self.dirty
            and self._next is None
            and self._later is None
        ):
            self._unsub_final_write()
            self._unsub_final_write = None


def _shielded(write: asyncio.Future[None]) -> asyncio.Future[None]:
    """What one change awaits of the write of its group: cancelling it never cancels the write.

    ``asyncio.shield``. A future of our own that refused to be cancelled, awaited as is, costs a
    third of it per waiter, but ``script/bench``'s inbound burst took 0.90x to 1.28x as long with
    ``shield`` as with it (four runs, median 0.99x; benchmarks/README.md): no steady 10 % gain
    that would pay for keeping it.
    """
    waiter = asyncio.shield(write)
    # Nobody may await it (a change made without waiting): retrieve the error anyway.
    waiter.add_done_callback(_retrieve)
    return waiter


def _failed(error: WriteError, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
    future: asyncio.Future[None] = loop.create_future()
    future.set_exception(error)
    future.add_done_callback(_retrieve)
    return future


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
