"""An alert gets through at the edges: a start with the link down, a reload, an unloaded entry.

The provider refuses connections at start (nothing listens on its port) and accepts them later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    ATTR_TARGET,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    ServiceValidationError,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_gateways import notify_batch
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_LOW_CREDITS_THRESHOLD,
    CONF_SENDER,
    DOMAIN,
)
from custom_components.sms_gateways.sending import EntrySending
from tests.conftest import RunningSimulator

from .common import (
    call_action,
    entity_id_of,
    flow_sources,
    notify_entities,
    send_error,
    send_sms,
    setup_entry,
    with_fallback,
)
from .conftest import ALICE, BOB, make_entry

CLOSED = "http://127.0.0.1:9/"
"""Nothing listens on the discard port: every connection is refused, nothing is sent."""
CREDITS = {
    "netoxygen": "sensor.netoxygen_demo_credits",
    "mobyt": "sensor.mobyt_demo_credits",
    "sms123": "sensor.123_sms_net_demo_credits",
    "smsfactor": "sensor.smsfactor_demo_example_com_credits",
}


def _sent(simulator: RunningSimulator, provider: str) -> list[tuple[str, str]]:
    """(recipient, text) of what the provider took, the number as ALICE or BOB is written."""
    messages = simulator.sim.state.messages.values()
    return sorted(
        ("+" + m.recipient.lstrip("+").removeprefix("00"), m.text)
        for m in messages
        if m.provider == provider
    )


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _entry(simulator: RunningSimulator, provider: str, **data: Any) -> MockConfigEntry:
    return make_entry(
        simulator,
        provider,
        recipients={"Alice": ALICE, "Bob": BOB},
        **{CONF_SENDER: "Home", **data},
    )


def _account(entry: MockConfigEntry) -> str:
    return slugify(entry.title)


# --- 1. a start with the provider unreachable ----------------------------------------------------


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123", "smsfactor"])
async def test_start_unreachable_sends_wait_then_leave_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    """Loaded with the link down: every way to send keeps the message; each leaves once."""
    entry = await setup_entry(hass, _entry(simulator, provider, **{CONF_API_URL: CLOSED}))
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDITS[provider]).state == STATE_UNAVAILABLE
    account = _account(entry)
    alice = f"notify.{account}_alice"
    # The recipient's entity is available: notify.send_message would skip it otherwise.
    assert hass.states.get(alice).state != STATE_UNAVAILABLE
    assert hass.services.has_service(NOTIFY_DOMAIN, account)
    assert hass.services.has_service(NOTIFY_DOMAIN, DOMAIN)

    # The frozen clock holds the short wait that gathers the entities' calls: let it pass.
    entity_send = asyncio.get_running_loop().create_task(notify_entities(hass, alice, "Entity"))
    await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await entity_send
    response = await send_sms(hass, entry, BOB, message="Action")
    assert [(m["status"], m["sent_by"]) for m in response["messages"]] == [
        ("retrying", entry.entry_id)
    ]
    await hass.services.async_call(
        NOTIFY_DOMAIN, account, {ATTR_MESSAGE: "Account", ATTR_TARGET: ["Bob"]}, blocking=True
    )
    await hass.services.async_call(
        NOTIFY_DOMAIN, DOMAIN, {ATTR_MESSAGE: "Everyone", ATTR_TARGET: ["Alice"]}, blocking=True
    )
    assert len(entry.runtime_data.sending.outbox) == 4
    assert _sent(simulator, provider) == []

    # The provider answers: the credits come, every message leaves once.
    entry.runtime_data.gateway._api_url = simulator.api_url(provider)
    await _later(hass, freezer, 31)
    assert _sent(simulator, provider) == sorted(
        [(ALICE, "Entity"), (BOB, "Action"), (BOB, "Account"), (ALICE, "Everyone")]
    )
    assert not entry.runtime_data.sending.outbox
    if provider != "smsfactor":  # its credits come from the send responses only
        assert hass.states.get(CREDITS[provider]).state != STATE_UNAVAILABLE
    await _later(hass, freezer, 600)
    assert len(_sent(simulator, provider)) == 4


async def test_start_unreachable_credentials_refused_later(
    hass: HomeAssistant, simulator: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Unreachable, then an answer that proves the password wrong: only then a reauth."""
    entry = await setup_entry(
        hass, _entry(simulator, "netoxygen", password="wrong", **{CONF_API_URL: CLOSED})
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    entry.runtime_data.gateway._api_url = simulator.api_url("netoxygen")
    await _later(hass, freezer, 31)
    assert flow_sources(hass) == ["reauth"]
    assert entry.state is ConfigEntryState.LOADED


# --- 2. no send is dropped, whatever the state of the entry --------------------------------------


@asynccontextmanager
async def _held(target: str) -> AsyncIterator[asyncio.Event]:
    """Hold ``target`` (an async method) until the event is set."""
    release = asyncio.Event()
    original = getattr(EntrySending, target)

    async def _wait(self: EntrySending, *args: Any) -> Any:
        await release.wait()
        return await original(self, *args)

    with patch.object(EntrySending, target, _wait):
        yield release


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


@pytest.mark.parametrize("held", ["async_start", "async_stop"])
@pytest.mark.parametrize("how", ["send_sms", "notify_account", "notify_all"])
async def test_send_during_a_reload_waits_for_it(
    hass: HomeAssistant, simulator: RunningSimulator, held: str, how: str
) -> None:
    """A send while the entry unloads or sets up again goes out once, through the new one."""
    entry = await setup_entry(hass, _entry(simulator, "netoxygen"))
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "send_sms": lambda: call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi"),
        "notify_account": lambda: hass.services.async_call(
            NOTIFY_DOMAIN, _account(entry), {ATTR_MESSAGE: "Hi", ATTR_TARGET: ["Alice"]}, True
        ),
        "notify_all": lambda: hass.services.async_call(
            NOTIFY_DOMAIN, DOMAIN, {ATTR_MESSAGE: "Hi", ATTR_TARGET: ["Alice"]}, True
        ),
    }
    async with _held(held) as release:
        reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
        if held == "async_start":
            await _until(lambda: entry.state is ConfigEntryState.SETUP_IN_PROGRESS)
        else:
            await _until(lambda: entry.state is ConfigEntryState.UNLOAD_IN_PROGRESS)
        send = hass.async_create_task(calls[how]())
        if held == "async_start":
            # The set-up is held: the send waits for it. (Home Assistant runs an unload's
            # callbacks as tasks of their own, so a held async_stop does not hold the reload.)
            await asyncio.sleep(0.05)
            assert not send.done()
        release.set()
        await send
        assert await reload
    assert entry.state is ConfigEntryState.LOADED
    assert _sent(simulator, "netoxygen") == [(ALICE, "Hi")]


