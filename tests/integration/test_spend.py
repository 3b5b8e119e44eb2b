"""The spend guard: the daily limit of SMS parts, its repair issue, its sensor and its count."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.components.sensor import ATTR_LAST_RESET, ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_ENTITY_ID, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_gateways.const import (
    CONF_DAILY_LIMIT,
    CONF_FALLBACK_ENTRY_ID,
    DOMAIN,
    EVENT_DELIVERY_STATUS,
)
from custom_components.sms_gateways.gateways import SendOutcomeUnknownError
from custom_components.sms_gateways.spend import SPEND_STORE, daily_limit_issue_id
from custom_components.sms_gateways.storage import entry_store_key
from tests.conftest import RunningSimulator

from .common import call_action, entity_id_of, restart_entry, setup_entry
from .conftest import ALICE, BOB, REFUSED, make_entry

CLOSED = "http://127.0.0.1:9/"
"""Nothing listens on the discard port: every connection is refused, nothing is sent."""
NOON = "2026-12-07 12:00:00-08:00"
"""Noon in Home Assistant's time zone of the tests (US/Pacific)."""
LONG = "x" * 200
"""Two parts (GSM 7-bit: 153 characters a part)."""


def _sent(simulator: RunningSimulator, provider: str = "netoxygen") -> list[Any]:
    return [m for m in simulator.sim.state.messages.values() if m.provider == provider]


def _cut(entry: MockConfigEntry) -> None:
    entry.runtime_data.gateway._api_url = CLOSED


def _restore(entry: MockConfigEntry, simulator: RunningSimulator, provider: str) -> None:
    entry.runtime_data.gateway._api_url = simulator.api_url(provider)


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, daily_limit_issue_id(entry.entry_id))


def _sent_today(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    return hass.states.get(entity_id_of(hass, entry, "sensor", "sent_today")).state


def _stored(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    path = Path(hass.config.path(".storage", entry_store_key(entry.entry_id, SPEND_STORE)))
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))["data"]
    return data


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _reach_a_limit_of_one(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One message is sent; the second of the day is refused by the limit."""
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="One")
    with pytest.raises(ServiceValidationError):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Two")


async def _limited(
    hass: HomeAssistant, simulator: RunningSimulator, limit: Any, **options: Any
) -> MockConfigEntry:
    return await setup_entry(
        hass,
        make_entry(
            simulator,
            "netoxygen",
            options={CONF_DAILY_LIMIT: limit, **options},
            recipients={"Alice": ALICE, "Bob": BOB},
        ),
    )


@pytest.fixture
def noon(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Noon of a known day, local time."""
    freezer.move_to(NOON)
    return freezer


async def test_a_send_past_the_limit_is_refused_until_midnight(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """Limit 3: 2 parts go, the next 2 are refused (nothing sent), an issue says until when."""
    entry = await _limited(hass, simulator, 3)
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door open")
    assert _sent_today(hass, entry) == "2"

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door shut")
    assert err.value.translation_key == "daily_limit_reached"
    assert str(err.value) == (
        "NetOxygen demo has reached its daily limit of SMS parts (3; left today: 1; needed by "
        "this message: 2). Nothing was sent; sending resumes at 2026-12-08 00:00"
    )
    assert [m.text for m in _sent(simulator)] == ["Door open", "Door open"]
    assert _sent_today(hass, entry) == "2"

    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "daily_limit_reached"
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "account": "NetOxygen demo",
        "limit": "3",
        "resets": "2026-12-08 00:00",
    }

    # What is left still goes: one part to one recipient.
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Last one")
    assert _sent_today(hass, entry) == "3"
    with pytest.raises(ServiceValidationError):
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="One more")
    assert len(_sent(simulator)) == 3

    # Local midnight: the count starts again, the issue goes, sends resume.
    await _later(hass, noon, timedelta(hours=12, seconds=1))
    assert _issue(hass, entry) is None
    assert _sent_today(hass, entry) == "0"
    state = hass.states.get(entity_id_of(hass, entry, "sensor", "sent_today"))
    assert state.attributes[ATTR_LAST_RESET] == "2026-12-08T00:00:00-08:00"
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door shut")
    assert len(_sent(simulator)) == 5
    assert _sent_today(hass, entry) == "2"


