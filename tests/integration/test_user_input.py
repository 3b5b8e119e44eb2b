"""What users type reaches every path as a translated validation error, before anything leaves."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import (
    ATTR_DATA,
    ATTR_MESSAGE,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import RunningSimulator

from .common import call_action, notify_entities

CASES: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {
    "send time in 9999": (
        {"send_at": "9999-12-31T23:00:00+00:00"},
        "send_at_out_of_range",
        {
            "send_at": "9999-12-31T23:00:00+00:00",
            "earliest": "0002-01-01",
            "latest": "9999-01-01",
        },
    ),
    "send time in year 1 at +14:00": (
        {"send_at": "0001-01-01T00:00:00+14:00"},
        "send_at_out_of_range",
        {
            "send_at": "0001-01-01T00:00:00+14:00",
            "earliest": "0002-01-01",
            "latest": "9999-01-01",
        },
    ),
    "lone surrogate": (
        {"message": "Door \ud800 open"},
        "invalid_character",
        {"field": "message", "position": "6", "character": "U+D800"},
    ),
    "zero-width characters only": (
        {"message": "\u200b\u200d\ufeff"},
        "message_not_visible",
        {},
    ),
}


def _sends(simulator: RunningSimulator) -> int:
    """The requests that could have sent something (every call but the credits and status)."""
    return len(simulator.sim.state.messages)


async def _refused_unasked(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    entry: MockConfigEntry,
    action: str,
    **data: Any,
) -> ServiceValidationError:
    """The error of an action refused before any request reached the provider."""
    before = len(simulator.sim.requests)
    with pytest.raises(ServiceValidationError) as caught:
        await call_action(hass, entry, action, **data)
    assert len(simulator.sim.requests) == before
    return caught.value


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_send_sms_refuses_before_anything_leaves(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    case: str,
) -> None:
    """A ServiceValidationError with its own key and placeholders; the provider hears nothing."""
    fields, key, placeholders = CASES[case]
    refused = await _refused_unasked(
        hass,
        simulator,
        init_integration,
        "send_sms",
        **{"recipients": ["+33612345678"], "message": "Hi"} | fields,
    )
    assert refused.translation_key == key
    for name, value in placeholders.items():
        assert (refused.translation_placeholders or {})[name] == value
    assert simulator.sim.state.messages == {}


@pytest.mark.parametrize(
    ("provider", "limit"), [("netoxygen", 500), ("smsfactor", 500), ("mobyt", 500), ("sms123", 29)]
)
async def test_too_many_recipients(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    limit: int,
) -> None:
    """10,000 recipients are refused whole, with the provider's cap, and nothing is sent."""
    refused = await _refused_unasked(
        hass,
        simulator,
        init_integration,
        "send_sms",
        recipients=[f"+3361{n:07d}" for n in range(10_000)],
        message="Hi",
    )
    assert refused.translation_key == "too_many_recipients"
    placeholders = refused.translation_placeholders or {}
    assert (placeholders["count"], placeholders["limit"]) == ("10000", str(limit))


async def test_notify_entity_refuses_invisible_text(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.send_message goes through the same checks."""
    with pytest.raises(ServiceValidationError) as caught:
        await notify_entities(hass, "notify.netoxygen_demo_alice", "\u2060\u200b")
    assert caught.value.translation_key == "message_not_visible"
    assert simulator.sim.state.messages == {}


async def test_legacy_notify_refuses_send_time_out_of_range(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.<account> with ``data.send_at`` in 9999: the same error, nothing sent."""
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            "netoxygen_demo",
            {ATTR_MESSAGE: "Hi", ATTR_DATA: {"send_at": "9999-12-31T23:59:00+00:00"}},
            blocking=True,
        )
    assert caught.value.translation_key == "send_at_out_of_range"
    assert simulator.sim.state.messages == {}


@pytest.mark.parametrize("provider", ["sms123"])
async def test_notify_entities_beyond_the_cap_go_in_several_sends(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Entities notified together are gathered, but never into a send the cap refuses."""
    gateway = init_integration.runtime_data.gateway
    monkeypatch.setattr(type(gateway), "max_recipients", 1)
    await notify_entities(
        hass, ["notify.123_sms_net_demo_alice", "notify.123_sms_net_demo_bob"], "The door is open"
    )
    assert _sends(simulator) == 2


@pytest.mark.parametrize(
    "message", ["\u200b\u2060", "Door \ud800 open", "   "], ids=["invisible", "surrogate", "blank"]
)
async def test_preview_says_what_send_refuses_does_not_fit(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    message: str,
) -> None:
    """preview_sms answers (it sends nothing), and says such a message does not fit."""
    response = await call_action(hass, init_integration, "preview_sms", message=message)
    assert response is not None
    assert response["fits"] is False


@pytest.mark.parametrize("provider", ["mobyt"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+14:00", "2026-01-01T00:00:00+00:00"),
        ("2026-01-01T00:00:00+00:00", "9999-12-31T23:59:00+00:00"),
    ],
)
async def test_history_dates_out_of_range(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    start: str,
    end: str,
) -> None:
    """get_history with a date Python cannot convert: a translated error, no request."""
    refused = await _refused_unasked(
        hass, simulator, init_integration, "get_history", start=start, end=end
    )
    assert refused.translation_key == "send_at_out_of_range"
