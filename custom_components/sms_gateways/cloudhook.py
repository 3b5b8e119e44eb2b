"""Where a provider can reach the account's webhook: Home Assistant Cloud, or the external URL.

With an active Home Assistant Cloud subscription the webhook gets a cloudhook, as core's webhook
integrations do: SMSFactor and Mobyt then reach a home without port forwarding. The cloudhook is
deleted with the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
import sys
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_CLOUDHOOK_URL
from .webhook import async_webhook_url

if TYPE_CHECKING:
    from types import ModuleType

_LOGGER = logging.getLogger(__name__)
_CLOUD = "homeassistant.components.cloud"


def _cloud() -> ModuleType | None:
    """Home Assistant Cloud's module once Home Assistant has loaded it, else None.

    Never imported here: it pulls in assist, camera and their requirements, which a home
    without Cloud (and the test requirements) need not have; without it Cloud is not active.
    """
    return sys.modules.get(_CLOUD)


async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """A cloudhook URL for the webhook when Home Assistant Cloud is active, else None."""
    cloud = _cloud()
    if cloud is None or not cloud.async_active_subscription(hass):
        return None
    try:
        url: str = await cloud.async_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable as err:
        _LOGGER.debug("No cloudhook for the webhook (%s): the local URL is used", type(err))
        return None
    return url


async def async_delete_cloudhook(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Delete the entry's cloudhook, if it has one."""
    cloud = _cloud()
    if not data.get(CONF_CLOUDHOOK_URL) or cloud is None:
        return
    try:
        await cloud.async_delete_cloudhook(hass, data[CONF_WEBHOOK_ID])
    except cloud.CloudNotAvailable:
        _LOGGER.debug("Home Assistant Cloud is not available: the cloudhook is left to it")


@callback
def async_entry_webhook_url(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The URL the provider pushes to: the cloudhook, else Home Assistant's own."""
    cloudhook: str | None = data.get(CONF_CLOUDHOOK_URL)
    return cloudhook or async_webhook_url(hass, data[CONF_WEBHOOK_ID])


@callback
def async_reachable_from_internet(hass: HomeAssistant, data: Mapping[str, Any]) -> bool:
    """Whether a provider on the internet can reach the webhook: a cloudhook or an external URL."""
    if data.get(CONF_CLOUDHOOK_URL):
        return True
    try:
        get_url(hass, allow_internal=False, allow_cloud=False)
    except NoURLAvailableError:
        return False
    return True
