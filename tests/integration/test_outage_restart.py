"""Restarts while the provider is down: the outbox is read at start and sends each message once.

These need an entry that loads with its provider unreachable (issue 20, item 1: the set-up does
not wait for a network answer). On a tree without it, the entry waits in "setup retry" and the
first assertion on its state fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_GIVE_UP_AFTER,
)
from custom_components.sms_gateways.outbox import OUTBOX_STORE
from custom_components.sms_gateways.storage import entry_store_key
from tests.conftest import RunningSimulator

from .common import send_sms, setup_entry
from .conftest import ALICE, BOB, make_entry
from .test_sending import CLOSED, _alarm_unreachable, _later


async def _restart(hass: HomeAssistant, entry: MockConfigEntry, api_url: str) -> None:
    """Stop, then start with the provider at ``api_url`` (CLOSED: down for the whole start)."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_API_URL: api_url})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def _sent(simulator: RunningSimulator) -> list[str]:
    return [m.text for m in simulator.sim.state.messages.values() if m.provider == "netoxygen"]


async def test_restarts_during_an_outage_send_each_message_once(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Kept before the outage's restarts, read at each start, sent once when the provider is back.

    While it is down nothing is marked as being sent, so no start takes a message for "may
    have been sent"; the deadline and the next try survive each restart.
    """
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    entry.runtime_data.gateway._api_url = CLOSED
    for text, number in (("Fire", ALICE), ("Flood", BOB)):
        response = await send_sms(hass, entry, number, message=text)
        assert response["messages"][0]["status"] == "retrying"
    path = str(Path(hass.config.path(".storage", entry_store_key(entry.entry_id, OUTBOX_STORE))))
    marks: list[bool] = []
    original = storage.write_utf8_file

    def _write(target: str, payload: bytes, **kwargs: Any) -> None:
        original(target, payload, **kwargs)
        if target == path:
            marks.extend(item["in_flight"] for item in json.loads(payload)["data"]["outbox"])

    with patch.object(storage, "write_utf8_file", _write):
        for _ in range(3):
            await _restart(hass, entry, CLOSED)
            # Read at start, before the provider ever answered.
            assert len(entry.runtime_data.sending.outbox) == 2
            await _later(hass, freezer, 45)
    assert not any(marks)
    assert not _sent(simulator)
    await _restart(hass, entry, simulator.api_url("netoxygen"))
    await _later(hass, freezer, 301)
    assert sorted(_sent(simulator)) == ["Fire", "Flood"]
    await _restart(hass, entry, simulator.api_url("netoxygen"))
    await _later(hass, freezer, 600)
    assert len(_sent(simulator)) == 2


async def test_the_deadline_holds_across_restarts_during_an_outage(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Give up after 2 minutes, restarted twice meanwhile: failed at the deadline, never sent."""
    entry, events = await _alarm_unreachable(hass, simulator, {CONF_GIVE_UP_AFTER: 2})
    for _ in range(2):
        await _restart(hass, entry, CLOSED)
        await _later(hass, freezer, 50)
    await _later(hass, freezer, 30)
    assert [e.data["status"] for e in events] == ["retrying", "failed"]
    assert "Never sent" in events[-1].data["provider_status"]
    await _restart(hass, entry, simulator.api_url("netoxygen"))
    await _later(hass, freezer, 600)
    assert not _sent(simulator)
