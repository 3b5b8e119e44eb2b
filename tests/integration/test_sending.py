"""The send path: preview, cancel by batch, gathered notify calls, outbox, fallback account."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.const import (
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_KEEP_TRYING,
    EVENT_DELIVERY_STATUS,
)
from custom_components.sms_gateways.outbox import OUTBOX_STORE
from custom_components.sms_gateways.storage import WriteError, entry_store_key
from tests.conftest import RunningSimulator

from .common import (
    action_error,
    call_action,
    entity_id_of,
    flow_sources,
    notify_entities,
    restart_entry,
    send_error,
    send_sms,
    setup_entry,
    with_fallback,
)
from .conftest import ALICE, BOB, REFUSED, make_entry

CLOSED = "http://127.0.0.1:9/"
"""Nothing listens on the discard port: every connection is refused, nothing is sent."""


async def _schedule_later(
    hass: HomeAssistant, entry: MockConfigEntry, send_at: datetime
) -> dict[str, Any]:
    """A send to Alice and Bob scheduled for ``send_at``: its response."""
    response = await send_sms(hass, entry, ALICE, BOB, message="Later", send_at=send_at.isoformat())
    return dict(response)


def _sent(simulator: RunningSimulator, provider: str) -> list[Any]:
    return [m for m in simulator.sim.state.messages.values() if m.provider == provider]


def _texts_by_provider(simulator: RunningSimulator) -> dict[str, list[str]]:
    """The texts each provider has, by provider (one that has none is left out)."""
    texts: dict[str, list[str]] = {}
    for message in simulator.sim.state.messages.values():
        texts.setdefault(message.provider, []).append(message.text)
    return texts


def _cut(*entries: MockConfigEntry) -> None:
    """These accounts' providers refuse connections from now on."""
    for entry in entries:
        entry.runtime_data.gateway._api_url = CLOSED


def _restore(entry: MockConfigEntry, simulator: RunningSimulator, provider: str) -> None:
    """The account's provider accepts connections again."""
    entry.runtime_data.gateway._api_url = simulator.api_url(provider)