async def test_parts_of_a_long_message_count_for_each_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """A 2-part message to 2 recipients is 4 parts: refused under a limit of 3."""
    entry = await _limited(hass, simulator, 3)
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message=LONG)
    assert err.value.translation_placeholders["needed"] == "4"
    assert err.value.translation_placeholders["remaining"] == "3"
    assert not _sent(simulator)
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message=LONG)
    assert _sent_today(hass, entry) == "2"


async def test_the_sensor(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """A total since local midnight, so that long-term statistics add each day's parts."""
    entry = await _limited(hass, simulator, None)
    state = hass.states.get(entity_id_of(hass, entry, "sensor", "sent_today"))
    assert state.state == "0"
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL
    assert state.attributes[ATTR_LAST_RESET] == "2026-12-07T00:00:00-08:00"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "SMS"
    assert state.name == "NetOxygen demo SMS parts sent today"
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message=LONG)
    assert _sent_today(hass, entry) == "4"


async def test_a_restart_keeps_the_count(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """The day's spending is stored: a restart does not give the limit back, nor the issue."""
    entry = await _limited(hass, simulator, 3)
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door open")
    await hass.async_block_till_done()
    assert _stored(hass, entry) == {"day": "2026-12-07", "parts": 2, "refused_at": None}
    await restart_entry(hass, entry)
    assert _sent_today(hass, entry) == "2"
    with pytest.raises(ServiceValidationError):
        await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door shut")
    await restart_entry(hass, entry)
    assert _issue(hass, entry) is not None
    assert len(_sent(simulator)) == 2

    # Started on another day: it starts from zero.
    assert await hass.config_entries.async_unload(entry.entry_id)
    noon.tick(timedelta(days=1))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _sent_today(hass, entry) == "0"
    assert _issue(hass, entry) is None
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Door shut")
    assert len(_sent(simulator)) == 4


async def test_notify_counts(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """notify.send_message to two recipients counts 2; past the limit it raises, sends nothing."""
    entry = await _limited(hass, simulator, 3)
    targets = {ATTR_ENTITY_ID: ["notify.netoxygen_demo_alice", "notify.netoxygen_demo_bob"]}
    await hass.services.async_call(
        NOTIFY_DOMAIN, SERVICE_SEND_MESSAGE, {**targets, ATTR_MESSAGE: "Door open"}, blocking=True
    )
    assert _sent_today(hass, entry) == "2"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {**targets, ATTR_MESSAGE: "Door shut"},
            blocking=True,
        )
    assert err.value.translation_key == "daily_limit_reached"
    assert len(_sent(simulator)) == 2
    # The account's legacy notify service goes the same way.
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            NOTIFY_DOMAIN, "netoxygen_demo", {ATTR_MESSAGE: "Door shut"}, blocking=True
        )
    assert len(_sent(simulator)) == 2


async def test_the_outbox_counts_what_leaves(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """Kept in the outbox: not counted; counted when it leaves; refused there past the limit."""
    entry = await _limited(hass, simulator, 2)
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    _cut(entry)
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Kept")
    assert _sent_today(hass, entry) == "0"  # never reached the provider
    _restore(entry, simulator, "netoxygen")
    await _later(hass, noon, timedelta(seconds=31))
    assert [m.text for m in _sent(simulator)] == ["Kept"]
    assert _sent_today(hass, entry) == "1"

    # A message waiting while the day's parts are spent is refused when its turn comes.
    _cut(entry)
    await call_action(hass, entry, "send_sms", recipients=[BOB], message="Kept too")
    _restore(entry, simulator, "netoxygen")
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Direct")
    assert _sent_today(hass, entry) == "2"
    await _later(hass, noon, timedelta(seconds=31))
    assert [m.text for m in _sent(simulator)] == ["Kept", "Direct"]
    assert not entry.runtime_data.sending.outbox
    assert events[-1].data["recipient"] == BOB
    assert events[-1].data["status"] == "failed"
    assert "daily limit of SMS parts (2;" in events[-1].data["provider_status"]


async def test_no_limit(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """0 or empty: no limit, no issue; the parts are still counted."""
    for limit in (0, None):
        entry = await _limited(hass, simulator, limit)
        for _ in range(3):
            await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message=LONG)
        assert _sent_today(hass, entry) == "12"
        assert _issue(hass, entry) is None
        assert await hass.config_entries.async_remove(entry.entry_id)
    assert len(_sent(simulator)) == 12


async def test_raising_the_limit_lifts_the_issue(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """Saved in the options, a higher limit takes effect at once (no reload) and lifts the issue."""
    entry = await _limited(hass, simulator, 1)
    await _reach_a_limit_of_one(hass, entry)
    assert _issue(hass, entry) is not None
    sending = entry.runtime_data.sending

    # Lowered (or saved the same): still reached.
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_DAILY_LIMIT: 1})
    await hass.async_block_till_done()
    assert _issue(hass, entry) is not None

    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_DAILY_LIMIT: 5})
    await hass.async_block_till_done()
    assert _issue(hass, entry) is None
    assert entry.runtime_data.sending is sending  # not reloaded
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Two")
    assert _sent_today(hass, entry) == "2"


