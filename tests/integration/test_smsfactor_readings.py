"""SMSFactor under the readings its doc leaves open (READINGS.md R10, R11), from Home Assistant."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.sms_gateways.config_flow import SECTION_ADVANCED
from custom_components.sms_gateways.const import CONF_API_URL, CONF_SENDER, DOMAIN
from tests.conftest import RunningSimulator

from .common import call_action, setup_entry
from .conftest import ALICE, REFUSED, make_entry


def _reauth_flows(hass: HomeAssistant) -> list[object]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_login_not_checked_by_getdr_ends_in_a_reauth_at_the_first_send(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """R10 unchecked: a wrong password passes setup; the first send, refused -1, starts reauth."""
    simulator.play(smsfactor__getdr_auth="unchecked")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smsfactor"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "demo@example.com",
            CONF_PASSWORD: "a wrong password",
            CONF_SENDER: "Home",
            SECTION_ADVANCED: {CONF_API_URL: simulator.api_url("smsfactor")},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY  # getDr answered: nothing better exists
    await hass.async_block_till_done()
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    assert _reauth_flows(hass) == []

    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "authentication_failed"
    await hass.async_block_till_done()
    assert len(_reauth_flows(hass)) == 1
    assert simulator.sim.state.messages == {}


@pytest.mark.parametrize("reading", ["whole_refused", "others_sent"])
async def test_minus5_says_the_message_may_have_been_sent(
    hass: HomeAssistant, simulator: RunningSimulator, reading: str
) -> None:
    """R11: under both readings the user is told it may have been sent; nothing is resent."""
    simulator.play(smsfactor__minus5=reading)
    entry = await setup_entry(hass, make_entry(simulator, "smsfactor", **{CONF_SENDER: "Home"}))
    simulator.sim.requests.clear()

    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE, REFUSED], message="Hi")
    assert err.value.translation_key.startswith("send_outcome_unknown")
    assert "refused" not in str(err.value)
    assert len(simulator.requests("/smsfactor/API/apiV2.php")) == 1
    assert _reauth_flows(hass) == []
    assert entry.state is ConfigEntryState.LOADED
