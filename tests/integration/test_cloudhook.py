"""The webhook URL a provider can reach: a Home Assistant Cloud cloudhook, or the external URL."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, Mock

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.config_flow import SECTION_ADVANCED
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_CLOUDHOOK_URL,
    CONF_SENDER,
    DOMAIN,
)
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import DEMO_ACCOUNTS, make_entry

CLOUDHOOK = "https://hooks.nabu.casa/secret-part"


class CloudNotAvailableError(Exception):
    """Cloud's own error when it cannot make or delete a cloudhook now."""


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Home Assistant Cloud, loaded, with an active subscription and its cloudhook calls mocked.

    Cloud's own module is a stand-in: the real one needs assist's and camera's requirements
    (requirements_dev.txt), which the test requirements do not install; the integration only
    ever reads it from ``sys.modules``, as Home Assistant left it once Cloud was loaded.
    """
    module = ModuleType("homeassistant.components.cloud")
    module.CloudNotAvailable = CloudNotAvailableError  # type: ignore[attr-defined]
    module.async_active_subscription = Mock(return_value=True)  # type: ignore[attr-defined]
    module.async_create_cloudhook = AsyncMock(return_value=CLOUDHOOK)  # type: ignore[attr-defined]
    module.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", module)
    return module


@pytest.fixture(autouse=True)
def no_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cloud not loaded unless a test asks for it (the real one may be importable here)."""
    monkeypatch.delitem(sys.modules, "homeassistant.components.cloud", raising=False)


async def _create(hass: HomeAssistant, simulator: RunningSimulator, provider: str) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    username, password = DEMO_ACCOUNTS[provider]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
            SECTION_ADVANCED: {CONF_API_URL: simulator.api_url(provider)},
            CONF_SENDER: "Home",
        },
    )


@pytest.mark.parametrize("provider", ["smsfactor", "mobyt"])
async def test_cloudhook_when_cloud_is_active(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType, provider: str
) -> None:
    """The URL shown is the cloudhook; it is deleted with the entry."""
    result = await _create(hass, simulator, provider)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] is None
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    entry = result["result"]
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    cloud.async_create_cloudhook.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    await hass.async_block_till_done()

    options = await hass.config_entries.options.async_init(entry.entry_id)
    assert options["description_placeholders"]["webhook_url"] == CLOUDHOOK

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])


async def test_no_cloudhook_where_nothing_is_pushed(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """NetOxygen pushes nothing: no cloudhook is made for it."""
    result = await _create(hass, simulator, "netoxygen")
    assert result["description"] == "no_push"
    assert CONF_CLOUDHOOK_URL not in result["result"].data
    cloud.async_create_cloudhook.assert_not_awaited()


async def _set_up_with_cloud(hass: HomeAssistant, simulator: RunningSimulator) -> MockConfigEntry:
    """A Mobyt entry set up while Cloud is active: it holds its cloudhook."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    return entry


async def test_cloudhook_for_an_existing_entry(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """An entry made before Cloud was active gets its cloudhook at the next start."""
    await _set_up_with_cloud(hass, simulator)
    cloud.async_create_cloudhook.assert_awaited_once()


async def test_external_url_is_reachable(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Without Cloud, an external URL is shown as the one to paste."""
    await async_process_ha_core_config(hass, {"external_url": "https://home.example.com"})
    result = await _create(hass, simulator, "mobyt")
    assert result["description"] is None
    assert result["description_placeholders"]["webhook_url"].startswith(
        "https://home.example.com/api/webhook/"
    )


async def test_local_url_is_said_to_be_out_of_reach(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Neither an external URL nor Cloud: the message says the provider cannot reach it."""
    result = await _create(hass, simulator, "smsfactor")
    assert result["description"] == "local_only"
    assert CONF_CLOUDHOOK_URL not in result["result"].data


async def test_no_cloudhook_without_a_subscription(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """Cloud is loaded but not subscribed: the local URL, said to be out of the provider's reach."""
    cloud.async_active_subscription.return_value = False
    result = await _create(hass, simulator, "mobyt")
    assert result["description"] == "local_only"
    assert "hooks.nabu.casa" not in result["description_placeholders"]["webhook_url"]
    assert CONF_CLOUDHOOK_URL not in result["result"].data
    cloud.async_create_cloudhook.assert_not_awaited()


async def test_cloud_not_available_falls_back_to_the_local_url(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """Cloud cannot make the cloudhook now: the entry is made all the same, with the local URL."""
    cloud.async_create_cloudhook.side_effect = CloudNotAvailableError
    result = await _create(hass, simulator, "smsfactor")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "local_only"
    assert result["description_placeholders"]["webhook_url"].endswith(
        f"/api/webhook/{result['result'].data[CONF_WEBHOOK_ID]}"
    )
    assert CONF_CLOUDHOOK_URL not in result["result"].data
    cloud.async_create_cloudhook.assert_awaited()


async def test_entry_removed_while_cloud_is_not_available(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """Cloud cannot delete the cloudhook now: the entry is removed all the same."""
    entry = await _set_up_with_cloud(hass, simulator)
    cloud.async_delete_cloudhook.side_effect = CloudNotAvailableError
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])


async def test_entry_without_cloudhook_removed_with_cloud_loaded(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: ModuleType
) -> None:
    """An entry that never had a cloudhook asks Cloud to delete none."""
    entry = await setup_entry(hass, make_entry(simulator, "netoxygen"))
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    cloud.async_delete_cloudhook.assert_not_awaited()
