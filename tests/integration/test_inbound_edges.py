"""Received SMS left unfired by a kill, with damaged records beside the good one."""

from __future__ import annotations

from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.const import EVENT_INBOUND_SMS
from custom_components.sms_gateways.storage import WriteError
from tests.conftest import RunningSimulator

from .common import (
    mobyt_receives,
    next_poll,
    setup_entry,
    write_inbound_store,
)
from .conftest import make_entry
from .test_inbound import _KILLED, KILLED_RECORD


async def test_damaged_unfired_records_are_skipped_the_good_one_fires(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Records no run could have written are skipped; the message beside them fires once."""
    entry = make_entry(simulator, "smsfactor")
    good = KILLED_RECORD
    unfired = {
        _KILLED.dedup_key: good,
        "not a record": "the door",
        "no time": {**good, "received_at": "yesterday"},
        "no sender": {**good, "sender": None},
        "id not text": {**good, "message_id": 12},
        "keyword not text": {**good, "keyword": ["door"]},
    }
    write_inbound_store(hass, entry, {"seen": {}, "last_id": None, "unfired": unfired})
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert [(e.data["message"], e.data["redelivered"]) for e in events] == [
        ("the door is open", True)
    ]


async def test_a_polled_sms_that_cannot_be_recorded_fires_at_thenext_poll(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    inbound_events: list[Event],
    mobyt_entry: MockConfigEntry,  # set up after the clock is frozen
) -> None:
    """The disk refuses the write: nothing fires then; the next poll fires it, once."""
    await mobyt_receives(session, simulator, "the door is open")
    with patch.object(storage, "write_utf8_file", side_effect=WriteError("disk full")):
        await next_poll(hass, freezer)
    assert not inbound_events
    assert "tried again at the next poll" in caplog.text
    await next_poll(hass, freezer)
    assert [e.data["message"] for e in inbound_events] == ["the door is open"]
    await next_poll(hass, freezer)
    assert len(inbound_events) == 1
