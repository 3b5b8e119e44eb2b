"""Received SMS: Mobyt polling from the last id seen, restarts, and polling off while pushed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
import json
import logging
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sms_gateways.const import (
    CONF_INBOUND_SCAN_INTERVAL,
    EVENT_INBOUND_SMS,
)
from custom_components.sms_gateways.gateways import InboundSms
from custom_components.sms_gateways.inbound import InboundReceiver
from custom_components.sms_gateways.storage import WriteError
from tests.conftest import RunningSimulator

from .common import (
    MOBYT_NUMBER,
    MOBYT_POLL_PATH,
    MOBYT_SENDER,
    ClientFactory,
    entity_id_of,
    inbound_store_path,
    mobyt_receives,
    mobyt_sms_form,
    next_poll,
    polled_ids,
    post_push,
    push_to_home_assistant,
    restart_entry,
    setup_entry,
    write_inbound_store,
)
from .conftest import make_entry

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2024, 1, 15, 12, 0, tzinfo=PARIS)


@pytest.fixture
def receiver(init_integration: MockConfigEntry) -> InboundReceiver:
    """The set-up entry's receiver of SMS."""
    receiver: InboundReceiver = init_integration.runtime_data.inbound
    return receiver


def _received(
    message: str, message_id: str | None = None, received_at: datetime = NOON
) -> InboundSms:
    """An SMS from Mobyt's demo sender to the account's number, as an adapter reads it."""
    return InboundSms(
        sender=MOBYT_SENDER,
        recipient=MOBYT_NUMBER,
        message=message,
        received_at=received_at,
        message_id=message_id,
    )


@dataclass
class MobytInbox:
    """The demo Mobyt account, set up with the clock frozen: what it receives, polls, fires."""

    hass: HomeAssistant
    simulator: RunningSimulator
    session: aiohttp.ClientSession
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry
    events: list[Event]

    async def receives(self, text: str) -> int:
        """Mobyt receives ``text`` for the account (pushed where a webhook is set): its id."""
        return await mobyt_receives(self.session, self.simulator, text)

    async def next_poll(self, minutes: float = 1) -> None:
        """Time moves on by ``minutes``; the poll it makes due runs to its end."""
        await next_poll(self.hass, self.freezer, minutes)

    def polled(self) -> list[str]:
        """The id each poll asked Mobyt for, in order."""
        return polled_ids(self.simulator)

    def fired(self) -> list[str]:
        """The text of each received SMS fired, in order."""
        return [event.data["message"] for event in self.events]


@pytest.fixture
def mobyt(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    inbound_events: list[Event],
    mobyt_entry: MockConfigEntry,  # set up after the clock is frozen
) -> MobytInbox:
    """The demo Mobyt account set up, as the tests of its received SMS drive it."""
    return MobytInbox(hass, simulator, session, freezer, mobyt_entry, inbound_events)