async def test_the_options_form_sets_the_limit(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The option is in the account's options form; left empty, there is no limit."""
    entry = await _limited(hass, simulator, None)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert CONF_DAILY_LIMIT in result["data_schema"].schema
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**entry.options, CONF_DAILY_LIMIT: 1}
    )
    assert entry.options[CONF_DAILY_LIMIT] == 1
    await hass.async_block_till_done()
    await _reach_a_limit_of_one(hass, entry)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    options = {k: v for k, v in entry.options.items() if k != CONF_DAILY_LIMIT}
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()
    assert CONF_DAILY_LIMIT not in entry.options
    assert _issue(hass, entry) is None
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Two")


async def test_what_the_provider_was_handed_counts(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """A refused recipient does not count; a send that may have been sent does."""
    entry = await _limited(hass, simulator, None)
    await call_action(hass, entry, "send_sms", recipients=[ALICE, REFUSED], message="Hi")
    assert _sent_today(hass, entry) == "1"
    with (
        patch.object(
            type(entry.runtime_data.gateway),
            "send",
            side_effect=SendOutcomeUnknownError("The answer was cut"),
        ),
        pytest.raises(Exception, match="may have"),
    ):
        await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Hi")
    assert _sent_today(hass, entry) == "3"


async def test_a_fallback_send_counts_on_the_fallback(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """Sent by the fallback: its count; the fallback past its own limit: the outbox keeps it."""
    fallback = await setup_entry(
        hass, make_entry(simulator, "mobyt", options={CONF_DAILY_LIMIT: 2})
    )
    entry = await _limited(hass, simulator, 10, **{CONF_FALLBACK_ENTRY_ID: fallback.entry_id})
    _cut(entry)
    response = await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Hi")
    assert response is not None
    assert {m["sent_by"] for m in response["messages"]} == {fallback.entry_id}
    assert _sent_today(hass, fallback) == "2"
    assert _sent_today(hass, entry) == "0"

    response = await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Again")
    assert response is not None
    assert [m["status"] for m in response["messages"]] == ["retrying"]
    assert len(_sent(simulator, "mobyt")) == 2
    assert _issue(hass, fallback) is not None


async def test_a_send_over_the_limit_never_falls_back(
    hass: HomeAssistant, simulator: RunningSimulator, noon: FrozenDateTimeFactory
) -> None:
    """The account's own limit refuses: its fallback does not spend in its place."""
    fallback = await setup_entry(hass, make_entry(simulator, "mobyt"))
    entry = await _limited(hass, simulator, 1, **{CONF_FALLBACK_ENTRY_ID: fallback.entry_id})
    await _reach_a_limit_of_one(hass, entry)
    assert not _sent(simulator, "mobyt")


async def test_removing_the_entry_takes_its_issue(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The issue of a removed account goes with it."""
    entry = await _limited(hass, simulator, 1)
    await _reach_a_limit_of_one(hass, entry)
    assert _issue(hass, entry) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, entry) is None


async def test_sends_at_the_same_time_cannot_both_pass(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Parts are reserved before the request leaves: two sends at once do not both fit in 3."""
    entry = await _limited(hass, simulator, 3)
    results = await asyncio.gather(
        call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="One"),
        call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Two"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ServiceValidationError)]
    assert len(refused) == 1
    assert refused[0].translation_key == "daily_limit_reached"
    assert len(_sent(simulator)) == 2
    assert _sent_today(hass, entry) == "2"
