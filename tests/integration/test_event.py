"""Event entities: a received SMS and a delivery status change, as automations see them."""

from __future__ import annotations

from http import HTTPStatus

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.gateways import DeliveryStatus

from .common import (
    ClientFactory,
    entity_id_of,
    follow,
    mobyt_pushes,
    post_push,
    restart_entry,
)


@pytest.mark.parametrize(
    ("provider", "receives"),
    [("netoxygen", False), ("smsfactor", True), ("mobyt", True), ("sms123", False)],
)
async def test_event_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry, receives: bool
) -> None:
    """Every account has a delivery status event; those that can receive SMS an inbound one."""
    keys = {
        (item.domain, item.translation_key): item
        for item in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    }
    assert (("event", "inbound_sms") in keys) is receives
    delivery = keys[("event", "delivery_status")]
    state = hass.states.get(delivery.entity_id)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == [status.value for status in DeliveryStatus]
    if receives:
        inbound = hass.states.get(keys[("event", "inbound_sms")].entity_id)
        assert inbound is not None
        assert inbound.attributes["event_types"] == ["received"]
        assert keys[("event", "inbound_sms")].device_id == delivery.device_id


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_received_sms_on_the_event_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A received SMS: event type ``received``, with the sender, text and time; kept on restart."""
    freezer.move_to("2024-07-15T19:06:00+00:00")
    entity_id = entity_id_of(hass, init_integration, "event", "inbound_sms")
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, init_integration, "77", "Portail ouvert", sender="0610765432")

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "2024-07-15T19:06:00.000+00:00"
    attributes = {
        key: state.attributes[key]
        for key in (
            "event_type",
            "message_id",
            "sender",
            "recipient",
            "message",
            "received_at",
            "keyword",
            "contact",
            "trusted",
        )
    }
    assert attributes == {
        "event_type": "received",
        "message_id": "77",
        "sender": "+33610765432",
        "recipient": "+33757000001",
        "message": "Portail ouvert",
        "received_at": "2024-07-15T21:05:09+02:00",
        "keyword": None,
        "contact": None,
        "trusted": False,
    }

    await restart_entry(hass, init_integration)
    restored = hass.states.get(entity_id)
    assert restored is not None
    assert (restored.state, restored.attributes["sender"]) == (state.state, "+33610765432")


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_delivery_failure_on_the_event_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client_no_auth: ClientFactory
) -> None:
    """A failed delivery fires ``failed`` on the delivery status entity, with the message."""
    entity_id = entity_id_of(hass, init_integration, "event", "delivery_status")
    follow(init_integration, ("ABC123:+33612340000", "+33612340000"))
    report = {"order_id": "ABC123", "recipient": "+33612340000", "status": "UNKNRCPT"}
    status, _ = await post_push(await hass_client_no_auth(), init_integration, report)
    assert status == HTTPStatus.OK
    await hass.async_block_till_done()

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["event_type"] == "failed"
    assert state.attributes["message_id"] == "ABC123:+33612340000"
    assert state.attributes["recipient"] == "+33612340000"
    assert state.attributes["provider_status"] == "UNKNRCPT"
    assert state.attributes["delivered_at"] is None
    assert "status" not in state.attributes
