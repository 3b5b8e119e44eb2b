"""A push's form is read by ``parse_qsl``, bounded and strict: what it refuses is answered 400."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateways.const import EVENT_INBOUND_SMS
from custom_components.sms_gateways.webhook import MAX_FIELDS

from .common import webhook_path

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_PUSH = "id=77&text=%C3%A9t%C3%A9+ici&sender=%2B33610765432&recipient=%2B33757000001"
_DATE = "&delivery_date=20090309113910"


async def _post(client: Any, entry: MockConfigEntry, body: str) -> int:
    response = await client.post(webhook_path(entry), data=body, headers=_FORM)
    return response.status


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_a_form_is_read_whole_and_strictly(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client_no_auth: Any
) -> None:
    """Escapes and ``+`` are decoded; a byte that is not UTF-8, or one field too many, is 400."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    client = await hass_client_no_auth()
    not_utf8 = _PUSH.replace("%C3%A9t", "%E9t") + _DATE
    assert await _post(client, init_integration, not_utf8) == HTTPStatus.BAD_REQUEST
    # As many fields as allowed, blank ones included, are read.
    blank = "&extra=" * (MAX_FIELDS - 5)
    assert await _post(client, init_integration, _PUSH + _DATE + blank) == HTTPStatus.OK
    too_many = _PUSH.replace("77", "78") + _DATE + blank + "&x"
    assert await _post(client, init_integration, too_many) == HTTPStatus.BAD_REQUEST
    await hass.async_block_till_done()
    assert [event.data["message"] for event in events] == ["été ici"]
