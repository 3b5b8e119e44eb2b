"""Credentials never reach the logs, whatever happens."""

from __future__ import annotations

import logging

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.sms_gateways.const import DOMAIN
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import ALICE, DEMO_ACCOUNTS, REFUSED, make_entry

OLD_PASSWORD = "old-Secret-0ld"
NEW_PASSWORD = "new-Secret-N3w"


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
async def test_no_secret_in_the_logs(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    """Send, fail, re-authenticate with debug logging: no password or API key is logged."""
    caplog.set_level(logging.DEBUG)
    username = DEMO_ACCOUNTS[provider][0]
    account = simulator.sim.state.accounts[(provider, username)]
    account.password = OLD_PASSWORD
    entry = await setup_entry(
        hass, make_entry(simulator, provider, password=OLD_PASSWORD, sender="Home")
    )

    async def send(recipients: list[str], message: str) -> None:
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {ATTR_CONFIG_ENTRY_ID: entry.entry_id, "recipients": recipients, "message": message},
            blocking=True,
        )

    await send([ALICE], "First")
    with pytest.raises(HomeAssistantError):
        await send([REFUSED], "Refused")

    # The password is changed at the provider: the send fails and a reauth starts.
    account.password = NEW_PASSWORD
    with pytest.raises(HomeAssistantError):
        await send([ALICE], "Second")
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: "wrong-Secret-Wr0ng"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    await send([ALICE], "Third")

    ours = [
        record
        for record in caplog.records
        if not record.name.startswith(("simulator", "aiohttp.access"))
    ]
    assert any(record.levelno == logging.DEBUG for record in ours)
    logged = "\n".join([caplog.handler.format(record) for record in ours] + [caplog.text])
    for secret in (OLD_PASSWORD, NEW_PASSWORD, "wrong-Secret-Wr0ng"):
        assert secret not in logged
