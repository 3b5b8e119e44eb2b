"""123-SMS.net through Home Assistant: the two pairs of credentials, short ids, cancels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.sms_gateways.config_flow import SECTION_ADVANCED
from custom_components.sms_gateways.const import CONF_API_URL, DOMAIN, EVENT_DELIVERY_STATUS
from custom_components.sms_gateways.gateways.sms123 import encode_message_id
from custom_components.sms_gateways.storage import GroupedStore, entry_store_key
from custom_components.sms_gateways.tracking import DELIVERIES_STORE
from tests.conftest import RunningSimulator

from .common import call_action, restart_entry, scheduled_send, send_sms, setup_entry
from .conftest import ALICE, make_entry

WEB_PASSWORD = "demo-web-password"


async def _flow(hass: HomeAssistant, simulator: RunningSimulator, login: str, secret: str) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sms123"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: login,
            CONF_PASSWORD: secret,
            SECTION_ADVANCED: {CONF_API_URL: simulator.api_url("sms123")},
        },
    )


@pytest.mark.parametrize(
    ("login", "secret"),
    [("demo", "demo-password"), ("demo@example.com", WEB_PASSWORD)],
)
async def test_either_pair_sets_up_and_sends(
    hass: HomeAssistant, simulator: RunningSimulator, login: str, secret: str
) -> None:
    """The API key with the user name, or the web password with the address: both work."""
    result = await _flow(hass, simulator, login, secret)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    response = await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hello")

    assert response is not None
    assert response["messages"][0]["accepted"]


@pytest.mark.parametrize(
    ("login", "secret", "reading"),
    [
        ("demo", WEB_PASSWORD, "separate"),
        ("demo@example.com", "demo-password", "separate"),
        ("demo", "wrong", "shared"),
    ],
)
async def test_wrong_pairs_do_not_pass_setup(
    hass: HomeAssistant, simulator: RunningSimulator, login: str, secret: str, reading: str
) -> None:
    simulator.play(sms123__credentials=reading)

    result = await _flow(hass, simulator, login, secret)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}


@pytest.mark.parametrize("body", ["json", "bare", "xml"])
@pytest.mark.parametrize("code", ["505", "82", "E505"])
async def test_an_error_code_is_never_a_balance(
    hass: HomeAssistant, simulator: RunningSimulator, body: str, code: str
) -> None:
    """R18 and item 5: whatever the reply's form, a code refusing the login is no balance.

    R33: but a bare number on solde/ can only be a balance (its own codes are -1, -2, -3 and
    E501, E502, E505), even one that equals another function's code (505, 82).
    """
    simulator.play(sms123__reply_body=body)
    simulator.sim.state.accounts["sms123", "demo"].extra["next_codes"] = [code]

    result = await _flow(hass, simulator, "demo", "demo-password")

    if body == "bare" and code != "E505":
        assert result["type"] is FlowResultType.CREATE_ENTRY
        return
    assert result["type"] is FlowResultType.FORM
    # A bare number may be a code or a balance: then it is shown in the provider's words.
    assert result["errors"]["base"] in ("invalid_auth", "cannot_connect", "provider_refused")
    if result["errors"]["base"] == "provider_refused":
        assert code in result["description_placeholders"]["provider_error"]


async def test_a_scheduled_message_is_cancelled_by_its_short_id_after_a_restart(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    entry = await setup_entry(hass, make_entry(simulator, "sms123"))
    message_id = await scheduled_send(hass, entry, ALICE, "Secret text")
    assert len(message_id) <= 20
    await restart_entry(hass, entry)
    stored = await GroupedStore(
        hass, entry_store_key(entry.entry_id, DELIVERIES_STORE), dict
    ).async_load()
    assert stored is not None
    assert stored["messages"][message_id]["message"] == "Secret text"

    response = await call_action(hass, entry, "cancel_sms", message_id=message_id)

    assert response == {"message_id": message_id, "canceled": True}
    (sent,) = (m for m in simulator.sim.state.messages.values() if m.provider == "sms123")
    assert sent.status == "canceled"
    for state in hass.states.async_all():
        assert "Secret text" not in str(state.attributes)


async def test_a_long_id_of_earlier_versions_still_cancels(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    entry = await setup_entry(hass, make_entry(simulator, "sms123"))
    send_at = dt_util.utcnow() + timedelta(hours=2)
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Old", send_at=send_at)
    diff = dt_util.as_local(send_at).astimezone(dt_util.get_time_zone("Europe/Paris"))
    legacy = encode_message_id("41791234567", diff.strftime("%H%M%d%m%Y"), "Old")

    response = await call_action(hass, entry, "cancel_sms", message_id=legacy)

    assert response == {"message_id": legacy, "canceled": True}


@pytest.mark.parametrize("reading", ["schedule", "send"])
async def test_a_cancel_read_as_a_send_says_so_and_follows_the_new_message(
    hass: HomeAssistant, simulator: RunningSimulator, reading: str
) -> None:
    """R21: 123-SMS answers a cancel that matches nothing with 81 (or 80): a second message."""
    simulator.play(sms123__cancel_mismatch=reading)
    entry = await setup_entry(hass, make_entry(simulator, "sms123"))
    message_id = await scheduled_send(hass, entry, ALICE)
    # The provider no longer has it as scheduled (cancelled in its customer area, say): the
    # cancel matches nothing.
    (original,) = simulator.sim.state.messages.values()
    original.status = "canceled"
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)

    with pytest.raises(HomeAssistantError) as caught:
        await call_action(hass, entry, "cancel_sms", message_id=message_id)

    error = str(caught.value)
    assert "new" in error
    (event,) = events
    new_id = event.data["message_id"]
    assert new_id != message_id
    assert new_id in error
    assert len(simulator.sim.state.messages) == 2
    if reading == "send":
        assert event.data["status"] == "sent"
        return
    assert event.data["status"] == "scheduled"
    # The new one can be cancelled in turn.
    response = await call_action(hass, entry, "cancel_sms", message_id=new_id)
    assert response == {"message_id": new_id, "canceled": True}
    assert [m.status for m in simulator.sim.state.messages.values()] == ["canceled", "canceled"]


async def test_reauth_of_an_account_that_signs_in_with_its_address(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Reauth checks the new secret with both pairs too; the entry loads again."""
    entry = await setup_entry(
        hass, make_entry(simulator, "sms123", username="demo@example.com", password="old")
    )
    # Loaded all the same; the refused password is not taken for an unreachable provider.
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.coordinator.answered

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "demo-password"}
    )
    assert result["errors"] == {"base": "invalid_auth"}  # the API key goes with "demo" only
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: WEB_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    response = await send_sms(hass, entry, ALICE, message="Back")
    assert response["messages"][0]["accepted"]