async def test_notify_entity_call_caught_by_an_unload(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Gathered calls not yet sent when the entry unloads go through the entry set up next."""
    entry = await setup_entry(hass, _entry(simulator, "netoxygen"))
    with patch.object(notify_batch, "NOTIFY_WINDOW", 0.2):
        send = hass.async_create_task(notify_entities(hass, "notify.netoxygen_demo_alice", "Door"))
        await _until(lambda: bool(entry.runtime_data.sending.notify_batch.waiting))
        assert await hass.config_entries.async_reload(entry.entry_id)
        await send
    assert _sent(simulator, "netoxygen") == [(ALICE, "Door")]


async def test_send_to_an_unloaded_entry_is_refused_in_words(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Unloaded by the user: a translated error from the action and the notify service."""
    entry = await setup_entry(hass, _entry(simulator, "netoxygen"))
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "account_not_loaded"
    assert entry.title in str(err.value)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN, "netoxygen_demo", {ATTR_MESSAGE: "Hi"}, blocking=True
        )
    assert err.value.translation_key == "account_not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {"config_entry_id": "nope", "recipients": [ALICE], "message": "Hi"},
            blocking=True,
        )
    assert err.value.translation_key == "entry_not_found"
    assert _sent(simulator, "netoxygen") == []


async def test_send_to_an_entry_waiting_to_retry_is_refused_in_words(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """An entry that failed to set up for another reason (setup retry): said so, with why."""
    entry = _entry(simulator, "netoxygen")
    entry.add_to_hass(hass)
    with patch.object(EntrySending, "async_start", side_effect=ConfigEntryNotReady("disk busy")):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    err = await send_error(hass, entry, ALICE, message="Hi", error=ServiceValidationError)
    assert err.translation_key == "account_setup_retry"
    assert "disk busy" in str(err)


# --- 3. a known empty account hands the alert over ----------------------------------------------


async def test_known_empty_account_hands_over_to_its_fallback(
    hass: HomeAssistant, simulator: RunningSimulator, issue_registry: ir.IssueRegistry
) -> None:
    """Credits 0 at the last read: the fallback sends it; this account is not even asked."""
    entry, fallback = await with_fallback(
        hass, simulator, "netoxygen", username="empty", password="empty-password"
    )
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry.entry_id}")
    asked = len(simulator.requests("/netoxygen/"))
    response = await send_sms(hass, entry, ALICE, message="Alarm")
    assert [(m["accepted"], m["sent_by"]) for m in response["messages"]] == [
        (True, fallback.entry_id)
    ]
    assert len(simulator.requests("/netoxygen/")) == asked
    assert _sent(simulator, "mobyt") == [(ALICE, "Alarm")]


