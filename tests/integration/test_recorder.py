"""The recorder: nothing private in its history; the daily parts in its long-term statistics."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from tests.conftest import RunningSimulator

from .common import (
    ClientFactory,
    call_action,
    entity_id_of,
    mobyt_pushes,
    setup_entry,
)
from .conftest import ALICE, BOB, make_entry

STRANGER = "+33698765432"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (it must start before Home Assistant), then the integration."""


async def test_numbers_and_texts_stay_out_of_the_recorder(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
) -> None:
    """The live states show who and what; the history the recorder keeps holds neither."""
    start = dt_util.utcnow()
    entry = await setup_entry(hass, make_entry(simulator, "mobyt", recipients={"Alice": ALICE}))
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Alarm")
    await mobyt_pushes(
        hass, await hass_client_no_auth(), entry, "77", "the code is 1234", sender=STRANGER
    )
    entity_ids = [
        entity_id_of(hass, entry, "sensor", "last_delivery_status"),
        entity_id_of(hass, entry, "event", "inbound_sms"),
        entity_id_of(hass, entry, "event", "delivery_status"),
    ]
    live = {entity_id: hass.states.get(entity_id) for entity_id in entity_ids}
    assert live[entity_ids[0]].attributes["recipient"] == ALICE
    assert live[entity_ids[1]].attributes["sender"] == STRANGER
    assert live[entity_ids[1]].attributes["message"] == "the code is 1234"
    assert live[entity_ids[2]].attributes["recipient"] == ALICE

    await async_wait_recording_done(hass)
    history = await recorder_mock.async_add_executor_job(
        partial(
            get_significant_states,
            hass,
            start,
            entity_ids=entity_ids,
            significant_changes_only=False,
        )
    )
    recorded = [
        dict(state.attributes)
        for states in history.values()
        for state in states
        if isinstance(state, State)
    ]
    assert {attributes.get("event_type") for attributes in recorded} >= {"received", "queued"}
    text = str(recorded)
    for private in (ALICE.removeprefix("+"), STRANGER.removeprefix("+"), "1234", "the code"):
        assert private not in text
    # The contact's name is private too: only whether the sender is trusted is kept.
    assert not any("contact" in attributes for attributes in recorded)
    assert any("trusted" in attributes for attributes in recorded)
    assert any("received_at" in attributes for attributes in recorded)  # the rest is kept


async def test_long_term_statistics_add_each_days_parts(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The parts sent today reset at midnight; the statistics' sum goes on: 3 + 2 = 5."""
    day_end = dt_util.parse_datetime("2026-12-07 23:50:00-08:00")
    assert day_end is not None
    freezer.move_to(day_end)
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    sensor = entity_id_of(hass, entry, "sensor", "sent_today")
    freezer.tick(timedelta(minutes=1))
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Late")
    freezer.tick(timedelta(minutes=1))
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Later")
    assert hass.states.get(sensor).state == "3"
    freezer.move_to(day_end + timedelta(minutes=10, seconds=1))  # local midnight
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(sensor).state == "0"
    freezer.tick(timedelta(minutes=1))
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Early")
    assert hass.states.get(sensor).state == "2"
    await async_wait_recording_done(hass)

    freezer.tick(timedelta(minutes=5))
    for start in (0, 5, 10):
        do_adhoc_statistics(hass, start=dt_util.as_utc(day_end + timedelta(minutes=start)))
        await async_wait_recording_done(hass)
    stats = await recorder_mock.async_add_executor_job(
        partial(statistics_during_period, hass, dt_util.as_utc(day_end), period="5minute")
    )
    sums = [(row["state"], row["sum"]) for row in stats[sensor]]
    assert sums == [(3.0, 3.0), (3.0, 3.0), (2.0, 5.0)]
