"""R24, R26, R27, R31 from Home Assistant: what a user sees under each reading of the doc.

- A recipient that may have been sent reads ``accepted: true, status: unknown`` for every
  provider: never ``failed``, never in the outbox, never sent through the fallback account.
- A cancel whose answer does not say is "may have been cancelled", never "could not be".
- Each provider's sender rule, and no other, in the set-up form.
- NetOxygen's "current error code" is shown as the provider words it, and still followed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sms_gateways.config_flow import SECTION_ADVANCED
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_FALLBACK_ENTRY_ID,
    CONF_SENDER,
    DOMAIN,
)
from tests.conftest import RunningSimulator

from .common import (
    action_error,
    call_action,
    entity_id_of,
    scheduled_send,
    send_error,
    send_sms,
    setup_entry,
)
from .conftest import make_entry

TECHNICAL = "+33612342020"  # 123-SMS answers -2 "Erreur technique" (R24)
BLOCKED = "+33612341010"  # 123-SMS answers 101 "Info" (R33)
GATEWAY_ERROR = "+41791232222"  # NetOxygen: 2/7 Gateway error once sent (R31)


def _last_status(hass: HomeAssistant, entry: Any) -> Any:
    state = hass.states.get(entity_id_of(hass, entry, "sensor", "last_delivery_status"))
    assert state is not None
    return state


@pytest.mark.parametrize("played", ["not_sent", "sent"])
@pytest.mark.parametrize(
    ("number", "point"), [(TECHNICAL, "technical_error"), (BLOCKED, "info_101")]
)
async def test_a_recipient_that_may_have_been_sent_is_never_shown_failed(
    hass: HomeAssistant, simulator: RunningSimulator, number: str, point: str, played: str
) -> None:
    """123-SMS's -2 or 101 for a later recipient: unknown, kept out of outbox and fallback."""
    simulator.play(**{f"sms123__{point}": played})
    fallback = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    entry = await setup_entry(
        hass,
        make_entry(simulator, "sms123", options={CONF_FALLBACK_ENTRY_ID: fallback.entry_id}),
    )

    response = await call_action(
        hass, entry, "send_sms", recipients=["+33612345601", number], message="Alarm"
    )

    assert response is not None
    first, maybe = response["messages"]
    assert (first["accepted"], first["status"]) == (True, "sent")
    assert (maybe["accepted"], maybe["status"], maybe["sent_by"]) == (
        True,
        "unknown",
        entry.entry_id,
    )
    assert "may have been sent" in maybe["error"]
    assert entry.runtime_data.sending.outbox == {}
    assert not [m for m in simulator.sim.state.messages.values() if m.provider == "netoxygen"]
    assert len(simulator.requests("/sms123/api/send/")) == 2  # each recipient once
    await hass.async_block_till_done()
    assert _last_status(hass, entry).state != "failed"


async def test_a_single_recipient_that_may_have_been_sent_is_said_so(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Alone, -2 is the whole send's outcome: "may have been sent", never "refused"."""
    entry = await setup_entry(hass, make_entry(simulator, "sms123"))
    error = await send_error(hass, entry, TECHNICAL, message="Alarm")
    assert error.translation_key == "send_outcome_unknown"
    assert entry.runtime_data.sending.outbox == {}
    # Said once: the provider's words are quoted without the adapter's own "may have been sent".
    assert str(error).lower().count("may have been sent") == 1, str(error)
    assert str(error).lower().count("not sent again") == 1, str(error)


async def _refused_cancel(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str, recipient: str
) -> tuple[MockConfigEntry, str, HomeAssistantError]:
    """An entry of ``provider``, its message scheduled to ``recipient``, and its cancel's error."""
    entry = await setup_entry(hass, make_entry(simulator, provider))
    message_id = await scheduled_send(hass, entry, recipient)
    error = await action_error(hass, entry, "cancel_sms", message_id=message_id)
    return entry, message_id, error


@pytest.mark.parametrize("played", ["technical_error", "undocumented", "unreadable"])
async def test_a_cancel_whose_answer_does_not_say_may_have_happened(
    hass: HomeAssistant, simulator: RunningSimulator, played: str
) -> None:
    simulator.play(sms123__cancel_answer=played)
    entry, _, error = await _refused_cancel(hass, simulator, "sms123", "+33612345601")
    assert error.translation_key == "cancel_outcome_unknown"
    assert "may have been cancelled" in str(error)

    send_at = dt_util.utcnow() + timedelta(hours=2)
    other = await send_sms(hass, entry, "+33612345602", message="Later", send_at=send_at)
    batch = await action_error(hass, entry, "cancel_sms", batch_id=other["batch_id"])
    assert batch.translation_key == "cancel_batch_outcome_unknown"
    assert "may have been cancelled" in str(batch)


async def test_netoxygen_cancel_false_gives_no_invented_reason(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    simulator.play(netoxygen__cancel_false="any_failure")
    entry, message_id, error = await _refused_cancel(hass, simulator, "netoxygen", "+41791234567")
    assert error.translation_key == "cancel_failed"
    assert "no reason" in str(error)
    assert "scheduled message of this account" not in str(error)
    assert await call_action(hass, entry, "cancel_sms", message_id=message_id) == {
        "message_id": message_id,
        "canceled": True,
    }


# --- R27: each provider's sender rule in the set-up form -----------------------------------------


async def _configure(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str, sender: str
) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    users = {
        "netoxygen": ("demo", "demo-password"),
        "smsfactor": ("demo@example.com", "demo-password"),
        "sms123": ("demo", "demo-password"),
    }
    username, password = users[provider]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
            CONF_SENDER: sender,
            SECTION_ADVANCED: {CONF_API_URL: simulator.api_url(provider)},
        },
    )


