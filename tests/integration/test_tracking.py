"""Delivery tracking: polling each provider's status call, back-off, restarts, the 48 h bound."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch
import xmlrpc.client

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.gateways import (
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    MessageInfo,
    RecipientResult,
    SendResult,
)
from custom_components.sms_gateways.tracking import POLL_REQUESTS, DeliveryTracker
from tests.conftest import RunningSimulator

from .common import (
    call_action,
    control,
    entity_id_of,
    push_to_home_assistant,
    restart_entry,
    send_sms,
    setup_entry,
)
from .conftest import ALICE, BOB, make_entry

FAILING = "+33612340000"
"""The simulator fails the delivery to a number ending 0000."""
POLLED = ["netoxygen", "smsfactor", "mobyt"]
STATUS_PATHS = {
    "netoxygen": "/netoxygen/api2/",
    "smsfactor": "/smsfactor/API/getDr.php",
    "mobyt": "/mobyt/Mobyt/SMSSTATUS",
}


async def _send(
    hass: HomeAssistant, entry: MockConfigEntry, *recipients: str, **data: Any
) -> dict[str, Any]:
    response = await send_sms(hass, entry, *recipients, **data)
    await hass.async_block_till_done()
    return {m["recipient"]: m["message_id"] for m in response["messages"]}


async def _sent_by_mobyt(
    hass: HomeAssistant, simulator: RunningSimulator, *recipients: str
) -> tuple[MockConfigEntry, dict[str, Any]]:
    """The demo Mobyt account set up, and the ids of the "Alarm" it sent to ``recipients``."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    return entry, await _send(hass, entry, *recipients, message="Alarm")


