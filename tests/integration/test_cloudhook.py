"""The webhook URL a provider can reach: a Home Assistant Cloud cloudhook, or the external URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
import pytest

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

# Cloud's module needs assist's and camera's requirements (requirements_dev.txt, script/develop).
pytest.importorskip("homeassistant.components.cloud", exc_type=ImportError)

CLOUDHOOK = "https://hooks.nabu.casa/secret-part"


@pytest.fixture
def cloud() -> Iterator[dict[str, Any]]:
    """Home Assistant Cloud with an active subscription, its cloudhooks mocked."""
    create = AsyncMock(return_value=CLOUDHOOK)
    delete = AsyncMock()
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch("homeassistant.components.cloud.async_create_cloudhook", create),
        patch("homeassistant.components.cloud.async_delete_cloudhook", delete),
    ):
        yield {"create": create, "delete": delete}


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
    hass: HomeAssistant, simulator: RunningSimulator, cloud: dict[str, Any], provider: str
) -> None:
    """The URL shown is the cloudhook; it is deleted with the entry."""
    result = await _create(hass, simulator, provider)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] is None
    assert result["description_placeholders"]["webhook_url"] == CLOUDHOOK
    entry = result["result"]
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    cloud["create"].assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])
    await hass.async_block_till_done()

    options = await hass.config_entries.options.async_init(entry.entry_id)
    assert options["description_placeholders"]["webhook_url"] == CLOUDHOOK

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    cloud["delete"].assert_awaited_once_with(hass, entry.data[CONF_WEBHOOK_ID])


async def test_no_cloudhook_where_nothing_is_pushed(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: dict[str, Any]
) -> None:
    """NetOxygen pushes nothing: no cloudhook is made for it."""
    result = await _create(hass, simulator, "netoxygen")
    assert result["description"] == "no_push"
    assert CONF_CLOUDHOOK_URL not in result["result"].data
    cloud["create"].assert_not_awaited()


async def test_cloudhook_for_an_existing_entry(
    hass: HomeAssistant, simulator: RunningSimulator, cloud: dict[str, Any]
) -> None:
    """An entry made before Cloud was active gets its cloudhook at the next start."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    cloud["create"].assert_awaited_once()


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