@pytest.mark.parametrize(
    ("provider", "sender", "error", "limit"),
    [
        # NetOxygen: no limit documented, and its own default is textobox.ch.
        ("netoxygen", "textobox.ch", None, None),
        ("netoxygen", "+447911123456789", None, None),
        ("netoxygen", "Maison Dupont SA", None, None),
        # 123-SMS: "il ne doit pas dépasser 11 caractères", a length only.
        ("sms123", "Café & Co", None, None),
        ("sms123", "Maison Dupont", "sender_too_long", "11"),
        # SMSFactor: "11 caractères alphanumériques".
        ("smsfactor", "33612345678", None, None),
        ("smsfactor", "My Home", "sender_not_alphanumeric", None),
        ("smsfactor", "MaisonDupont", "sender_too_long", "11"),
    ],
)
async def test_each_provider_holds_the_sender_to_its_doc(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    sender: str,
    error: str | None,
    limit: str | None,
) -> None:
    result = await _configure(hass, simulator, provider, sender)
    if error is None:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["options"][CONF_SENDER] == sender
        return
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SENDER: error}
    if limit is not None:
        assert result["description_placeholders"]["limit"] == limit


async def test_netoxygen_sends_with_its_documented_default_sender(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen", sender="textobox.ch"))
    response = await send_sms(hass, entry, "+41791234567", message="Hi")
    assert response["messages"][0]["accepted"]
    (message,) = simulator.sim.state.messages.values()
    assert message.sender == "textobox.ch"


# --- R31: NetOxygen's current error is followed, not final ---------------------------------------


@pytest.mark.parametrize("reading", ["transient", "final"])
async def test_a_current_error_is_shown_and_still_followed(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    reading: str,
) -> None:
    simulator.play(netoxygen__current_error=reading)
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    response = await send_sms(hass, entry, GATEWAY_ERROR, message="Hi")
    message_id = response["messages"][0]["message_id"]
    simulator.sim.state.messages[message_id].status = "sent"

    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    state = _last_status(hass, entry)
    assert state.state == "unknown"
    assert state.attributes["provider_status"].startswith("2/7 Gateway error")
    assert "may still change" in state.attributes["provider_status"]
    assert message_id in entry.runtime_data.tracker.pending

    simulator.sim.state.messages[message_id].status = "delivered"
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    if reading == "transient":
        assert _last_status(hass, entry).state == "delivered"
        assert message_id not in entry.runtime_data.tracker.pending
    else:
        assert _last_status(hass, entry).state == "unknown"
        assert message_id in entry.runtime_data.tracker.pending
        # Bounded: after the tracker's 48 hours it is no longer asked about.
        freezer.tick(timedelta(hours=49))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert message_id not in entry.runtime_data.tracker.pending


async def test_a_notification_that_may_have_been_sent_says_so(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Two notify entities, one send: the unknown one hears "may have been sent".

    A notification has no response to read, so it is said; the other succeeds; nothing is
    repeated, nothing waits in the outbox.
    """
    entry = await setup_entry(
        hass,
        make_entry(simulator, "sms123", recipients={"Alice": "+33612345601", "Tech": TECHNICAL}),
    )

    async def notify(entity: str) -> BaseException | None:
        try:
            await hass.services.async_call(
                "notify",
                "send_message",
                {"entity_id": entity, "message": "Alarm"},
                blocking=True,
            )
        except HomeAssistantError as err:
            return err
        return None

    alice, tech = await asyncio.gather(
        notify("notify.123_sms_net_demo_alice"), notify("notify.123_sms_net_demo_tech")
    )
    sends = simulator.requests("/sms123/api/send/")
    outcomes = {"alice": alice, "tech": tech}
    failed = {name: err for name, err in outcomes.items() if err is not None}
    # -2 to the first request of a send stops it for every caller (the others are not tried);
    # to a later one, only the technical number's caller hears it.
    assert set(failed) == ({"tech"} if len(sends) == 2 else {"alice", "tech"})
    assert all(
        isinstance(err, HomeAssistantError)
        and (err.translation_key or "").startswith("send_outcome_unknown")
        for err in failed.values()
    )
    assert entry.runtime_data.sending.outbox == {}
