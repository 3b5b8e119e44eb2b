"""What becomes of a message of the outbox when its retry does not simply succeed.

The provider comes back but refuses the credentials, takes the message without answering,
refuses one recipient; the fallback account cannot help; the outbox on disk holds what a
previous run left, broken records included. Every case is played against the simulator over
real HTTP and read where a user reads it: the action's response, the delivery events, the
messages the provider has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import json
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sms_gateways.const import EVENT_DELIVERY_STATUS
from tests.conftest import RunningSimulator

from .common import call_action, control, flow_sources, send_error, setup_entry, with_fallback
from .conftest import ALICE, BOB, REFUSED, make_entry
from .test_sending import (
    _cut,
    _later,
    _outbox_path,
    _restore,
    _sent,
    _sent_long_after,
    _stored_outbox,
    _texts_by_provider,
)


def _statuses(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.data["recipient"], e.data["status"]) for e in events]


async def _waiting(hass: HomeAssistant, entry: MockConfigEntry, *recipients: str) -> None:
    """A send made while the provider refuses connections: it waits in the outbox."""
    _cut(entry)
    response = await call_action(
        hass, entry, "send_sms", recipients=list(recipients), message="Alarm"
    )
    assert response is not None
    assert {m["status"] for m in response["messages"]} == {"retrying"}


@dataclass
class _Account:
    """The demo NetOxygen account, its provider, and the clock that makes its retries due."""

    hass: HomeAssistant
    simulator: RunningSimulator
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry

    async def waiting(self, *recipients: str) -> None:
        """A send of "Alarm" while the provider refuses connections: it waits in the outbox."""
        await _waiting(self.hass, self.entry, *recipients)

    async def back(self) -> None:
        """The provider accepts connections again, and the first retry (at 30 s) is made."""
        _restore(self.entry, self.simulator, "netoxygen")
        await _later(self.hass, self.freezer, 31)

    def texts(self) -> list[str]:
        """The text of every message the provider has."""
        return [m.text for m in _sent(self.simulator, "netoxygen")]

    async def texts_long_after(self) -> list[str]:
        """The same, ten minutes on: every retry due meanwhile made."""
        return [m.text for m in await _sent_long_after(self.hass, self.freezer, self.simulator)]


@pytest.fixture
def account(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> _Account:
    """The demo NetOxygen account, set up."""
    return _Account(hass, simulator, freezer, init_integration)


async def test_retry_with_credentials_refused_fails_and_asks_to_reauthenticate(
    hass: HomeAssistant,
    session: aiohttp.ClientSession,
    account: _Account,
    delivery_events: list[Event],
) -> None:
    """Back, but the password changed meanwhile: failed (never sent), and reauth is asked."""
    await account.waiting(ALICE)
    await control(
        session,
        account.simulator,
        "accounts",
        provider="netoxygen",
        username="demo",
        password="changed",
    )
    await account.back()
    assert _statuses(delivery_events) == [(ALICE, "retrying"), (ALICE, "failed")]
    assert delivery_events[-1].data["provider_status"].startswith("Never sent")
    assert not account.entry.runtime_data.sending.outbox
    assert _stored_outbox(hass, account.entry)["outbox"] == []
    assert flow_sources(hass) == [SOURCE_REAUTH]
    assert not await account.texts_long_after()


async def test_retry_that_may_have_been_sent_is_never_sent_again(
    account: _Account, delivery_events: list[Event]
) -> None:
    """The provider took the retry but the answer was lost: "unknown", and never sent again."""
    await account.waiting(ALICE)
    # The credits read before the retry, then the send: each answered by a dropped connection.
    account.simulator.fault("/netoxygen/api2/", "drop", count=2)
    await account.back()
    assert _statuses(delivery_events) == [(ALICE, "retrying"), (ALICE, "unknown")]
    assert delivery_events[-1].data["provider_status"].startswith("May have been sent")
    assert not account.entry.runtime_data.sending.outbox
    assert await account.texts_long_after() == ["Alarm"]


async def test_retry_with_one_recipient_refused(
    account: _Account, delivery_events: list[Event]
) -> None:
    """The retry leaves; the provider refuses one recipient: that one fails in its words."""
    await account.waiting(ALICE, REFUSED)
    await account.back()
    after = {e.data["recipient"]: e.data for e in delivery_events[2:]}
    assert after[ALICE]["status"] == "queued"
    assert after[REFUSED]["status"] == "failed"
    assert after[REFUSED]["provider_status"]
    assert account.texts() == ["Alarm"]
    assert not account.entry.runtime_data.sending.outbox


async def test_credits_check_bug_does_not_hold_the_outbox_back(account: _Account) -> None:
    """The read before a retry fails unexpectedly: the retry is made all the same."""
    await account.waiting(ALICE)
    gateway = account.entry.runtime_data.gateway
    with patch.object(gateway, "get_balance", side_effect=RuntimeError("bug")):
        await account.back()
    assert account.texts() == ["Alarm"]
    assert not account.entry.runtime_data.sending.outbox


# --- the outbox a previous run left ----------------------------------------------------------


def _item(item_id: str, recipients: list[str], **options: Any) -> dict[str, Any]:
    now = dt_util.utcnow()
    return {
        "item_id": item_id,
        "request": {"recipients": recipients, "message": f"From {item_id}", "options": options},
        "created_at": now.isoformat(),
        "deadline": (now + timedelta(hours=1)).isoformat(),
        "next_try": now.isoformat(),
    }


async def test_outbox_on_disk_with_broken_records(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Broken records are skipped, one no longer sendable fails, the others leave once."""
    entry = make_entry(simulator, "netoxygen")
    past = (dt_util.now() - timedelta(minutes=5)).isoformat()
    data = {
        "outbox": [
            {"item_id": "no request"},
            _item("late", [ALICE], send_at=past, sender="Home"),
            {**_item("bad date", [BOB]), "deadline": "not a date"},
            _item("no number", ["not a number"]),
            _item("bob", [BOB]),
        ],
        "scheduled": {"broken": {"send_at": "never"}, "also": None},
    }
    path = _outbox_path(hass, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "key": path.name, "data": data}), "utf-8")
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    with caplog.at_level(logging.DEBUG):
        await setup_entry(hass, entry)
    assert "malformed message of the outbox" in caplog.text
    assert sorted(entry.runtime_data.sending.outbox) == ["bob", "late", "no number"]
    await _later(hass, freezer, 1)
    # Its send time passed while it waited: it leaves now, not scheduled.
    assert sorted((m.text, m.status) for m in _sent(simulator, "netoxygen")) == [
        ("From bob", "queued"),
        ("From late", "queued"),
    ]
    failed = [e.data for e in events if e.data["status"] == "failed"]
    assert [e["recipient"] for e in failed] == ["not a number"]
    assert failed[0]["provider_status"].startswith("Never sent")
    assert _stored_outbox(hass, entry) == {"outbox": [], "scheduled": {}}


