"""Received SMS left unfired by a kill, with damaged records beside the good one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.sms_gateways.const import DOMAIN, EVENT_INBOUND_SMS
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import make_entry
from .test_inbound import _KILLED, OUR_NUMBER, SENDER


def _write(path: Path, data: dict[str, Any]) -> None:
    """The inbound file as a previous run left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "key": path.name, "data": data}), "utf-8")


async def test_damaged_unfired_records_are_skipped_the_good_one_fires(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Records no run could have written are skipped; the message beside them fires once."""
    entry = make_entry(simulator, "smsfactor")
    good = {
        "message_id": None,
        "sender": SENDER,
        "recipient": OUR_NUMBER,
        "message": "the door is open",
        "received_at": _KILLED.received_at.isoformat(),
        "keyword": None,
    }
    unfired = {
        _KILLED.dedup_key: good,
        "not a record": "the door",
        "no time": {**good, "received_at": "yesterday"},
        "no sender": {**good, "sender": None},
        "id not text": {**good, "message_id": 12},
        "keyword not text": {**good, "keyword": ["door"]},
    }
    _write(
        Path(hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}.inbound")),
        {"seen": {}, "last_id": None, "unfired": unfired},
    )
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert [(e.data["message"], e.data["redelivered"]) for e in events] == [
        ("the door is open", True)
    ]
