"""Fixtures: config entries of each provider pointed at the simulator."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID, Platform
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_SENDER,
    DOMAIN,
    EVENT_DELIVERY_STATUS,
    EVENT_INBOUND_SMS,
    SUBENTRY_RECIPIENT,
)
from tests.conftest import RunningSimulator

from .common import setup_entry

DEMO_ACCOUNTS = {
    "netoxygen": ("demo", "demo-password"),
    "smsfactor": ("demo@example.com", "demo-password"),
    "mobyt": ("demo", "demo-password"),
    "sms123": ("demo", "demo-password"),
}
TITLES = {
    "netoxygen": "NetOxygen",
    "smsfactor": "SMSFactor",
    "mobyt": "Mobyt",
    "sms123": "123-SMS.net",
}
ALICE = "+41791234567"
BOB = "+33612345678"
REFUSED = "+33612349999"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def no_write_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes start at once: a frozen clock (``freezer``) would never end the grouping wait."""
    monkeypatch.setattr(storage, "GROUP_DELAY", 0.0)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config directory of each test's own: the integration writes its state there."""
    return hass_tmp_config_dir


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that leave out ids and times, as Home Assistant's own tests do."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


def make_entry(
    simulator: RunningSimulator,
    provider: str,
    *,
    username: str | None = None,
    password: str | None = None,
    options: dict[str, Any] | None = None,
    recipients: dict[str, str] | None = None,
    **data: Any,
) -> MockConfigEntry:
    """A config entry of ``provider`` as the flow creates it, with recipient subentries."""
    demo_user, demo_password = DEMO_ACCOUNTS[provider]
    username = username or demo_user
    # The sender is an option (config entry 1.3); a test gives it with the data for short.
    options = dict(options or {})
    if CONF_SENDER in data:
        options[CONF_SENDER] = data.pop(CONF_SENDER)
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{TITLES[provider]} {username}",
        unique_id=f"{provider}_{username.lower()}",
        data={
            CONF_PROVIDER: provider,
            CONF_USERNAME: username,
            CONF_PASSWORD: password or demo_password,
            CONF_API_URL: simulator.api_url(provider),
            CONF_WEBHOOK_ID: f"webhook-{provider}",
            **data,
        },
        options=options,
        subentries_data=[
            ConfigSubentryDataWithId(
                data={CONF_PHONE_NUMBER: number},
                subentry_id=f"recipient_{name.lower()}",
                subentry_type=SUBENTRY_RECIPIENT,
                title=name,
                unique_id=number,
            )
            for name, number in (recipients or {}).items()
        ],
    )


@pytest.fixture
def provider() -> str:
    """The provider of the entry; tests override it with parametrize."""
    return "netoxygen"


@pytest.fixture
def platforms() -> list[Platform] | None:
    """Every platform, unless a test narrows them (snapshots take one at a time)."""
    return None


@pytest.fixture
def mock_config_entry(simulator: RunningSimulator, provider: str) -> MockConfigEntry:
    """The demo account of ``provider`` with two recipients."""
    return make_entry(
        simulator, provider, recipients={"Alice": ALICE, "Bob": BOB}, **{CONF_SENDER: "Home"}
    )


@pytest.fixture
def _narrow_platforms(platforms: list[Platform] | None) -> Generator[None]:
    if platforms is None:
        yield
        return
    with patch("custom_components.sms_gateways.PLATFORMS", platforms):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, _narrow_platforms: None
) -> MockConfigEntry:
    """The entry, set up."""
    return await setup_entry(hass, mock_config_entry)


@pytest.fixture
def inbound_events(hass: HomeAssistant) -> list[Event]:
    """Every received-SMS event fired from the start of the test."""
    return async_capture_events(hass, EVENT_INBOUND_SMS)


@pytest.fixture
def delivery_events(hass: HomeAssistant) -> list[Event]:
    """Every delivery-status event fired once the fixtures before it in a test are ready."""
    return async_capture_events(hass, EVENT_DELIVERY_STATUS)


@pytest.fixture
async def mobyt_entry(
    hass: HomeAssistant, simulator: RunningSimulator, inbound_events: list[Event]
) -> MockConfigEntry:
    """The demo Mobyt account, set up after ``inbound_events`` began to listen."""
    return await setup_entry(hass, make_entry(simulator, "mobyt"))


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Entities that are disabled by default are created enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