def _outbox_path(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    return Path(hass.config.path(".storage", entry_store_key(entry.entry_id, OUTBOX_STORE)))


def _stored_outbox(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The outbox as it is on disk now."""
    data: dict[str, Any] = json.loads(_outbox_path(hass, entry).read_text("utf-8"))["data"]
    return data


def _put_outbox(hass: HomeAssistant, entry: MockConfigEntry, items: list[dict[str, Any]]) -> None:
    """An outbox on disk, as a previous run left it."""
    path = _outbox_path(hass, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = entry_store_key(entry.entry_id, OUTBOX_STORE)
    path.write_text(json.dumps({"version": 1, "key": key, "data": {"outbox": items}}), "utf-8")


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _sent_long_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: RunningSimulator,
    provider: str = "netoxygen",
) -> list[Any]:
    """What ``provider`` has ten minutes on, every retry due meanwhile made; callers count it."""
    await _later(hass, freezer, 600)
    return _sent(simulator, provider)


async def _alarm_unreachable(
    hass: HomeAssistant, simulator: RunningSimulator, options: dict[str, Any]
) -> tuple[MockConfigEntry, list[Event]]:
    """A new NetOxygen account, its provider unreachable, sends "Alarm" to Alice; its events."""
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen", options=options))
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    _cut(entry)
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
    return entry, events


@pytest.fixture
def unreachable(init_integration: MockConfigEntry) -> MockConfigEntry:
    """The account, its provider refusing connections."""
    _cut(init_integration)
    return init_integration


@pytest.fixture
async def alarm_waiting(
    hass: HomeAssistant, simulator: RunningSimulator, unreachable: MockConfigEntry
) -> MockConfigEntry:
    """The account with "Alarm" for Alice in its outbox (sent while the provider was unreachable).

    The provider is reachable again; the next attempt is due in 30 s.
    """
    await call_action(hass, unreachable, "send_sms", recipients=[ALICE], message="Alarm")
    _restore(unreachable, simulator, "netoxygen")
    return unreachable


# --- preview ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "message", "expected"),
    [
        # NetOxygen documents no limit: its error 8 says when a message is too long.
        ("netoxygen", "Hello", ("gsm7", 5, 1, None, True)),
        ("mobyt", "ça va ? " * 10, ("ucs2", 80, 2, 1000, True)),
        ("mobyt", "x" * 1001, ("gsm7", 1001, 7, 1000, False)),
        ("sms123", "x" * 2000, ("gsm7", 2000, 14, None, True)),
        ("netoxygen", "  ", ("gsm7", 2, 1, None, False)),
    ],
)
async def test_preview(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    message: str,
    expected: tuple[Any, ...],
) -> None:
    """What send_sms would report, whether it fits, and nothing sent."""
    simulator.sim.requests.clear()
    response = await call_action(hass, init_integration, "preview_sms", message=message)
    assert response is not None
    keys = ("encoding", "characters", "segments", "max_length", "fits")
    assert tuple(response[key] for key in keys) == expected
    assert not simulator.sim.requests


# --- cancel a whole send ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
async def test_cancel_by_batch(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """Every scheduled message of one send is cancelled with its batch id; each is listed."""
    send_at = (dt_util.now() + timedelta(days=1)).replace(microsecond=0)
    response = await _schedule_later(hass, init_integration, send_at)
    batch_id = response["batch_id"]
    assert batch_id
    ids = [message["message_id"] for message in response["messages"]]
    await send_sms(hass, init_integration, ALICE, message="Other", send_at=send_at.isoformat())

    canceled = await call_action(hass, init_integration, "cancel_sms", batch_id=batch_id)
    assert canceled == {
        "batch_id": batch_id,
        "messages": [
            {"message_id": ids[0], "recipient": ALICE, "canceled": True, "error": None},
            {"message_id": ids[1], "recipient": BOB, "canceled": True, "error": None},
        ],
    }
    statuses = {m.text: [] for m in _sent(simulator, provider)}
    for message in _sent(simulator, provider):
        statuses[message.text].append(message.status)
    assert statuses == {"Later": ["canceled", "canceled"], "Other": ["scheduled"]}

    err = await action_error(
        hass, init_integration, "cancel_sms", ServiceValidationError, batch_id=batch_id
    )
    assert err.translation_key == "unknown_batch"
    err = await action_error(hass, init_integration, "cancel_sms", ServiceValidationError)
    assert err.translation_key == "cancel_what"


async def test_cancel_batch_survives_restart(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A scheduled send can still be cancelled whole after a restart."""
    response = await _schedule_later(hass, init_integration, dt_util.now() + timedelta(hours=2))
    await restart_entry(hass, init_integration)
    canceled = await call_action(
        hass, init_integration, "cancel_sms", batch_id=response["batch_id"]
    )
    assert canceled is not None
    assert [m["canceled"] for m in canceled["messages"]] == [True, True]


# --- notify entities gathered ----------------------------------------------------------------


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_notify_entities_make_one_request(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.send_message to two recipients of one account: one provider request."""
    simulator.sim.requests.clear()
    await notify_entities(
        hass, ["notify.mobyt_demo_alice", "notify.mobyt_demo_bob"], "The door is open"
    )
    assert len(simulator.requests("/mobyt/Mobyt/SENDSMS")) == 1
    assert len(_sent(simulator, "mobyt")) == 2


async def test_notify_entities_each_get_their_error(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """One send for both; the refused recipient's call fails, the other's message goes out."""
    entry = await setup_entry(
        hass,
        make_entry(simulator, "netoxygen", recipients={"Alice": ALICE, "Nobody": REFUSED}),
    )
    with pytest.raises(HomeAssistantError) as err:
        await notify_entities(
            hass, ["notify.netoxygen_demo_alice", "notify.netoxygen_demo_nobody"], "Hello"
        )
    assert err.value.translation_key == "recipient_refused"
    assert REFUSED in str(err.value.translation_placeholders)
    assert len(_sent(simulator, "netoxygen")) == 1
    assert entry.runtime_data.sending.notify_batch.waiting == {}


# --- the outbox ------------------------------------------------------------------------------


async def test_outbox_sends_once_the_provider_is_back(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    delivery_events: list[Event],
) -> None:
    """Unreachable: retrying in the response, sensor and events; sent once when it is back."""
    entry = init_integration
    sensor = entity_id_of(hass, entry, "sensor", "last_delivery_status")
    _cut(entry)
    response = await send_sms(hass, entry, ALICE, BOB, message="Alarm")
    assert [(m["recipient"], m["status"], m["sent_by"]) for m in response["messages"]] == [
        (ALICE, "retrying", entry.entry_id),
        (BOB, "retrying", entry.entry_id),
    ]
    assert {m["sent_by_title"] for m in response["messages"]} == {entry.title}
    assert [(e.data["recipient"], e.data["status"]) for e in delivery_events] == [
        (ALICE, "retrying"),
        (BOB, "retrying"),
    ]
    assert hass.states.get(sensor).state == "retrying"
    assert not _sent(simulator, "netoxygen")

    # Still unreachable after 30 s: it waits longer (60 s) before the next attempt.
    await _later(hass, freezer, 31)
    assert len(entry.runtime_data.sending.outbox) == 1
    _restore(entry, simulator, "netoxygen")
    await _later(hass, freezer, 30)
    assert not _sent(simulator, "netoxygen")
    await _later(hass, freezer, 31)
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Alarm", "Alarm"]
    assert [e.data["status"] for e in delivery_events[2:]] == ["queued", "queued"]
    assert all(e.data["message_id"] for e in delivery_events[2:])
    assert hass.states.get(sensor).state == "queued"
    assert not entry.runtime_data.sending.outbox

    # Sent once: nothing more goes out later.
    assert len(await _sent_long_after(hass, freezer, simulator)) == 2


async def test_outbox_gives_up_at_the_deadline(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """After give_up_after minutes the message is failed, saying it was never sent."""
    entry, events = await _alarm_unreachable(hass, simulator, {CONF_GIVE_UP_AFTER: 2})
    for _ in range(3):
        await _later(hass, freezer, 30)
    assert [e.data["status"] for e in events] == ["retrying"]
    await _later(hass, freezer, 35)
    assert [e.data["status"] for e in events] == ["retrying", "failed"]
    assert "Never sent" in events[-1].data["provider_status"]
    assert not entry.runtime_data.sending.outbox
    _restore(entry, simulator, "netoxygen")
    assert not await _sent_long_after(hass, freezer, simulator)


async def test_outbox_survives_a_restart(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    unreachable: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Stored before the action answers; after a restart it is sent, once."""
    entry = unreachable
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
    stored = _stored_outbox(hass, entry)["outbox"]
    assert [item["request"]["recipients"] for item in stored] == [[ALICE]]
    await restart_entry(hass, entry)  # the restarted entry reaches the provider
    assert len(entry.runtime_data.sending.outbox) == 1
    await _later(hass, freezer, 31)
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Alarm"]
    await restart_entry(hass, entry)
    assert len(await _sent_long_after(hass, freezer, simulator)) == 1


async def test_outbox_interrupted_attempt_is_not_sent_again(
    hass: HomeAssistant, simulator: RunningSimulator, hass_storage: dict[str, Any]
) -> None:
    """An attempt that was under way when Home Assistant stopped may have gone out: dropped."""
    entry = make_entry(simulator, "netoxygen")
    now = dt_util.utcnow()
    _put_outbox(
        hass,
        entry,
        [
            {
                "item_id": "abc",
                "request": {"recipients": [ALICE], "message": "Alarm", "options": {}},
                "created_at": now.isoformat(),
                "deadline": (now + timedelta(hours=1)).isoformat(),
                "next_try": now.isoformat(),
                "in_flight": True,
            }
        ],
    )
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    await setup_entry(hass, entry)
    assert not entry.runtime_data.sending.outbox
    assert [e.data["status"] for e in events] == ["unknown"]
    assert not _sent(simulator, "netoxygen")


async def test_outbox_past_send_time_is_dropped(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    unreachable: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send time that passed while the message waited: it leaves at once, not scheduled."""
    entry = unreachable
    send_at = dt_util.now() + timedelta(seconds=10)
    await call_action(
        hass, entry, "send_sms", recipients=[ALICE], message="Soon", send_at=send_at.isoformat()
    )
    _restore(entry, simulator, "netoxygen")
    await _later(hass, freezer, 31)
    assert [(m.text, m.status) for m in _sent(simulator, "netoxygen")] == [("Soon", "queued")]


async def test_a_refusal_is_not_kept(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """What the provider refused, or may have taken, never goes to the outbox."""
    simulator.fault("/netoxygen/api2/", "drop")
    err = await send_error(hass, init_integration, ALICE, message="Hi")
    assert err.translation_key == "send_outcome_unknown"
    assert not init_integration.runtime_data.sending.outbox


# --- the fallback account --------------------------------------------------------------------


async def test_fallback_when_unreachable(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """This account cannot connect: the fallback sends at once, and says so in sent_by."""
    entry, fallback = await with_fallback(hass, simulator)
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    _cut(entry)
    response = await send_sms(hass, entry, ALICE, BOB, message="Alarm")
    assert [(m["accepted"], m["status"], m["sent_by"]) for m in response["messages"]] == [
        (True, "queued", fallback.entry_id),
        (True, "queued", fallback.entry_id),
    ]
    # The account's title beside its id, for a person reading the response.
    assert [m["sent_by_title"] for m in response["messages"]] == [fallback.title] * 2
    assert fallback.title != entry.title
    assert response["batch_id"]
    assert len(_sent(simulator, "mobyt")) == 2
    assert not _sent(simulator, "netoxygen")
    assert not entry.runtime_data.sending.outbox
    assert {e.data["config_entry_id"] for e in events} == {fallback.entry_id}


@pytest.mark.parametrize(
    ("username", "password"),
    [("demo", "demo-password")],
)
async def test_fallback_when_refused_before_sending(
    hass: HomeAssistant, simulator: RunningSimulator, username: str, password: str
) -> None:
    """No credits, or credentials refused: the fallback sends; a refused one is reauthenticated."""
    entry, fallback = await with_fallback(hass, simulator, username=username, password=password)
    if username == "demo":
        simulator.sim.state.accounts[("netoxygen", "demo")].password = "changed"
    response = await send_sms(hass, entry, ALICE, message="Alarm")
    assert response["messages"][0]["sent_by"] == fallback.entry_id
    assert len(_sent(simulator, "mobyt")) == 1
    await hass.async_block_till_done()
    assert flow_sources(hass) == ([SOURCE_REAUTH] if username == "demo" else [])


async def test_no_fallback_after_an_undocumented_fault(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """NetOxygen's undocumented no-credits fault: the fallback does not send it again.

    No fault is documented, so "Not enough credits" may come after a send: the user is told it
    may have been sent (issue 8). The credits ran out after the last read, which said enough.
    """
    entry, _fallback = await with_fallback(hass, simulator)
    simulator.sim.state.accounts[("netoxygen", "demo")].credits = 0
    err = await send_error(hass, entry, ALICE, message="Alarm")
    assert err.translation_key == "send_outcome_unknown"
    assert "Not enough credits" in str(err)
    assert not _sent(simulator, "mobyt")


async def test_both_unreachable_then_back(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Neither can connect: the outbox keeps it for this account; sent once by one of them."""
    entry, fallback = await with_fallback(hass, simulator)
    _cut(entry, fallback)
    response = await send_sms(hass, entry, ALICE, message="Alarm")
    assert [(m["status"], m["sent_by"]) for m in response["messages"]] == [
        ("retrying", entry.entry_id)
    ]
    _restore(fallback, simulator, "mobyt")
    await _later(hass, freezer, 31)
    assert len(_sent(simulator, "mobyt")) == 1
    assert not _sent(simulator, "netoxygen")
    _restore(entry, simulator, "netoxygen")
    assert len(await _sent_long_after(hass, freezer, simulator, "mobyt")) == 1
    assert not _sent(simulator, "netoxygen")
    sensor = entity_id_of(hass, entry, "sensor", "last_delivery_status")
    assert hass.states.get(sensor).state == "queued"


async def test_fallback_that_may_have_sent_is_not_retried(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The fallback dropped the connection after the request: it may have sent; nothing more."""
    entry, _fallback = await with_fallback(hass, simulator)
    _cut(entry)
    simulator.fault("/mobyt/Mobyt/SENDSMS", "drop")
    err = await send_error(hass, entry, ALICE, message="Alarm")
    assert err.translation_key == "send_outcome_unknown"
    assert not entry.runtime_data.sending.outbox
    _restore(entry, simulator, "netoxygen")
    assert not await _sent_long_after(hass, freezer, simulator)


async def test_keep_trying_off_with_fallback_down(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """keep_trying off and the fallback unreachable too: the action fails as before."""
    entry, fallback = await with_fallback(hass, simulator, options={CONF_KEEP_TRYING: False})
    _cut(entry, fallback)
    err = await send_error(hass, entry, ALICE, message="Alarm")
    assert err.translation_key == "cannot_connect"


async def test_fallback_cannot_be_itself(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The options refuse the account as its own fallback."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"sender": "Home", CONF_FALLBACK_ENTRY_ID: entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_FALLBACK_ENTRY_ID: "fallback_is_self"}


# --- the outbox keeps its own promise ----------------------------------------------------------


class _Writes:
    """Every outbox written to disk, in order (the real write still happens)."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        self.path = str(_outbox_path(hass, entry))
        self.outboxes: list[list[dict[str, Any]]] = []
        self._original = storage.write_utf8_file

    def __call__(self, path: str, payload: bytes, **kwargs: Any) -> None:
        self._original(path, payload, **kwargs)
        if path == self.path:
            self.outboxes.append(json.loads(payload)["data"]["outbox"])

    def marks(self) -> list[bool]:
        """For each write holding one message, whether it was marked as being sent."""
        return [items[0]["in_flight"] for items in self.outboxes if len(items) == 1]


def _gate(entry: MockConfigEntry) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold the account's next sends until the gate opens; ``started`` is set when one waits."""
    gateway = entry.runtime_data.gateway
    original = gateway._send
    started, gate = asyncio.Event(), asyncio.Event()

    async def held(prepared: Any) -> Any:
        started.set()
        await gate.wait()
        return await original(prepared)

    gateway._send = held
    return started, gate


async def test_reload_during_a_retry_sends_each_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    unreachable: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload while a retry's request is out: one outbox at a time, each message sent once.

    The stopped outbox lets its request end and writes its last state before the new one
    reads the file; after that it writes nothing, so no stale outbox comes back.
    """
    entry = unreachable
    for text in ("One", "Two", "Three"):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message=text)
    _restore(entry, simulator, "netoxygen")
    started, gate = _gate(entry)
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await started.wait()  # "One" is out, held by the provider
    old = entry.runtime_data.sending
    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not reload.done()  # the new outbox waits for the old one's request
    gate.set()
    assert await reload
    await hass.async_block_till_done()
    assert entry.runtime_data.sending is not old
    await _later(hass, freezer, 1)
    assert sorted(m.text for m in _sent(simulator, "netoxygen")) == ["One", "Three", "Two"]
    assert _stored_outbox(hass, entry)["outbox"] == []
    # The old outbox is stopped for good: nothing it does reaches the disk.
    old.outbox["stale"] = next(iter(old.outbox.values()), None) or old.outbox.get("stale")
    await old.async_retry_due()
    await hass.async_block_till_done()
    assert _stored_outbox(hass, entry)["outbox"] == []
    assert len(await _sent_long_after(hass, freezer, simulator)) == 3


async def test_a_send_that_cannot_be_stored_is_refused(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    unreachable: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed write is never answered "retrying": the send is refused, and never sent later."""
    entry = unreachable
    with (
        patch.object(storage, "write_utf8_file", side_effect=WriteError("disk full")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
    assert err.value.translation_key == "outbox_not_stored"
    assert "disk full" in str(err.value)
    assert not entry.runtime_data.sending.outbox
    _restore(entry, simulator, "netoxygen")
    assert not await _sent_long_after(hass, freezer, simulator)


@pytest.mark.parametrize("reachable", [True, False])
async def test_a_message_no_file_can_hold_is_refused_alone(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    reachable: bool,
) -> None:
    """A lone surrogate is not text: refused at once, never kept; the next send is kept."""
    entry = init_integration
    if not reachable:
        _cut(entry)
    err = await send_error(hass, entry, ALICE, message="Alarm \ud800", error=ServiceValidationError)
    assert err.translation_key == "invalid_character"
    assert err.translation_placeholders == {
        "field": "message",
        "position": "7",
        "character": "U+D800",
    }
    assert not entry.runtime_data.sending.outbox
    _cut(entry)
    response = await send_sms(hass, entry, BOB, message="Alarm")
    assert response["messages"][0]["status"] == "retrying"
    assert len(_stored_outbox(hass, entry)["outbox"]) == 1
    _restore(entry, simulator, "netoxygen")
    await _later(hass, freezer, 31)
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Alarm"]


async def test_the_mark_is_on_disk_before_the_request_leaves(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    alarm_waiting: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When a retry's request leaves, the disk says it is being sent; once sent, it is gone."""
    entry = alarm_waiting
    started, gate = _gate(entry)
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await started.wait()
    assert [item["in_flight"] for item in _stored_outbox(hass, entry)["outbox"]] == [True]
    gate.set()
    await hass.async_block_till_done()
    assert _stored_outbox(hass, entry)["outbox"] == []
    assert len(_sent(simulator, "netoxygen")) == 1


async def test_a_mark_not_written_sends_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    alarm_waiting: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The mark could not be written: the message is not sent then, and leaves once it can be."""
    entry = alarm_waiting
    with patch.object(storage, "write_utf8_file", side_effect=WriteError("disk full")):
        await _later(hass, freezer, 31)
    assert not _sent(simulator, "netoxygen")
    assert [item.in_flight for item in entry.runtime_data.sending.outbox.values()] == [False]
    await _later(hass, freezer, 61)
    assert len(_sent(simulator, "netoxygen")) == 1


async def test_no_mark_while_the_provider_refuses_connections(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While the provider refuses connections nothing is marked as being sent.

    So a kill at any moment of the outage leaves a message the next start sends, never one it
    must drop as "may have been sent".
    """
    entry = init_integration
    writes = _Writes(hass, entry)
    _cut(entry)
    with patch.object(storage, "write_utf8_file", writes):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
        for seconds in (31, 61, 121, 241, 301):
            await _later(hass, freezer, seconds)
    assert len(writes.outboxes) >= 5
    assert not any(writes.marks())
    assert entry.runtime_data.sending.outbox
    await restart_entry(hass, entry)
    await _later(hass, freezer, 301)
    assert len(_sent(simulator, "netoxygen")) == 1


async def test_a_failed_connect_clears_the_mark_first(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Marked, written, tried (both accounts refuse connections), and the mark cleared at once.

    With a fallback account a retry always tries (the fallback may take it): the write right
    after the failed attempt clears the mark, so a start after a kill still has it to send.
    """
    entry, fallback = await with_fallback(hass, simulator)
    writes = _Writes(hass, entry)
    _cut(entry, fallback)
    with patch.object(storage, "write_utf8_file", writes):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
        await _later(hass, freezer, 31)
    assert writes.marks() == [False, True, False]
    assert [i["in_flight"] for i in _stored_outbox(hass, entry)["outbox"]] == [False]
    await restart_entry(hass, entry)
    await _later(hass, freezer, 301)
    assert _texts_by_provider(simulator) == {"netoxygen": ["Alarm"]}


async def test_outbox_keeps_its_deadlines_across_a_restart(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Read at start: one past its deadline is given up, one before it leaves once, in time."""
    entry = make_entry(simulator, "netoxygen")
    now = dt_util.utcnow()

    def item(item_id: str, text: str, deadline: timedelta, next_try: timedelta) -> dict[str, Any]:
        return {
            "item_id": item_id,
            "request": {"recipients": [ALICE], "message": text, "options": {}},
            "created_at": (now - timedelta(hours=2)).isoformat(),
            "deadline": (now + deadline).isoformat(),
            "next_try": (now + next_try).isoformat(),
            "attempts": 5,
            "in_flight": False,
        }

    _put_outbox(
        hass,
        entry,
        [
            item("late", "Too late", -timedelta(minutes=1), -timedelta(minutes=2)),
            item("due", "On time", timedelta(minutes=10), timedelta(minutes=2)),
        ],
    )
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert [(e.data["status"], "Never sent" in e.data["provider_status"]) for e in events] == [
        ("failed", True)
    ]
    assert list(entry.runtime_data.sending.outbox) == ["due"]
    await _later(hass, freezer, 60)
    assert not _sent(simulator, "netoxygen")  # its next try is kept too
    await _later(hass, freezer, 61)
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["On time"]
    assert len(await _sent_long_after(hass, freezer, simulator)) == 1