async def test_known_empty_account_without_fallback_is_tried(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Without a fallback it is tried as before: NetOxygen's fault leaves the outcome unknown."""
    entry = await setup_entry(
        hass, make_entry(simulator, "netoxygen", username="empty", password="empty-password")
    )
    err = await send_error(hass, entry, ALICE, message="Alarm")
    assert err.translation_key == "send_outcome_unknown"


async def test_too_few_credits_for_the_parts_hands_over(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """One credit left: a one-part message goes here, a two-part one through the fallback."""
    simulator.sim.state.accounts[("netoxygen", "demo")].credits = 1
    entry, fallback = await with_fallback(hass, simulator, "netoxygen")
    long = "x" * 200
    response = await send_sms(hass, entry, ALICE, message=long)
    assert response["segments"] == 2
    assert response["messages"][0]["sent_by"] == fallback.entry_id
    response = await send_sms(hass, entry, ALICE, message="Short")
    assert response["messages"][0]["sent_by"] == entry.entry_id
    assert _sent(simulator, "netoxygen") == [(ALICE, "Short")]
    assert _sent(simulator, "mobyt") == [(ALICE, long)]


async def test_mobyt_empty_line_hands_over(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Mobyt: judged on the line the message draws from (its type, its recipient's nation)."""
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [["N", "FR", 100], ["L", "FR", 0], ["EE", "", 50]]
    # Without a sender of its own, a message is SMS Direct (L): that line is empty.
    entry, fallback = await with_fallback(hass, simulator, "mobyt")
    response = await send_sms(hass, entry, BOB, message="Direct")
    assert response["messages"][0]["sent_by"] == fallback.entry_id
    # With a sender, SMS Top (N): its line has credits.
    response = await send_sms(hass, entry, BOB, message="Top", sender="Home")
    assert response["messages"][0]["sent_by"] == entry.entry_id
    assert _sent(simulator, "mobyt") == [(BOB, "Top")]
    assert _sent(simulator, "netoxygen") == [(BOB, "Direct")]


# --- 4. a provider that stays unreachable is visible ---------------------------------------------


async def test_waiting_sms_are_counted_and_a_repair_issue_says_so(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A count of the SMS waiting; after 5 minutes an issue with how many and since when."""
    entry = await setup_entry(hass, _entry(simulator, "netoxygen", **{CONF_API_URL: CLOSED}))
    waiting = entity_id_of(hass, entry, "sensor", "outbox")
    assert hass.states.get(waiting).state == "0"
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Fire")
    await _later(hass, freezer, 60)
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Smoke")
    assert hass.states.get(waiting).state == "3"
    issue_id = f"outbox_waiting_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    await _later(hass, freezer, 4 * 60 + 1)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "outbox_waiting"
    placeholders = issue.translation_placeholders or {}
    assert placeholders["account"] == entry.title
    assert placeholders["count"] == "3"
    assert placeholders["since"]
    assert placeholders["provider"] == "NetOxygen"

    # The provider is back: they leave, the count falls to 0 and the issue goes.
    entry.runtime_data.gateway._api_url = simulator.api_url("netoxygen")
    await _later(hass, freezer, 5 * 60)
    assert len(_sent(simulator, "netoxygen")) == 3
    assert hass.states.get(waiting).state == "0"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_repair_issue_goes_when_they_are_given_up(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Given up at the deadline: nothing waits any more, the issue goes."""
    entry = await setup_entry(
        hass,
        _entry(simulator, "netoxygen", options={CONF_GIVE_UP_AFTER: 10}, **{CONF_API_URL: CLOSED}),
    )
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Fire")
    issue_id = f"outbox_waiting_{entry.entry_id}"
    for _ in range(6):
        await _later(hass, freezer, 60)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    for _ in range(5):
        await _later(hass, freezer, 60)
    assert not entry.runtime_data.sending.outbox
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get(entity_id_of(hass, entry, "sensor", "outbox")).state == "0"


async def test_saving_the_fallback_needs_no_reload(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Options read at each use are saved without a reload: the notify entities never go away."""
    fallback = await setup_entry(hass, make_entry(simulator, "mobyt"))
    entry = await setup_entry(hass, _entry(simulator, "netoxygen"))
    runtime = entry.runtime_data
    states: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            states.append(event.data["new_state"].state)
            if event.data["entity_id"] == "notify.netoxygen_demo_alice" and event.data["new_state"]
            else None
        ),
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**entry.options, CONF_FALLBACK_ENTRY_ID: fallback.entry_id, CONF_LOW_CREDITS_THRESHOLD: 0},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options[CONF_FALLBACK_ENTRY_ID] == fallback.entry_id
    assert entry.runtime_data is runtime
    assert STATE_UNAVAILABLE not in states
    # Used at once: this account is cut off, the fallback sends.
    entry.runtime_data.gateway._api_url = CLOSED
    response = await send_sms(hass, entry, ALICE, message="Now")
    assert response["messages"][0]["sent_by"] == fallback.entry_id
