"""Grouped writes that are cancelled, or still failing when the store is closed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
import pytest

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.storage import GroupedStore, WriteError


def _store(hass: HomeAssistant, state: dict[str, Any], **kwargs: Any) -> GroupedStore:
    return GroupedStore(hass, "sms_gateways.test", lambda: dict(state), **kwargs)


def _exists(store: GroupedStore) -> bool:
    return Path(store.path).exists()


def _on_disk(store: GroupedStore) -> Any:
    return json.loads(Path(store.path).read_text(encoding="utf-8"))


async def test_a_write_cancelled_under_way_fails_its_waiters_not_the_next(
    hass: HomeAssistant,
) -> None:
    """Cancelled while it runs: its changes fail with WriteError; the next change is written."""
    state = {"n": 1}
    store = _store(hass, state)

    def cancelled(*_args: Any, **_kwargs: Any) -> None:
        raise asyncio.CancelledError

    with patch.object(storage, "write_utf8_file", cancelled), pytest.raises(WriteError):
        await store.async_changed()
    await hass.async_block_till_done()
    state["n"] = 2
    await store.async_changed()
    assert _on_disk(store)["data"] == {"n": 2}


async def test_closed_while_its_writes_fail_nothing_is_written_later(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed with a change its failing writes could not store: said, and never written later."""
    state = {"n": 1}
    store = _store(hass, state, delay=10)
    with patch.object(storage, "write_utf8_file", side_effect=WriteError("disk full")):
        pending = store.async_changed()
        await store.async_close()
    with pytest.raises(WriteError):
        await pending
    assert "Could not write sms_gateways.test" in caplog.text
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert not _exists(store)
    assert store.closed
