"""Grouped, awaited writes of the integration's state."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
import pytest

from custom_components.sms_gateways.storage import LATER_DELAY, GroupedStore, WriteError


def _store(hass: HomeAssistant, state: dict[str, Any], **kwargs: Any) -> GroupedStore:
    return GroupedStore(hass, "sms_gateways.test", lambda: dict(state), **kwargs)


def _exists(store: GroupedStore) -> bool:
    return Path(store.path).exists()


def _put(store: GroupedStore, text: str) -> None:
    path = Path(store.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _on_disk(store: GroupedStore) -> Any:
    return json.loads(Path(store.path).read_text(encoding="utf-8"))


async def test_a_burst_is_one_write_awaited_by_all(hass: HomeAssistant) -> None:
    """Fifty changes within the delay: one write, and every caller waits for it."""
    state: dict[str, Any] = {}
    store = _store(hass, state)
    futures = []
    for n in range(50):
        state[str(n)] = n
        futures.append(store.async_changed())
    assert store.dirty
    assert not _exists(store)
    await asyncio.gather(*futures)
    assert store.writes == 1
    assert not store.dirty
    stored = _on_disk(store)
    assert stored == {
        "version": 1,
        "minor_version": 1,
        "key": "sms_gateways.test",
        "data": state,
    }
    assert await store.async_load() == state


async def test_idle_writes_nothing(hass: HomeAssistant) -> None:
    """Nothing changed, nothing written; once written, waiting costs no write."""
    state = {"a": 1}
    store = _store(hass, state)
    await store.async_wait_written()
    await store.async_flush()
    assert store.writes == 0
    assert not _exists(store)
    assert await store.async_load() is None
    await store.async_changed()
    await store.async_wait_written()
    await store.async_flush()
    await asyncio.sleep(0.05)
    assert store.writes == 1


async def test_changes_during_a_write_go_into_the_next(hass: HomeAssistant) -> None:
    """A change made while a write runs is not taken for written by that write."""
    state = {"n": 0}
    later: list[asyncio.Future[None]] = []
    waiters: list[asyncio.Future[None]] = []

    def data() -> dict[str, int]:
        snapshot = dict(state)
        if not later:  # the first write has started: change again while it runs
            state["n"] = 1
            later.append(store.async_changed())
            waiters.append(asyncio.ensure_future(store.async_wait_written()))
        return snapshot

    store = GroupedStore(hass, "sms_gateways.test", data, delay=0)
    first = store.async_changed()
    await first
    assert later
    assert later[0] is not first
    assert store.dirty
    await later[0]
    await waiters[0]
    assert _on_disk(store)["data"] == {"n": 1}
    assert store.writes == 2


async def test_waiting_on_a_running_write(hass: HomeAssistant) -> None:
    """A wait while the write holding every change runs awaits that write only."""
    waiters: list[asyncio.Future[None]] = []

    def data() -> dict[str, int]:
        waiters.append(asyncio.ensure_future(store.async_wait_written()))
        return {"n": 0}

    store = GroupedStore(hass, "sms_gateways.test", data, delay=0)
    await store.async_changed()
    await waiters[0]
    assert store.writes == 1


async def test_a_failed_write_raises_and_is_tried_again(hass: HomeAssistant) -> None:
    """The callers of a failed write learn it; the change stays pending until written."""
    state = {"n": 1}
    store = _store(hass, state)
    with patch(
        "custom_components.sms_gateways.storage.write_utf8_file",
        side_effect=WriteError("disk full"),
    ):
        future = store.async_changed()
        with pytest.raises(WriteError):
            await future
        with pytest.raises(WriteError):
            await store.async_wait_written()
        await store.async_flush()  # logged, not raised
    assert store.dirty
    await store.async_wait_written()
    assert not store.dirty
    assert _on_disk(store)["data"] == state


async def test_unserializable_state_is_a_write_error(hass: HomeAssistant) -> None:
    """State that is not JSON fails like a full disk, never with another exception."""
    store = GroupedStore(hass, "sms_gateways.test", lambda: {"x": object()})
    with pytest.raises(WriteError):
        await store.async_changed()


async def test_flush_and_final_write(hass: HomeAssistant) -> None:
    """Unload and stop write what is pending without waiting for a reason."""
    state = {"n": 1}
    store = _store(hass, state, delay=10)
    store.async_changed()
    await store.async_flush()
    assert _on_disk(store)["data"] == {"n": 1}
    state["n"] = 2
    store.async_changed()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert _on_disk(store)["data"] == {"n": 2}


async def test_unreadable_file_starts_empty(hass: HomeAssistant) -> None:
    """A damaged or foreign file is no state, not a failed set-up."""
    store = _store(hass, {})
    _put(store, "{not json")
    assert await store.async_load() is None
    _put(store, "[1, 2]")
    assert await store.async_load() is None


async def test_a_cancelled_waiter_leaves_the_write_to_the_others(hass: HomeAssistant) -> None:
    """A push whose client went away is cancelled; the write it shared still ends for the rest."""
    state: dict[str, Any] = {}
    store = _store(hass, state)

    async def change(n: int) -> int:
        state[str(n)] = n
        store.async_changed()
        await store.async_wait_written()
        return n

    gone = hass.async_create_task(change(1))
    staying = hass.async_create_task(change(2))
    await asyncio.sleep(0)
    gone.cancel()
    assert await staying == 2
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert _on_disk(store)["data"] == {"1": 1, "2": 2}
    assert not store.dirty


async def test_a_closed_store_writes_nothing(hass: HomeAssistant) -> None:
    """Closed (unload): what was pending is written, then no change reaches the file again.

    The entry set up again reads the file and writes its own; a late change of the old owner
    (a request that ended after the unload) must never put stale state over it.
    """
    state = {"n": 1}
    store = _store(hass, state, delay=10)
    store.async_changed()
    await store.async_close()
    assert _on_disk(store)["data"] == {"n": 1}
    _put(store, '{"version": 1, "key": "sms_gateways.test", "data": {"n": "new owner"}}')
    state["n"] = 2
    with pytest.raises(WriteError):
        await store.async_changed()
    with pytest.raises(WriteError):
        await store.async_wait_written()
    await store.async_flush()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert _on_disk(store)["data"] == {"n": "new owner"}
    assert store.closed


async def test_a_change_nobody_waits_for_goes_with_the_next_write(hass: HomeAssistant) -> None:
    """Marked changed: written with the next awaited write, or alone soon after, or at close."""
    state: dict[str, Any] = {}
    store = _store(hass, state)
    state["fired"] = 1
    store.async_mark_changed()
    state["received"] = 2
    await store.async_changed()
    assert _on_disk(store)["data"] == {"fired": 1, "received": 2}
    assert store.writes == 1
    state["fired"] = 3
    store.async_mark_changed()
    assert store.dirty
    await asyncio.sleep(LATER_DELAY * 2)
    await hass.async_block_till_done()
    assert _on_disk(store)["data"]["fired"] == 3
    assert store.writes == 2
    assert not store.dirty
    state["fired"] = 4
    store.async_mark_changed()
    await store.async_close()
    assert _on_disk(store)["data"]["fired"] == 4
    store.async_mark_changed()  # closed: nothing more is written, nothing raised
    await asyncio.sleep(LATER_DELAY * 2)
    assert store.writes == 3