async def _wait(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _status_calls(simulator: RunningSimulator, provider: str) -> list[dict[str, Any]]:
    """The status requests the simulator received (NetOxygen: its get_status calls)."""
    requests = simulator.requests(STATUS_PATHS[provider])
    if provider == "netoxygen":
        return [r for r in requests if xmlrpc.client.loads(r["body"])[1] == "get_status"]
    return requests


def _statuses(events: list[Event], message_id: str) -> list[str]:
    return [e.data["status"] for e in events if e.data["message_id"] == message_id]


def _sensor(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    state = hass.states.get(entity_id_of(hass, entry, "sensor", "last_delivery_status"))
    assert state is not None
    return state


@dataclass
class Tracking:
    """The set-up account of ``provider``, as these tests drive it: sends, time, status calls."""

    hass: HomeAssistant
    simulator: RunningSimulator
    session: aiohttp.ClientSession
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry
    provider: str

    @property
    def tracker(self) -> DeliveryTracker:
        """The entry's tracker of the messages it follows."""
        tracker: DeliveryTracker = self.entry.runtime_data.tracker
        return tracker

    async def send(self, *recipients: str, **data: Any) -> dict[str, Any]:
        """Send through the entry: each recipient's message id."""
        return await _send(self.hass, self.entry, *recipients, **data)

    async def wait(self, delta: timedelta) -> None:
        """Time moves on by ``delta``; the polls it makes due run to their end."""
        await _wait(self.hass, self.freezer, delta)

    async def advance(self, steps: int = 1) -> None:
        """The provider moves every message ``steps`` statuses along."""
        await control(self.session, self.simulator, "advance", steps=steps)

    def status_calls(self) -> list[dict[str, Any]]:
        """The status requests the provider received."""
        return _status_calls(self.simulator, self.provider)

    def sensor(self) -> Any:
        """The state of the entry's last delivery status sensor."""
        return _sensor(self.hass, self.entry)


@pytest.fixture
def tracking(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,  # set up after the clock is frozen
    provider: str,
) -> Tracking:
    """The demo account of ``provider`` set up, as the tests of its deliveries drive it."""
    return Tracking(hass, simulator, session, freezer, init_integration, provider)


@pytest.mark.parametrize("provider", POLLED)
async def test_delivery_followed_by_polling(
    tracking: Tracking, delivery_events: list[Event]
) -> None:
    """Queued, sent, then delivered (failed to a number ending 0000); then no more polls."""
    tracking.simulator.sim.requests.clear()  # SMSFactor's credential check asks getDr.php
    ids = await tracking.send(ALICE, FAILING, message="Alarm")
    assert tracking.sensor().state == "queued"
    assert tracking.status_calls() == []

    await tracking.advance()
    await tracking.wait(timedelta(minutes=1))
    await tracking.advance()
    await tracking.wait(timedelta(minutes=2))

    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "sent", "delivered"]
    assert _statuses(delivery_events, ids[FAILING]) == ["queued", "sent", "failed"]
    delivered = next(e.data for e in delivery_events if e.data["status"] == "delivered")
    assert delivered["recipient"] == ALICE
    assert delivered["provider"] == tracking.provider
    assert delivered["config_entry_id"] == tracking.entry.entry_id
    assert delivered["provider_status"]
    if tracking.provider != "smsfactor":  # getDr.php gives no delivery time
        assert dt_util.parse_datetime(delivered["delivered_at"]) is not None

    last = delivery_events[-1].data
    state = tracking.sensor()
    assert state.state == last["status"]
    assert state.attributes["message_id"] == last["message_id"]
    assert state.attributes["recipient"] == last["recipient"]
    assert state.attributes["provider_status"] == last["provider_status"]
    assert dt_util.parse_datetime(state.attributes["updated_at"]) == dt_util.utcnow()
    assert tracking.tracker.pending == {}

    calls = len(tracking.status_calls())
    await tracking.wait(timedelta(hours=1))
    assert len(tracking.status_calls()) == calls


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt"])
async def test_one_status_call_for_several_messages(tracking: Tracking) -> None:
    """Where the provider allows it, the due messages are asked about in one call."""
    await tracking.send(ALICE, FAILING, "+33612345678", message="Alarm")
    await tracking.wait(timedelta(minutes=1))
    calls = tracking.status_calls()
    assert len(calls) == 1
    if tracking.provider == "netoxygen":
        params: Any = xmlrpc.client.loads(calls[0]["body"])[0]
        assert len(params[2]) == 3


async def test_backoff(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A message that does not move is asked about after 1, 2, 5, 10, 20, then every 30 minutes."""
    await _sent_by_mobyt(hass, simulator, ALICE)
    checked_at: list[float] = []
    for step in range(1, 2 * 130 + 1):
        await _wait(hass, freezer, timedelta(seconds=30))
        if len(_status_calls(simulator, "mobyt")) > len(checked_at):
            checked_at.append(step / 2)
    assert checked_at == [1, 3, 8, 18, 38, 68, 98, 128]


async def test_provider_down_keeps_following(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    delivery_events: list[Event],
) -> None:
    """A failed status call is tried again later; refused credentials start reauth."""
    entry, ids = await _sent_by_mobyt(hass, simulator, ALICE)
    await control(session, simulator, "advance")
    simulator.fault(STATUS_PATHS["mobyt"], "http500")
    await _wait(hass, freezer, timedelta(minutes=1))
    assert _statuses(delivery_events, ids[ALICE]) == ["queued"]
    await _wait(hass, freezer, timedelta(minutes=2))
    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "sent"]

    simulator.sim.state.accounts[("mobyt", "demo")].password = "changed"
    await _wait(hass, freezer, timedelta(minutes=5))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    calls = len(_status_calls(simulator, "mobyt"))
    # Not asked again every 30 s with credentials known to be refused.
    await _wait(hass, freezer, timedelta(minutes=1))
    assert len(_status_calls(simulator, "mobyt")) == calls
    assert ids[ALICE] in entry.runtime_data.tracker.pending


@pytest.mark.parametrize("provider", POLLED)
async def test_restart_with_pending_deliveries(
    hass: HomeAssistant, tracking: Tracking, delivery_events: list[Event]
) -> None:
    """Messages still on their way are followed after a restart, and the sensor is restored."""
    ids = await tracking.send(ALICE, message="Alarm")
    # Restarted at once, before any delayed write could happen.
    await restart_entry(hass, tracking.entry)
    state = tracking.sensor()
    assert (state.state, state.attributes["message_id"]) == ("queued", ids[ALICE])
    assert list(tracking.tracker.pending) == [ids[ALICE]]

    await tracking.advance(steps=2)
    await tracking.wait(timedelta(minutes=1))
    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "delivered"]
    assert tracking.sensor().state == "delivered"

    await restart_entry(hass, tracking.entry)
    assert tracking.tracker.pending == {}
    state = tracking.sensor()
    assert (state.state, state.attributes["recipient"]) == ("delivered", ALICE)


async def test_followed_for_48_hours_at_most(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A message with no final status after 48 h is no longer asked about."""
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    ids = await _send(hass, entry, ALICE, message="Alarm")
    tracker: DeliveryTracker = entry.runtime_data.tracker
    await _wait(hass, freezer, timedelta(hours=47))
    assert ids[ALICE] in tracker.pending
    await _wait(hass, freezer, timedelta(hours=1, minutes=1))
    calls = len(_status_calls(simulator, "netoxygen"))
    await _wait(hass, freezer, timedelta(hours=1))
    assert tracker.pending == {}
    assert len(_status_calls(simulator, "netoxygen")) == calls


@pytest.mark.parametrize("provider", POLLED)
async def test_scheduled_message(tracking: Tracking, delivery_events: list[Event]) -> None:
    """A scheduled message shows ``scheduled`` and is not asked about before its time."""
    tracking.simulator.sim.requests.clear()
    send_at = dt_util.now() + timedelta(hours=2)
    ids = await tracking.send(ALICE, message="Later", send_at=send_at.isoformat())
    assert _statuses(delivery_events, ids[ALICE]) == ["scheduled"]
    assert tracking.sensor().state == "scheduled"
    await tracking.wait(timedelta(hours=2))
    assert tracking.status_calls() == []
    await tracking.wait(timedelta(minutes=1))
    assert len(tracking.status_calls()) == 1


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
async def test_cancelled_message(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    provider: str,
    delivery_events: list[Event],
) -> None:
    """A cancelled message shows ``canceled`` and is no longer followed."""
    send_at = dt_util.now() + timedelta(hours=2)
    ids = await _send(hass, init_integration, ALICE, message="Later", send_at=send_at.isoformat())
    await call_action(hass, init_integration, "cancel_sms", message_id=ids[ALICE])
    await hass.async_block_till_done()
    assert _statuses(delivery_events, ids[ALICE]) == ["scheduled", "canceled"]
    state = _sensor(hass, init_integration)
    assert (state.state, state.attributes["recipient"]) == ("canceled", ALICE)
    assert init_integration.runtime_data.tracker.pending == {}


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_cancelling_one_mobyt_message_cancels_its_order(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    delivery_events: list[Event],
) -> None:
    """Mobyt cancels the whole order: every message of that send shows ``canceled``."""
    send_at = dt_util.now() + timedelta(hours=2)
    ids = await _send(
        hass, init_integration, ALICE, FAILING, message="Later", send_at=send_at.isoformat()
    )
    await call_action(hass, init_integration, "cancel_sms", message_id=ids[ALICE])
    await hass.async_block_till_done()
    assert _statuses(delivery_events, ids[ALICE]) == ["scheduled", "canceled"]
    assert _statuses(delivery_events, ids[FAILING]) == ["scheduled", "canceled"]
    assert init_integration.runtime_data.tracker.pending == {}


@pytest.mark.parametrize("provider", ["sms123"])
async def test_without_status_call(tracking: Tracking, delivery_events: list[Event]) -> None:
    """123-SMS has no status call: 80 says sent, and nothing is followed or polled after it."""
    ids = await tracking.send(ALICE, message="Alarm")
    state = tracking.sensor()
    assert (state.state, state.attributes["message_id"]) == ("sent", ids[ALICE])
    assert [event.data["status"] for event in delivery_events] == ["sent"]
    # The id is short and says nothing of the text (which stays in our own store).
    assert len(ids[ALICE]) <= 20
    assert "Alarm" not in str(state.attributes)
    assert tracking.tracker.pending == {}
    await tracking.wait(timedelta(minutes=5))
    assert tracking.sensor().state == "sent"


@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_sensor_before_anything_was_sent(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Until a message is sent the sensor is unknown, its attributes empty."""
    state = _sensor(hass, init_integration)
    assert state.state == STATE_UNKNOWN
    assert {key: state.attributes[key] for key in ("message_id", "recipient")} == {
        "message_id": None,
        "recipient": None,
    }
    assert state.attributes["options"] == [status.value for status in DeliveryStatus]


@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_status_action_moves_the_sensor(
    hass: HomeAssistant, tracking: Tracking, delivery_events: list[Event]
) -> None:
    """What get_delivery_status learns also moves the sensor, once."""
    ids = await tracking.send(ALICE, message="Alarm")
    await tracking.advance(steps=2)
    for _ in range(2):
        await hass.services.async_call(
            DOMAIN,
            "get_delivery_status",
            {ATTR_CONFIG_ENTRY_ID: tracking.entry.entry_id, "message_ids": [ids[ALICE]]},
            blocking=True,
            return_response=True,
        )
    await hass.async_block_till_done()
    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "delivered"]
    assert tracking.sensor().state == "delivered"
    assert tracking.tracker.pending == {}


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_report_of_an_unknown_message(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    delivery_events: list[Event],
) -> None:
    """A report for a message we never sent (or no longer follow) fires nothing, shows nothing.

    Forged pushes are the reason: a status for a message never sent must not fire an event,
    move the sensor, or take room in the duplicate memory.
    """
    tracker: DeliveryTracker = init_integration.runtime_data.tracker
    before = _sensor(hass, init_integration).state
    report = DeliveryReport(
        message_id="X:+33612345678",
        status=DeliveryStatus.SENT,
        provider_status="WAIT4DLVR",
        recipient="+33612345678",
    )
    assert tracker.async_apply_report(report) is False
    assert tracker.async_apply_report(report, pushed=True) is False
    await hass.async_block_till_done()
    assert delivery_events == []
    assert _sensor(hass, init_integration).state == before
    assert tracker.pending == {}


def _write_stored(path: str, document: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document), encoding="utf-8")


async def test_stored_state_that_cannot_be_read(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A damaged store loses only what is damaged: the set-up goes on."""
    entry = make_entry(simulator, "netoxygen")
    good = {
        "message_id": "42",
        "recipient": ALICE,
        "status": "sent",
        "provider_status": "1/3",
        "updated_at": "2024-01-15T08:00:00+00:00",
        "delivered_at": None,
        "sent_at": "2999-01-15T08:00:00+00:00",
        "next_check": "2999-01-15T08:01:00+00:00",
        "checks": 1,
    }
    stored = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.deliveries",
        "data": {
            "pending": [good, {"message_id": "43", "status": "nonsense"}],
            "last": {"message_id": "42"},
            "seen": [["42||1/3", 9_999_999_999.0]],
            "push_seen_at": "not a date",
        },
    }
    await hass.async_add_executor_job(
        _write_stored, hass.config.path(".storage", stored["key"]), stored
    )
    await setup_entry(hass, entry)
    tracker: DeliveryTracker = entry.runtime_data.tracker
    assert list(tracker.pending) == ["42"]
    assert tracker.last is None
    assert _sensor(hass, entry).state == STATE_UNKNOWN


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_pushed_reports_slow_polling_down(
    hass: HomeAssistant, tracking: Tracking, hass_client_no_auth: Any, delivery_events: list[Event]
) -> None:
    """Once Mobyt pushes reports, polling only checks every 30 minutes that none was missed."""
    await push_to_home_assistant(tracking.simulator, tracking.entry, hass_client_no_auth)
    ids = await tracking.send(ALICE, message="Alarm")
    await tracking.advance()  # pushed: sent
    await hass.async_block_till_done()
    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "sent"]

    await tracking.wait(timedelta(minutes=1))
    assert len(tracking.status_calls()) == 1
    await tracking.wait(timedelta(minutes=29))
    assert len(tracking.status_calls()) == 1
    await tracking.wait(timedelta(minutes=1))
    assert len(tracking.status_calls()) == 2


@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_same_status_again_changes_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    delivery_events: list[Event],
) -> None:
    """A followed message reported again in the same status (told differently) fires nothing."""
    ids = await _send(hass, init_integration, ALICE, message="Alarm")
    tracker: DeliveryTracker = init_integration.runtime_data.tracker
    sent = DeliveryReport(
        message_id=ids[ALICE],
        status=DeliveryStatus.SENT,
        provider_status="1/3 Message submitted",
        recipient=ALICE,
    )
    assert tracker.async_apply_report(sent) is True
    assert tracker.async_apply_report(replace(sent, recipient=None)) is False
    await hass.async_block_till_done()
    assert _statuses(delivery_events, ids[ALICE]) == ["queued", "sent"]
    assert tracker.pending[ids[ALICE]].update.recipient == ALICE


