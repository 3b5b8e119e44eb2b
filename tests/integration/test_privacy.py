"""Nothing private leaks: no full phone number in the log above DEBUG."""

from __future__ import annotations

import contextlib
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sms_gateways.const import CONF_GIVE_UP_AFTER
from tests.conftest import RunningSimulator

from .common import ClientFactory, call_action, mobyt_sms_form, setup_entry, webhook_path
from .conftest import ALICE, BOB, REFUSED, make_entry

CLOSED = "http://127.0.0.1:9/"
STRANGER = "+33698765432"
NUMBERS = (ALICE, BOB, REFUSED, STRANGER)


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _full_numbers_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log lines of ours at INFO or above that hold a whole number, with or without ``+``."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.sms_gateways")
        and record.levelno >= logging.INFO
        and any(number.removeprefix("+") in record.getMessage() for number in NUMBERS)
    ]


async def test_no_full_number_in_the_log_above_debug(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    hass_client_no_auth: ClientFactory,
) -> None:
    """Outbox (waits, leaves, gives up), a refused number, pushes: the log says which, masked."""
    caplog.set_level(logging.INFO)
    entry = await setup_entry(
        hass,
        make_entry(
            simulator,
            "mobyt",
            options={CONF_GIVE_UP_AFTER: 2},
            recipients={"Alice": ALICE, "Bob": BOB},
        ),
    )
    gateway = entry.runtime_data.gateway
    # Unreachable: the SMS waits in the outbox (warning), then leaves it (info).
    gateway._api_url = CLOSED
    await call_action(hass, entry, "send_sms", recipients=[ALICE, BOB], message="Alarm")
    gateway._api_url = simulator.api_url("mobyt")
    await _later(hass, freezer, 31)
    assert not entry.runtime_data.sending.outbox
    # Unreachable until the deadline: given up (warning).
    gateway._api_url = CLOSED
    await call_action(hass, entry, "send_sms", recipients=[BOB], message="Alarm")
    for _ in range(5):
        await _later(hass, freezer, 31)
    assert not entry.runtime_data.sending.outbox
    gateway._api_url = simulator.api_url("mobyt")
    # A number the provider refuses.
    with contextlib.suppress(HomeAssistantError):
        await call_action(hass, entry, "send_sms", recipients=[REFUSED], message="Alarm")
    # Pushes: a received SMS, a status report, and one with a date that cannot be read.
    client = await hass_client_no_auth()
    inbound = mobyt_sms_form("hello", STRANGER, recipient=ALICE)
    for form in (
        inbound,
        {**inbound, "id": "78", "delivery_date": "yesterday"},
        {"order_id": "1", "recipient": BOB, "status": "DLVRD", "delivery_date": "x"},
    ):
        await client.post(webhook_path(entry), data=form)
    await hass.async_block_till_done()

    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("waits in the outbox" in line for line in logged)
    assert any("left the outbox" in line for line in logged)
    assert any("Gave up" in line for line in logged)
    assert any("+4179\u2022\u2022\u20224567" in line for line in logged)
    assert _full_numbers_logged(caplog) == []