# --- the fallback account cannot help --------------------------------------------------------


async def test_fallback_not_loaded_the_message_waits(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The fallback account is unloaded: the message waits for this account, then leaves."""
    entry, fallback = await with_fallback(hass, simulator)
    assert await hass.config_entries.async_unload(fallback.entry_id)
    await _waiting(hass, entry, ALICE)
    assert "fallback account of" in caplog.text
    assert not _sent(simulator, "mobyt")
    _restore(entry, simulator, "netoxygen")
    await _later(hass, freezer, 31)
    assert _texts_by_provider(simulator) == {"netoxygen": ["Alarm"]}


async def test_fallback_that_cannot_take_the_message_the_message_waits(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Too long for the fallback's provider (Mobyt: 1000): it waits for this account."""
    entry, _fallback = await with_fallback(hass, simulator)
    _cut(entry)
    text = "x" * 1001
    response = await call_action(hass, entry, "send_sms", recipients=[ALICE], message=text)
    assert response is not None
    assert [(m["status"], m["sent_by"]) for m in response["messages"]] == [
        ("retrying", entry.entry_id)
    ]
    _restore(entry, simulator, "netoxygen")
    await _later(hass, freezer, 31)
    assert _texts_by_provider(simulator) == {"netoxygen": [text]}


async def test_fallback_with_credentials_refused_asks_to_reauthenticate(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
) -> None:
    """The fallback's password changed: it is asked to reauthenticate, the message waits."""
    entry, fallback = await with_fallback(hass, simulator)
    await control(
        session, simulator, "accounts", provider="mobyt", username="demo", password="changed"
    )
    await _waiting(hass, entry, ALICE)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(fallback.domain)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, fallback.entry_id)
    ]
    assert len(entry.runtime_data.sending.outbox) == 1
    assert not _sent(simulator, "mobyt")


async def test_known_empty_account_tried_after_all_when_its_fallback_is_down(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Credits 0, the fallback unreachable: this account is asked after all; its answer is said."""
    entry, fallback = await with_fallback(
        hass, simulator, username="empty", password="empty-password"
    )
    _cut(fallback)
    asked = len(simulator.requests("/netoxygen/"))
    err = await send_error(hass, entry, ALICE, message="Alarm")
    assert err.translation_key == "send_outcome_unknown"
    assert len(simulator.requests("/netoxygen/")) > asked
    assert not entry.runtime_data.sending.outbox
    assert not _sent(simulator, "mobyt")
