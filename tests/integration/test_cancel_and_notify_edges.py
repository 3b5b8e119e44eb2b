"""Cancelling a whole scheduled send when not all of it can be, and notify entities' own errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sms_gateways.const import CONF_KEEP_TRYING
from tests.conftest import RunningSimulator

from .common import action_error, call_action, control, send_error, setup_entry
from .conftest import ALICE, BOB, make_entry
from .test_sending import _cut, _later, _restore, _schedule_later, _sent


async def test_cancel_while_the_provider_cannot_be_reached(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The cancel fails in words; the send stays scheduled, and can be cancelled once back."""
    entry = init_integration
    response = await _schedule_later(hass, entry, dt_util.now() + timedelta(days=1))
    _cut(entry)
    err = await action_error(hass, entry, "cancel_sms", batch_id=response["batch_id"])
    assert err.translation_key == "cannot_connect"
    assert {m.status for m in _sent(simulator, "netoxygen")} == {"scheduled"}
    _restore(entry, simulator, "netoxygen")
    canceled = await call_action(hass, entry, "cancel_sms", batch_id=response["batch_id"])
    assert canceled is not None
    assert [m["canceled"] for m in canceled["messages"]] == [True, True]


async def test_cancel_of_a_send_partly_gone(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
) -> None:
    """One message already left: the other is cancelled, the one gone is said not to be.

    A second cancel of the same send has nothing left it can cancel: it fails in words.
    """
    entry = init_integration
    response = await _schedule_later(hass, entry, dt_util.now() + timedelta(days=1))
    alice, bob = (m["message_id"] for m in response["messages"])
    await control(session, simulator, "status", message_id=bob, status="delivered")
    canceled = await call_action(hass, entry, "cancel_sms", batch_id=response["batch_id"])
    assert canceled is not None
    by_recipient: dict[str, Any] = {m["recipient"]: m for m in canceled["messages"]}
    assert by_recipient[ALICE]["canceled"] is True
    assert by_recipient[ALICE]["error"] is None
    assert by_recipient[BOB]["canceled"] is False
    assert by_recipient[BOB]["error"]
    statuses = {m.message_id: m.status for m in _sent(simulator, "netoxygen")}
    assert statuses == {alice: "canceled", bob: "delivered"}

    err = await action_error(hass, entry, "cancel_sms", batch_id=response["batch_id"])
    assert err.translation_key == "cancel_batch_failed"
    assert err.translation_placeholders["batch_id"] == response["batch_id"]


async def test_a_scheduled_send_is_forgotten_an_hour_after_its_time(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Long after its send time a batch is no longer kept; a newer one still is."""
    entry = init_integration
    old = await _schedule_later(hass, entry, dt_util.now() + timedelta(minutes=10))
    await _later(hass, freezer, 2 * 3600)
    new = await _schedule_later(hass, entry, dt_util.now() + timedelta(days=1))
    err = await action_error(
        hass, entry, "cancel_sms", ServiceValidationError, batch_id=old["batch_id"]
    )
    assert err.translation_key == "unknown_batch"
    canceled = await call_action(hass, entry, "cancel_sms", batch_id=new["batch_id"])
    assert canceled is not None
    assert [m["canceled"] for m in canceled["messages"]] == [True, True]


async def test_notify_entity_with_a_number_the_provider_cannot_take(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A recipient whose number is no number: its call fails in words, the other is sent."""
    await setup_entry(
        hass,
        make_entry(simulator, "netoxygen", recipients={"Alice": ALICE, "Typo": "12ab"}),
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {
                ATTR_ENTITY_ID: ["notify.netoxygen_demo_alice", "notify.netoxygen_demo_typo"],
                ATTR_MESSAGE: "Hello",
            },
            blocking=True,
        )
    assert "12ab" in str(err.value.translation_placeholders)
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Hello"]


async def test_notify_entity_waits_in_the_outbox(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Unreachable: a notification does not fail, it waits and leaves once the provider is back.

    No frozen clock here: the notify calls are gathered over a short wait of the event loop.
    """
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen", recipients={"Bob": BOB}))
    _cut(entry)
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: "notify.netoxygen_demo_bob", ATTR_MESSAGE: "Later"},
        blocking=True,
    )
    assert len(entry.runtime_data.sending.outbox) == 1
    assert not _sent(simulator, "netoxygen")
    _restore(entry, simulator, "netoxygen")
    later = dt_util.utcnow() + timedelta(seconds=31)
    with patch("homeassistant.util.dt.utcnow", return_value=later):
        async_fire_time_changed(hass, later)
        await hass.async_block_till_done()
    assert [m.text for m in _sent(simulator, "netoxygen")] == ["Later"]


async def test_notify_entity_without_keep_trying_fails_in_words(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """keep_trying off and the provider unreachable: the notification fails, saying why."""
    entry = await setup_entry(
        hass,
        make_entry(
            simulator, "netoxygen", options={CONF_KEEP_TRYING: False}, recipients={"Bob": BOB}
        ),
    )
    _cut(entry)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            SERVICE_SEND_MESSAGE,
            {ATTR_ENTITY_ID: "notify.netoxygen_demo_bob", ATTR_MESSAGE: "Now or never"},
            blocking=True,
        )
    assert err.value.translation_key == "cannot_connect"
    assert not entry.runtime_data.sending.outbox
    assert not _sent(simulator, "netoxygen")


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_a_send_where_nothing_can_be_cancelled_is_not_kept_for_it(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """SMSFactor cancels nothing: its scheduled send is taken, a cancel of it is refused."""
    response = await _schedule_later(hass, init_integration, dt_util.now() + timedelta(days=1))
    assert all(m["accepted"] for m in response["messages"])
    err = await action_error(hass, init_integration, "cancel_sms", batch_id=response["batch_id"])
    assert err.translation_key == "action_not_supported"
    assert {m.status for m in _sent(simulator, "smsfactor")} == {"scheduled"}


async def test_a_send_time_out_of_any_calendar_is_refused(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A send time no provider's calendar holds is refused in words, nothing is sent."""
    err = await send_error(
        hass, init_integration, ALICE, message="Far", send_at="9999-12-31T23:59:00+00:00"
    )
    assert err.translation_key == "send_at_out_of_range"
    assert not _sent(simulator, "netoxygen")
