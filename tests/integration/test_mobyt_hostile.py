"""Mobyt data that cannot be read never stops the rest: pushes refused, rows skipped.

Ids and counts written with Unicode digits (``²``) pass ``str.isdigit`` and then make ``int``
raise: a push with such an id got 503 forever, and a poll never moved past the row again.
"""

from __future__ import annotations

from http import HTTPStatus
import logging

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from simulator.mobyt import MobytSim
from simulator.state import SimInbound
from tests.conftest import RunningSimulator

from .common import (
    MOBYT_NUMBER,
    MOBYT_SENDER,
    ClientFactory,
    mobyt_receives,
    next_poll,
    polled_ids,
    webhook_path,
)

SECRET = "the code is 4321"


@pytest.mark.parametrize(
    "bad_row",
    [
        "{id}|%2B33757000001|%2B33610765432|{text}|2024-01-15|",  # a date Mobyt does not write
        "{id}|%2B33757000001|%2B33610765432|{text}",  # fields missing
        "{id}%C2%B2|%2B33757000001|%2B33610765432|{text}|20240115083000|",  # id '12²'
    ],
)
async def test_a_bad_row_in_a_poll_is_skipped_and_the_next_ones_fire(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    bad_row: str,
    inbound_events: list[Event],
    mobyt_entry: MockConfigEntry,  # set up after the clock is frozen
) -> None:
    before = await mobyt_receives(session, simulator, "before")
    bad_id = simulator.sim.state.next_inbound_id()
    after = await mobyt_receives(session, simulator, "after")
    row = bad_row.format(id=bad_id, text=SECRET.replace(" ", "+"))
    table = MobytSim._inbound_table

    def with_a_bad_row(messages: list[SimInbound]) -> str:
        body = table(messages)
        marker = f";{after}|"
        return body.replace(marker, f";{row};{after}|") if marker in body else body

    monkeypatch.setattr(MobytSim, "_inbound_table", staticmethod(with_a_bad_row))
    caplog.set_level(logging.DEBUG)

    await next_poll(hass, freezer)
    assert [e.data["message"] for e in inbound_events] == ["before", "after"]
    await next_poll(hass, freezer)
    later = await mobyt_receives(session, simulator, "later")
    await next_poll(hass, freezer)
    assert [e.data["message"] for e in inbound_events] == ["before", "after", "later"]
    # Past the bad row: the poll after it asked from the last id of the reply.
    assert polled_ids(simulator)[-2:] == [str(after), str(after)]
    assert later > after > bad_id > before
    assert SECRET not in caplog.text
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1
    assert str(bad_id) in skipped[0].getMessage()


@pytest.mark.parametrize("message_id", ["1²", "¹²³", "12\u0663", "1" * 70])
async def test_a_push_with_an_unreadable_id_is_refused_not_retried_forever(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    message_id: str,
    inbound_events: list[Event],
    mobyt_entry: MockConfigEntry,
) -> None:
    client = await hass_client_no_auth()
    form = {
        "id": message_id,
        "text": SECRET,
        "sender": MOBYT_SENDER,
        "recipient": MOBYT_NUMBER,
        "delivery_date": "20240115083000",
    }
    response = await client.post(webhook_path(mobyt_entry), data=form)
    assert response.status == HTTPStatus.BAD_REQUEST
    # The next push (a good id) is taken as usual.
    response = await client.post(webhook_path(mobyt_entry), data={**form, "id": "77"})
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message_id"] for e in inbound_events] == ["77"]