async def test_first_poll_learns_then_new_messages_fire(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Messages from before the set-up are not fired; each one after it fires once, in order."""
    old = await mobyt_receives(session, simulator, "Before the set-up")
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    assert events == []
    assert polled_ids(simulator) == ["0"]

    # Received before the first interval has passed: not taken for an old message.
    first = await mobyt_receives(
        session, simulator, "Alarme cave", received_at="2024-01-15T08:30:00+01:00"
    )
    second = await mobyt_receives(
        session, simulator, "stop", received_at="2024-07-15T21:05:09+02:00", keyword=None
    )
    await next_poll(hass, freezer)
    assert [e.data for e in events] == [
        {
            "config_entry_id": entry.entry_id,
            "provider": "mobyt",
            "message_id": str(first),
            "sender": MOBYT_SENDER,
            "recipient": MOBYT_NUMBER,
            "message": "Alarme cave",
            "received_at": "2024-01-15T08:30:00+01:00",
            "keyword": "ALARME",
            "contact": None,
            "trusted": False,
        },
        {
            "config_entry_id": entry.entry_id,
            "provider": "mobyt",
            "message_id": str(second),
            "sender": MOBYT_SENDER,
            "recipient": MOBYT_NUMBER,
            "message": "stop",
            "received_at": "2024-07-15T21:05:09+02:00",
            "keyword": None,
            "contact": None,
            "trusted": False,
        },
    ]
    state = hass.states.get(entity_id_of(hass, entry, "event", "inbound_sms"))
    assert state is not None
    assert (state.attributes["event_type"], state.attributes["message"]) == ("received", "stop")

    await next_poll(hass, freezer)
    assert len(events) == 2
    assert polled_ids(simulator) == ["0", str(old), str(second)]


async def test_poll_interval_from_the_options(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The options set how often Mobyt is asked."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, make_entry(simulator, "mobyt", options={CONF_INBOUND_SCAN_INTERVAL: 5}))
    await mobyt_receives(session, simulator, "Hello")
    await next_poll(hass, freezer, minutes=4)
    assert (len(polled_ids(simulator)), events) == (1, [])
    await next_poll(hass, freezer, minutes=1)
    assert len(polled_ids(simulator)) == 2
    assert [e.data["message"] for e in events] == ["Hello"]


async def test_restart_fires_unseen_messages_once(hass: HomeAssistant, mobyt: MobytInbox) -> None:
    """What arrived while Home Assistant was down fires after the restart; nothing fires twice."""
    await mobyt.receives("one")
    await mobyt.next_poll()
    # Restarted right after the poll, before any delayed write could happen.
    await restart_entry(hass, mobyt.entry)
    await mobyt.next_poll()
    assert mobyt.fired() == ["one"]

    assert await hass.config_entries.async_unload(mobyt.entry.entry_id)
    await hass.async_block_till_done()
    await mobyt.receives("two")
    await mobyt.receives("three")
    assert await hass.config_entries.async_setup(mobyt.entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Fired at start-up, not one poll interval later.
    assert mobyt.fired() == ["one", "two", "three"]
    await mobyt.next_poll()
    assert mobyt.fired() == ["one", "two", "three"]

    await restart_entry(hass, mobyt.entry)
    await mobyt.next_poll()
    await mobyt.next_poll()
    assert mobyt.fired() == ["one", "two", "three"]


async def test_polling_off_while_pushed(
    hass: HomeAssistant, mobyt: MobytInbox, hass_client_no_auth: ClientFactory
) -> None:
    """A push means the webhook is in use: no polling for a week, then from the last pushed id."""
    await push_to_home_assistant(mobyt.simulator, mobyt.entry, hass_client_no_auth)
    learned = mobyt.entry.runtime_data.inbound.last_id
    await mobyt.receives("pushed")
    assert mobyt.fired() == ["pushed"]
    polls = len(mobyt.polled())

    await mobyt.next_poll()
    await mobyt.next_poll(minutes=60 * 24)
    assert len(mobyt.polled()) == polls

    # The webhook stops working: after a week without a push, polling takes over from the last
    # polled id; the pushed message (long forgotten by then) is returned again, and is known by
    # its id, which the provider now proves real: it does not fire again.
    del mobyt.simulator.sim.webhooks["mobyt"]
    missed = await mobyt.receives("missed")
    await mobyt.next_poll(minutes=60 * 24 * 7)
    await hass.async_block_till_done()
    assert mobyt.fired() == ["pushed", "missed"]
    assert mobyt.polled()[-1] == str(learned)
    await mobyt.next_poll()
    assert mobyt.polled()[-1] == str(missed)
    assert mobyt.fired() == ["pushed", "missed"]


async def test_a_forged_pushed_id_never_moves_the_polling(
    hass: HomeAssistant, mobyt: MobytInbox, hass_client_no_auth: ClientFactory
) -> None:
    """A push of id 999999999999999999 from whoever holds the webhook address: real SMS fire."""
    inbound: InboundReceiver = mobyt.entry.runtime_data.inbound
    learned = inbound.last_id
    forged = mobyt_sms_form("forged", sms_id="999999999999999999")
    assert (await post_push(await hass_client_no_auth(), mobyt.entry, forged))[0] == 200
    assert inbound.last_id == learned
    await restart_entry(hass, mobyt.entry)  # what is stored does not move it either
    inbound = mobyt.entry.runtime_data.inbound
    assert inbound.last_id == learned

    # The forged push turned polling off for a week; then real messages fire, none is lost.
    real = await mobyt.receives("real")
    await mobyt.next_poll(minutes=60 * 24 * 7 + 1)
    await hass.async_block_till_done()
    assert mobyt.fired() == ["forged", "real"]
    assert mobyt.polled()[-1] == str(learned)
    later = await mobyt.receives("later")
    await mobyt.next_poll()
    assert mobyt.fired() == ["forged", "real", "later"]
    assert mobyt.polled()[-1] == str(real)
    assert inbound.last_id == later


async def test_poll_failures(hass: HomeAssistant, mobyt: MobytInbox) -> None:
    """A failed poll loses nothing: the next one fetches it; refused credentials start reauth."""
    await mobyt.receives("kept")
    mobyt.simulator.fault(MOBYT_POLL_PATH, "http500")
    await mobyt.next_poll()
    assert mobyt.fired() == []
    await mobyt.next_poll()
    assert mobyt.fired() == ["kept"]

    mobyt.simulator.sim.state.accounts[("mobyt", "demo")].password = "changed"
    await mobyt.next_poll()
    flows = hass.config_entries.flow.async_progress_by_handler("sms_gateways")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mobyt.entry.entry_id


async def test_first_poll_failing_learns_later(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """If the first poll fails, the next one learns where the history ends (and fires nothing)."""
    await mobyt_receives(session, simulator, "old")
    simulator.fault(MOBYT_POLL_PATH, "http500")
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, make_entry(simulator, "mobyt"))
    await next_poll(hass, freezer)
    assert events == []
    await mobyt_receives(session, simulator, "new")
    await next_poll(hass, freezer)
    assert [e.data["message"] for e in events] == ["new"]


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_pushed_only_providers_are_not_polled(receiver: InboundReceiver) -> None:
    """SMSFactor only pushes: nothing is polled, and a message without id moves no last id."""
    assert receiver.polls is False
    assert await receiver.async_poll() == 0
    sms = _received("hi")
    assert await receiver.async_receive([sms], pushed=True) == 1
    assert receiver.last_id is None


async def test_poll_while_polling_does_nothing(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Two polls never run at once (a slow provider and the next tick)."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    inbound: InboundReceiver = entry.runtime_data.inbound
    simulator.fault(MOBYT_POLL_PATH, "delay", seconds=0.2)
    first = hass.async_create_task(inbound.async_poll(), eager_start=True)
    assert await inbound.async_poll() == 0
    assert await first == 0
    assert len(polled_ids(simulator)) == 2  # the learning poll, then the slow one


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


async def test_unavailable_logged_once(mobyt: MobytInbox, caplog: pytest.LogCaptureFixture) -> None:
    """Polls failing for a while: one warning, one info when back, and nothing is lost."""
    await mobyt.receives("kept")
    mobyt.simulator.fault(MOBYT_POLL_PATH, "drop_before", count=100)
    for _ in range(4):
        await mobyt.next_poll()
    down = _logged(caplog, "is not answering")
    assert [r.levelno for r in down] == [logging.WARNING]
    assert "received SMS" in down[0].getMessage()
    mobyt.simulator.sim.faults.clear()
    await mobyt.next_poll()
    await mobyt.next_poll()
    assert [r.levelno for r in _logged(caplog, "is answering again")] == [logging.INFO]
    assert mobyt.fired() == ["kept"]


async def test_unexpected_error_of_a_poll(
    mobyt: MobytInbox, caplog: pytest.LogCaptureFixture
) -> None:
    """An error the adapter should not raise is logged once and stops nothing."""
    inbound: InboundReceiver = mobyt.entry.runtime_data.inbound
    with patch.object(inbound.gateway, "poll_inbound", side_effect=RecursionError) as poll:
        await mobyt.next_poll()
        await mobyt.next_poll()
    assert poll.call_count == 2
    assert len(_logged(caplog, "is not answering")) == 1
    await mobyt.next_poll()
    assert len(_logged(caplog, "is answering again")) == 1


@pytest.mark.parametrize(
    "odd_id",
    ["²", "3²", "٣", "9" * 5000, "-4", " 5"],
    ids=["sup", "3sup", "arabic", "long", "neg", "sp"],
)
async def test_ids_that_are_not_ascii_numbers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    odd_id: str,
    inbound_events: list[Event],
    mobyt_entry: MockConfigEntry,
) -> None:
    """An id of Unicode digits (or too many) fires like any message; a push never moves last_id."""
    inbound: InboundReceiver = mobyt_entry.runtime_data.inbound
    when = datetime(2024, 1, 15, 8, 30, tzinfo=PARIS)
    messages = [_received("odd", odd_id, when), _received("fine", "41", when)]
    before = inbound.last_id or 0
    assert await inbound.async_receive(messages, pushed=True) == 2
    await hass.async_block_till_done()
    assert [e.data["message"] for e in inbound_events] == ["odd", "fine"]
    assert inbound.last_id == before  # a pushed id never moves where polling resumes


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_fired_only_once_on_disk(
    hass: HomeAssistant, init_integration: MockConfigEntry, receiver: InboundReceiver
) -> None:
    """A message fires after the write that holds its key; a failed write fires nothing."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    sms = _received("on disk first")
    with (
        patch(
            "custom_components.sms_gateways.storage.write_utf8_file",
            side_effect=WriteError("disk full"),
        ),
        pytest.raises(WriteError),
    ):
        await receiver.async_receive([sms], pushed=True)
    await hass.async_block_till_done()
    assert events == []
    # The provider pushes again: now it is written, then fired, once.
    receiving = hass.async_create_task(receiver.async_receive([sms], pushed=True))
    await asyncio.sleep(0)
    assert events == []  # not before the write
    assert await receiving == 1
    assert await receiver.async_receive([sms], pushed=True) == 0
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["on disk first"]
    stored = await _stored(hass, init_integration)
    assert sms.dedup_key in stored["seen"]


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_a_full_memory_forgets_the_oldest_instead_of_refusing(
    receiver: InboundReceiver,
) -> None:
    """Past the bound the oldest message is forgotten: a new one still fires, and only once."""
    receiver._seen._max_keys = 2
    messages = [_received(f"flood {n}") for n in range(3)]
    assert await receiver.async_receive(messages[:2], pushed=True) == 2
    assert await receiver.async_receive(messages[2:], pushed=True) == 1
    assert await receiver.async_receive(messages[1:], pushed=True) == 0


async def _stored(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    path = inbound_store_path(hass, entry)
    text = await hass.async_add_executor_job(path.read_text)
    data: dict[str, Any] = json.loads(text)["data"]
    return data


# --- at least once: recorded as received, fired, recorded as fired -----------------------------

_KILLED = _received("the door is open")
KILLED_RECORD = {
    "message_id": None,
    "sender": MOBYT_SENDER,
    "recipient": MOBYT_NUMBER,
    "message": _KILLED.message,
    "received_at": _KILLED.received_at.isoformat(),
    "keyword": None,
}
"""``_KILLED`` as the inbound file keeps it until it has fired."""


def _left_by_a_kill(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The inbound file as a kill between recording the push and firing it leaves it."""
    key = _KILLED.dedup_key
    data = {
        "seen": {key: dt_util.utcnow().timestamp() + 3600},
        "last_id": None,
        "push_seen_at": dt_util.utcnow().isoformat(),
        "unfired": {key: KILLED_RECORD},
    }
    write_inbound_store(hass, entry, data)


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_recorded_as_received_before_it_fires_then_as_fired(
    hass: HomeAssistant, init_integration: MockConfigEntry, receiver: InboundReceiver
) -> None:
    """When the event fires, the disk holds the message as received; then as fired."""
    path = inbound_store_path(hass, init_integration)
    on_disk_when_fired: list[dict[str, Any]] = []

    @callback
    def _read(_event: Event) -> None:
        on_disk_when_fired.append(json.loads(path.read_text("utf-8"))["data"]["unfired"])

    hass.bus.async_listen(EVENT_INBOUND_SMS, _read)
    assert await receiver.async_receive([_KILLED], pushed=True) == 1
    await receiver.async_flush()
    assert [list(unfired) for unfired in on_disk_when_fired] == [[_KILLED.dedup_key]]
    assert (await _stored(hass, init_integration))["unfired"] == {}


async def test_a_push_not_known_to_have_fired_fires_again_at_start(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Killed between recording and firing: the next start fires it, marked redelivered, once."""
    entry = make_entry(simulator, "smsfactor")
    _left_by_a_kill(hass, entry)
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert [(e.data["message"], e.data["redelivered"]) for e in events] == [
        ("the door is open", True)
    ]
    state = hass.states.get(entity_id_of(hass, entry, "event", "inbound_sms"))
    assert state is not None
    assert state.attributes["redelivered"] is True
    await entry.runtime_data.inbound.async_flush()
    assert (await _stored(hass, entry))["unfired"] == {}
    # Fired once: neither the next start nor the provider's retry fires it again.
    await restart_entry(hass, entry)
    assert await entry.runtime_data.inbound.async_receive([_KILLED], pushed=True) == 0
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_the_provider_retry_fires_it_again_before_the_start_does(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Pushed again while Home Assistant still starts: the retry fires it, and only the retry."""
    entry = make_entry(simulator, "smsfactor")
    _left_by_a_kill(hass, entry)
    hass.set_state(CoreState.starting)
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await setup_entry(hass, entry)
    assert events == []  # the start-up firing waits for the automations
    inbound: InboundReceiver = entry.runtime_data.inbound
    copies = await asyncio.gather(
        inbound.async_receive([_KILLED], pushed=True),
        inbound.async_receive([_KILLED], pushed=True),
    )
    assert sorted(copies) == [0, 1]
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [(e.data["message"], e.data["redelivered"]) for e in events] == [
        ("the door is open", True)
    ]


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_a_new_push_carries_no_redelivered(
    hass: HomeAssistant, init_integration: MockConfigEntry, receiver: InboundReceiver
) -> None:
    """Only a message fired again carries ``redelivered``; a stopped receiver writes nothing."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    assert await receiver.async_receive([_KILLED], pushed=True) == 1
    await hass.async_block_till_done()
    assert [("redelivered" in e.data) for e in events] == [False]
    await receiver.async_stop()
    late = _received("late")
    with pytest.raises(WriteError):
        await receiver.async_receive([late], pushed=True)
    assert late.dedup_key not in (await _stored(hass, init_integration))["seen"]
    assert len(events) == 1