async def test_unknown_does_not_replace_a_known_status(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A poll that says "not found" keeps what was known; the sensor does not go back."""
    ids = await _send(hass, init_integration, ALICE, message="Alarm")
    tracker: DeliveryTracker = init_integration.runtime_data.tracker
    sent = DeliveryReport(
        message_id=ids[ALICE], status=DeliveryStatus.SENT, provider_status="3", recipient=ALICE
    )
    assert tracker.async_apply_report(sent) is True
    lost = replace(sent, status=DeliveryStatus.UNKNOWN, provider_status="not found")
    assert tracker.async_apply_report(lost) is False
    await hass.async_block_till_done()
    assert _sensor(hass, init_integration).state == "sent"
    assert tracker.pending[ids[ALICE]].update.status is DeliveryStatus.SENT


@pytest.mark.parametrize("provider", ["sms123"])
async def test_test_mode_sends_nothing_to_follow(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    delivery_events: list[Event],
) -> None:
    """A 123-SMS test send has no message id: nothing to follow, the sensor does not move."""
    ids = await _send(hass, init_integration, ALICE, message="Alarm", test=True)
    assert ids == {ALICE: None}
    assert delivery_events == []
    assert _sensor(hass, init_integration).state == STATE_UNKNOWN


def _messages(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


async def test_unavailable_logged_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A provider down for many polls: one warning, and one info once it answers again."""
    await _sent_by_mobyt(hass, simulator, ALICE)
    simulator.fault(STATUS_PATHS["mobyt"], "http500", count=100)
    for minutes in (1, 2, 5, 10):
        await _wait(hass, freezer, timedelta(minutes=minutes))
    assert len(_status_calls(simulator, "mobyt")) == 4
    down = _messages(caplog, "is not answering")
    assert [r.levelno for r in down] == [logging.WARNING]
    assert "delivery status" in down[0].getMessage()

    simulator.sim.faults.clear()
    await _wait(hass, freezer, timedelta(minutes=20))
    await _wait(hass, freezer, timedelta(minutes=30))
    assert [r.levelno for r in _messages(caplog, "is answering again")] == [logging.INFO]
    assert len(_messages(caplog, "is not answering")) == 1


async def test_unexpected_error_of_a_poll_backs_off(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error the adapter should not raise stops nothing and is not asked again every 30 s."""
    entry, ids = await _sent_by_mobyt(hass, simulator, ALICE)
    tracker: DeliveryTracker = entry.runtime_data.tracker
    with patch.object(
        tracker.gateway, "get_delivery_status", side_effect=ValueError("int() of '²'")
    ) as poll:
        for _ in range(2 * 8):  # 8 minutes of 30 s ticks: checks at 1 and 3, then 8 min
            await _wait(hass, freezer, timedelta(seconds=30))
    assert poll.call_count == 3
    assert tracker.pending[ids[ALICE]].checks == 3
    assert len(_messages(caplog, "is not answering")) == 1
    # The traceback is for debugging only: above debug, no word of what the provider sent.
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "²" in r.getMessage()]


async def test_one_report_that_cannot_be_applied(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    delivery_events: list[Event],
) -> None:
    """A report that fails for one message never stops the others of the same poll."""
    entry, ids = await _sent_by_mobyt(hass, simulator, ALICE, BOB)
    tracker: DeliveryTracker = entry.runtime_data.tracker
    apply = tracker.async_apply_report

    def failing_for_alice(report: DeliveryReport, *, pushed: bool = False) -> bool:
        if report.message_id == ids[ALICE]:
            raise OverflowError("date value out of range")
        return apply(report, pushed=pushed)

    await control(session, simulator, "advance")
    with patch.object(tracker, "async_apply_report", side_effect=failing_for_alice):
        await _wait(hass, freezer, timedelta(minutes=1))
        await control(session, simulator, "advance")
        await _wait(hass, freezer, timedelta(minutes=2))
    assert _statuses(delivery_events, ids[BOB]) == ["queued", "sent", "delivered"]
    assert _statuses(delivery_events, ids[ALICE]) == ["queued"]
    skipped = _messages(caplog, "could not be applied")
    assert len(skipped) == 1
    # Named, its number masked (Mobyt's id holds it).
    assert ids[ALICE].split(":")[0] in skipped[0].getMessage()
    assert ALICE not in skipped[0].getMessage()


def _pending_id(provider: str, index: int) -> str:
    if provider == "smsfactor":
        return f"{1_000_000 + index}:ref{index}"
    if provider == "mobyt":
        return f"order{index // 2}:+3361200{index:04d}"  # two messages per order
    return str(5_000_000 + index)


@pytest.mark.parametrize(
    ("provider", "asked"),
    [
        ("smsfactor", [20, 20, 5]),  # one request per message
        ("mobyt", [39, 6]),  # one request per order of two (the oldest order has one)
        ("netoxygen", [45]),  # one request for all
    ],
)
async def test_one_poll_makes_at_most_poll_requests(
    hass: HomeAssistant, init_integration: MockConfigEntry, provider: str, asked: list[int]
) -> None:
    """One poll makes at most POLL_REQUESTS requests, oldest due first.

    Thousands of due messages never make thousands of requests at once: the others stay due
    and go at the next ticks.
    """
    tracker: DeliveryTracker = init_integration.runtime_data.tracker
    info = MessageInfo(encoding=Encoding.GSM7, characters=5, length=5, segments=1)
    ids = [_pending_id(provider, index) for index in range(45)]
    tracker.async_track_send(
        SendResult(
            messages=tuple(
                RecipientResult(
                    recipient=f"+3361200{index:04d}",
                    accepted=True,
                    message_id=message_id,
                    status=DeliveryStatus.QUEUED,
                )
                for index, message_id in enumerate(ids)
            ),
            info=info,
        )
    )
    now = dt_util.utcnow()
    for index, message_id in enumerate(ids):  # the last one sent is the longest due
        object.__setattr__(
            tracker.pending[message_id], "next_check", now - timedelta(seconds=index)
        )
    polls: list[list[str]] = []

    async def status(message_ids: list[str]) -> list[DeliveryReport]:
        polls.append(list(message_ids))
        return []

    with patch.object(tracker.gateway, "get_delivery_status", status):
        for _ in asked:
            await tracker.async_poll()
    assert POLL_REQUESTS == 20
    assert [len(poll) for poll in polls] == asked
    assert polls[0][0] == ids[-1]
    assert sorted(message_id for poll in polls for message_id in poll) == sorted(ids)
    if provider == "mobyt":
        assert len({message_id.partition(":")[0] for message_id in polls[0]}) == POLL_REQUESTS


def _read_stored(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return data


async def test_a_send_is_on_disk_when_the_action_returns(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The messages to follow are written before send_sms answers: a crash then loses none."""
    response: Any = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {ATTR_CONFIG_ENTRY_ID: init_integration.entry_id, "recipients": [ALICE], "message": "x"},
        blocking=True,
        return_response=True,
    )
    path = hass.config.path(".storage", f"{DOMAIN}.{init_integration.entry_id}.deliveries")
    stored = await hass.async_add_executor_job(_read_stored, path)
    assert [m["message_id"] for m in stored["pending"]] == [
        m["message_id"] for m in response["messages"]
    ]
    tracker: DeliveryTracker = init_integration.runtime_data.tracker
    writes = tracker._store.writes
    await tracker.async_poll()  # nothing due: an idle tick writes nothing
    await hass.async_block_till_done()
    assert tracker._store.writes == writes
