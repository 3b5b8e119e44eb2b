"""The config flow, reauth, reconfigure, options and recipient subentries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.config_flow import SECTION_ADVANCED
from custom_components.sms_gateways.const import (
    CONF_API_URL,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_DAILY_LIMIT,
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_INBOUND_SCAN_INTERVAL,
    CONF_KEEP_TRYING,
    CONF_LOW_CREDITS_THRESHOLD,
    CONF_MESSAGE_TYPE,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SCAN_INTERVAL,
    CONF_SENDER,
    CONF_TIME_ZONE,
    DEFAULT_ASSIST_AGENT,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from custom_components.sms_gateways.gateways import AccessDeniedError
from tests.conftest import RunningSimulator

from .conftest import ALICE, BOB, DEMO_ACCOUNTS, make_entry

UNREACHABLE = "http://127.0.0.1:9/"
"""Nothing listens on the discard port: the connection is refused."""


async def _start(hass: HomeAssistant, provider: str) -> str:
    """Open the flow at ``provider``'s credentials step; return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["netoxygen", "smsfactor", "mobyt", "sms123"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    return result["flow_id"]


def _is_required(result: Any, key: str) -> bool:
    """Whether the form of ``result`` marks ``key`` as required (shown so before submit)."""
    return any(
        marker == key and isinstance(marker, probatio.Required)
        for marker in result["data_schema"].schema
    )


def _says_our_text(result: Any, reason: str) -> None:
    """The abort dialog shows our own text for ``reason``, not Home Assistant's generic one."""
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    # None: the flow's own domain, whose translations hold the text.
    assert result.get("translation_domain") in (None, DOMAIN)


async def _start_reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """Open the reconfigure form of ``entry``; its API address is folded away."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["data_schema"].schema[SECTION_ADVANCED].options["collapsed"] is True
    return result


def _credentials(simulator: RunningSimulator, provider: str, **extra: Any) -> dict[str, Any]:
    username, password = DEMO_ACCOUNTS[provider]
    api_url = extra.pop(CONF_API_URL, simulator.api_url(provider))
    return {
        CONF_USERNAME: username,
        CONF_PASSWORD: password,
        **extra,
        SECTION_ADVANCED: {CONF_API_URL: api_url},
    }


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt", "sms123"])
async def test_create_entry(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """The provider's demo account is checked, then becomes an entry with a webhook id."""
    flow_id = await _start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, provider, **{CONF_SENDER: " Home "})
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    username, password = DEMO_ACCOUNTS[provider]
    assert result["title"].endswith(username)
    assert result["result"].unique_id == f"{provider}_{username}"
    data = dict(result["data"])
    webhook_id = data.pop(CONF_WEBHOOK_ID)
    # Where the provider pushes, the URL to paste in its console (here a local one, out of the
    # provider's reach: said so); elsewhere a note saying there is nothing to paste.
    pushes = provider in ("smsfactor", "mobyt")
    assert result["description"] == ("local_only" if pushes else "no_push")
    assert result["description_placeholders"]["webhook_url"].endswith(f"/api/webhook/{webhook_id}")
    assert data == {
        CONF_PROVIDER: provider,
        CONF_USERNAME: username,
        CONF_PASSWORD: password,
        CONF_API_URL: simulator.api_url(provider),
    }
    # The sender is not needed to connect: an option (changed in the options dialog).
    assert result["options"] == {CONF_SENDER: "Home"}
    await hass.async_block_till_done()
    assert result["result"].options == {CONF_SENDER: "Home"}
    assert result["result"].state is ConfigEntryState.LOADED


async def test_api_url_defaults_to_the_documented_base(hass: HomeAssistant) -> None:
    """The API address is folded away, prefilled with the provider's documented base."""
    flow_id = await _start(hass, "mobyt")
    form = await hass.config_entries.flow.async_configure(flow_id)
    assert list(form["data_schema"].schema) == [
        CONF_USERNAME,
        CONF_PASSWORD,
        CONF_SENDER,
        SECTION_ADVANCED,
    ]
    advanced = form["data_schema"].schema[SECTION_ADVANCED]
    assert advanced.options["collapsed"] is True
    filled = form["data_schema"]({CONF_USERNAME: "u", CONF_PASSWORD: "p", SECTION_ADVANCED: {}})
    assert filled[SECTION_ADVANCED][CONF_API_URL] == "https://api.moby.fr/"


@pytest.mark.parametrize(
    ("provider", "changes", "error"),
    [
        ("netoxygen", {CONF_PASSWORD: "wrong"}, {"base": "invalid_auth"}),
        ("mobyt", {CONF_API_URL: UNREACHABLE}, {"base": "cannot_connect"}),
        ("sms123", {CONF_API_URL: "ftp://example.com/"}, {"base": "invalid_api_url"}),
        ("netoxygen", {CONF_SENDER: "Home\u0007Alarm"}, {CONF_SENDER: "sender_unprintable"}),
        ("sms123", {CONF_SENDER: "Far too long a sender"}, {CONF_SENDER: "sender_too_long"}),
    ],
)
async def test_errors_then_recover(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    changes: dict[str, str],
    error: dict[str, str],
) -> None:
    """A refused or unreachable account shows the error; fixed, the entry is created."""
    flow_id = await _start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, provider, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error

    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, provider)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_SENDER not in result["data"]
    assert result["options"] == {}


async def test_smsfactor_needs_a_sender(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """SMSFactor refuses messages without a sender: the form marks it required up front."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smsfactor"}
    )
    flow_id = result["flow_id"]
    assert _is_required(result, CONF_SENDER)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            flow_id, _credentials(simulator, "smsfactor")
        )
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, "smsfactor", sender="  ")
    )
    assert result["errors"] == {CONF_SENDER: "sender_missing"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _credentials(
            simulator, "smsfactor", **{CONF_USERNAME: "nobody@example.com"}, sender="Home"
        ),
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, "smsfactor", sender="Home")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_SENDER not in result["data"]
    assert result["result"].options == {CONF_SENDER: "Home"}


async def test_malformed_answer_is_cannot_connect(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A proxy's error page instead of the provider's answer: the provider is not reachable."""
    flow_id = await _start(hass, "netoxygen")
    simulator.fault("/netoxygen/api2/", "malformed")
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, "netoxygen")
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_blocked_ip_is_explained(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """A provider refusing the IP address is not a wrong password: the form says why."""
    flow_id = await _start(hass, "sms123")
    refusal = AccessDeniedError("123-SMS refuses requests from this IP address")
    with patch(
        "custom_components.sms_gateways.gateways.sms123.Sms123Gateway.validate_credentials",
        side_effect=refusal,
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _credentials(simulator, "sms123")
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "access_denied"}
    assert result["description_placeholders"]["error"] == str(refusal)


async def test_unexpected_error(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """A bug in a client ends as 'unknown', not as a crashed flow."""
    flow_id = await _start(hass, "mobyt")
    with patch(
        "custom_components.sms_gateways.gateways.mobyt.MobytGateway.validate_credentials",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _credentials(simulator, "mobyt")
        )
    assert result["errors"] == {"base": "unknown"}


async def test_already_configured(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """The same account, even written in capitals, is set up once."""
    make_entry(simulator, "smsfactor").add_to_hass(hass)
    flow_id = await _start(hass, "smsfactor")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _credentials(
            simulator, "smsfactor", **{CONF_USERNAME: "Demo@Example.com", CONF_SENDER: "Home"}
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_of_a_loaded_entry(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A new password is checked, stored, and the entry reloads with it."""
    entry = init_integration
    simulator.sim.state.accounts[("netoxygen", "demo")].password = "new-password"
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_netoxygen"
    assert result["description_placeholders"][CONF_USERNAME] == "demo"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    _says_our_text(result, "reauth_successful")
    await hass.async_block_till_done()
    assert entry.data[CONF_PASSWORD] == "new-password"
    assert entry.options[CONF_SENDER] == "Home"
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_after_failed_setup(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """An entry whose password was refused at setup reads its credits once reauthenticated."""
    entry = make_entry(simulator, "mobyt", password="old-password")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Loaded all the same (its sends can still go through a fallback account).
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.coordinator.answered
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PASSWORD: "demo-password"}
    )
    _says_our_text(result, "reauth_successful")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.answered


async def test_reconfigure(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The credentials and API address change; another account is refused."""
    entry = init_integration
    result = await _start_reconfigure(hass, entry)
    assert result["step_id"] == "reconfigure_netoxygen"
    flow_id = result["flow_id"]
    good = _credentials(simulator, "netoxygen")

    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, "netoxygen", **{CONF_API_URL: "not a url"})
    )
    assert result["errors"] == {"base": "invalid_api_url"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, "netoxygen", **{CONF_API_URL: "http://[bad"})
    )
    assert result["errors"] == {"base": "invalid_api_url"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_USERNAME: "free", CONF_PASSWORD: "free-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"

    result = await _start_reconfigure(hass, entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: " demo ", CONF_PASSWORD: "demo-password", SECTION_ADVANCED: {}},
    )
    _says_our_text(result, "reconfigure_successful")
    await hass.async_block_till_done()
    assert entry.data[CONF_USERNAME] == "demo"
    assert entry.options[CONF_SENDER] == "Home"
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_of_an_entry_that_did_not_load(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """An entry pointed at a dead address (loaded, never answered) is repaired by reconfiguring."""
    entry = make_entry(simulator, "sms123", **{CONF_API_URL: UNREACHABLE})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.coordinator.answered

    result = await _start_reconfigure(hass, entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(simulator, "sms123")
    )
    _says_our_text(result, "reconfigure_successful")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.answered


SENDING_OPTIONS = (
    CONF_KEEP_TRYING,
    CONF_GIVE_UP_AFTER,
    CONF_FALLBACK_ENTRY_ID,
    CONF_DAILY_LIMIT,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
)
"""What every account's options form ends with, whatever its provider: sending and answering."""


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_options(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Mobyt's options: sender, message type, region, polling and threshold."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert list(result["data_schema"].schema) == [
        CONF_SENDER,
        CONF_MESSAGE_TYPE,
        CONF_REGION,
        CONF_TIME_ZONE,
        CONF_SCAN_INTERVAL,
        CONF_LOW_CREDITS_THRESHOLD,
        CONF_INBOUND_SCAN_INTERVAL,
        *SENDING_OPTIONS,
    ]
    assert "/api/webhook/" in result["description_placeholders"]["webhook_url"]
    flow_id = result["flow_id"]
    options = {
        CONF_SENDER: "Home",
        CONF_MESSAGE_TYPE: "l",
        CONF_SCAN_INTERVAL: 30,
        CONF_LOW_CREDITS_THRESHOLD: 5,
        CONF_INBOUND_SCAN_INTERVAL: 2,
    }
    result = await hass.config_entries.options.async_configure(
        flow_id, {**options, CONF_SENDER: "", CONF_MESSAGE_TYPE: "n"}
    )
    assert result["errors"] == {CONF_SENDER: "sender_required"}
    result = await hass.config_entries.options.async_configure(
        flow_id, {**options, CONF_SENDER: "A sender far too long"}
    )
    assert result["errors"] == {CONF_SENDER: "sender_too_long"}
    assert result["description_placeholders"]["limit"] == "11"

    result = await hass.config_entries.options.async_configure(
        flow_id, {**options, CONF_SENDER: "", CONF_REGION: "CH"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        **options,
        CONF_SENDER: "",
        CONF_REGION: "CH",
        CONF_TIME_ZONE: "Europe/Paris",
        CONF_KEEP_TRYING: True,
        CONF_GIVE_UP_AFTER: 60,
        CONF_ASSIST: False,
        CONF_ASSIST_AGENT: DEFAULT_ASSIST_AGENT,
    }
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 30 * 60
    assert entry.runtime_data.gateway.region == "CH"


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_options_without_polling(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """SMSFactor cannot be asked for credits: no polling interval, no message type."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert list(result["data_schema"].schema) == [
        CONF_SENDER,
        CONF_REGION,
        CONF_TIME_ZONE,
        CONF_LOW_CREDITS_THRESHOLD,
        *SENDING_OPTIONS,
    ]
    assert _is_required(result, CONF_SENDER)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SENDER: "", CONF_LOW_CREDITS_THRESHOLD: 0}
    )
    assert result["errors"] == {CONF_SENDER: "sender_missing"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SENDER: "Maison", CONF_LOW_CREDITS_THRESHOLD: 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the reload the new options start
    assert init_integration.options[CONF_SENDER] == "Maison"


@pytest.mark.parametrize("provider", ["netoxygen"])
async def test_options_time_zone(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The time zone defaults to the provider's assumed one, and reaches the gateway."""
    entry = init_integration
    assert entry.runtime_data.gateway.timezone.key == "Europe/Zurich"
    result = await hass.config_entries.options.async_init(entry.entry_id)
    markers = {str(marker): marker for marker in result["data_schema"].schema}
    assert markers[CONF_TIME_ZONE].default() == "Europe/Zurich"
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_TIME_ZONE: "Mars/Olympus", CONF_LOW_CREDITS_THRESHOLD: 0}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_TIME_ZONE: "America/New_York", CONF_LOW_CREDITS_THRESHOLD: 0, CONF_SCAN_INTERVAL: 60},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.gateway.timezone.key == "America/New_York"


async def _start_recipient(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    return result["flow_id"]


async def test_add_recipient(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A recipient is validated and normalised, then becomes a notify entity."""
    entry = init_integration
    flow_id = await _start_recipient(hass, entry)
    configure = hass.config_entries.subentries.async_configure

    result = await configure(flow_id, {CONF_NAME: "Carol", CONF_PHONE_NUMBER: "12"})
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    result = await configure(flow_id, {CONF_NAME: "  ", CONF_PHONE_NUMBER: "079 876 54 32"})
    assert result["errors"] == {CONF_NAME: "empty_name"}
    result = await configure(flow_id, {CONF_NAME: "Carol", CONF_PHONE_NUMBER: "079 876 54 32"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    carol = next(sub for sub in entry.subentries.values() if sub.title == "Carol")
    # NetOxygen reads national numbers as Swiss.
    assert carol.data == {CONF_PHONE_NUMBER: "+41798765432"}
    assert carol.unique_id == "+41798765432"
    assert hass.states.get("notify.netoxygen_demo_carol") is not None


async def test_add_recipient_twice(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The same number, however written, is one recipient."""
    flow_id = await _start_recipient(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_NAME: "Alice again", CONF_PHONE_NUMBER: "0041 79 123 45 67"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_recipient_region_from_options(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The region of the options decides how a national number is read."""
    entry = make_entry(simulator, "sms123", options={CONF_REGION: "CH"})
    entry.add_to_hass(hass)
    flow_id = await _start_recipient(hass, entry)
    await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_NAME: "Dan", CONF_PHONE_NUMBER: "0791234567"}
    )
    assert [sub.data[CONF_PHONE_NUMBER] for sub in entry.subentries.values()] == [ALICE]


async def test_edit_recipient(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Editing a recipient changes its name and number; a number in use is refused."""
    entry = init_integration
    alice: ConfigSubentry = next(s for s in entry.subentries.values() if s.title == "Alice")
    result = await entry.start_subentry_reconfigure_flow(hass, alice.subentry_id)
    assert result["step_id"] == "reconfigure"
    flow_id = result["flow_id"]
    configure = hass.config_entries.subentries.async_configure

    result = await configure(flow_id, {CONF_NAME: "Alice", CONF_PHONE_NUMBER: "abc"})
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    result = await configure(flow_id, {CONF_NAME: "Alice", CONF_PHONE_NUMBER: BOB})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await entry.start_subentry_reconfigure_flow(hass, alice.subentry_id)
    result = await configure(
        result["flow_id"], {CONF_NAME: "Alice (work)", CONF_PHONE_NUMBER: "+41 79 123 45 67"}
    )
    _says_our_text(result, "reconfigure_successful")
    await hass.async_block_till_done()
    edited = entry.subentries[alice.subentry_id]
    assert (edited.title, edited.data[CONF_PHONE_NUMBER]) == ("Alice (work)", ALICE)
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert sorted(device.name or "" for device in devices) == [
        "NetOxygen demo",
        "NetOxygen demo Alice (work)",
        "NetOxygen demo Bob",
    ]
    assert hass.states.get("notify.netoxygen_demo_alice") is not None


async def test_remove_recipient(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Removing a recipient removes its notify entity."""
    entry = init_integration
    bob = next(s for s in entry.subentries.values() if s.title == "Bob")
    assert hass.states.get("notify.netoxygen_demo_bob") is not None
    assert hass.config_entries.async_remove_subentry(entry, bob.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("notify.netoxygen_demo_bob") is None
    assert hass.states.get("notify.netoxygen_demo_alice") is not None


# --- a refusal in a form the doc does not give: the provider's words, never "Unexpected error" --

_UNDOCUMENTED_REFUSALS = {
    "mobyt": ("text/plain", "KO|77|Compte+suspendu", "77: Compte suspendu"),
    "netoxygen": (
        "text/xml",
        (
            '<?xml version="1.0"?><methodResponse><fault><value><struct>'
            "<member><name>faultCode</name><value><int>42</int></value></member>"
            "<member><name>faultString</name><value><string>Compte suspendu</string></value>"
            "</member></struct></value></fault></methodResponse>"
        ),
        "42: Compte suspendu",
    ),
    "sms123": (
        "application/json",
        '{"code": "777", "message": "Compte suspendu"}',
        "777: Compte suspendu",
    ),
}


@pytest.fixture
async def refusing(socket_enabled: None) -> AsyncIterator[str]:
    """A provider that answers every call with an undocumented refusal; its base URL.

    The provider is the first path segment (``/mobyt/...``), so one server plays them all.
    """

    async def answer(request: web.Request) -> web.Response:
        provider = request.path.strip("/").split("/", 1)[0]
        content_type, body, _words = _UNDOCUMENTED_REFUSALS[provider]
        return web.Response(text=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()


def _assert_provider_words(result: Any, provider: str) -> None:
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "provider_refused"}
    placeholders = result["description_placeholders"]
    assert placeholders["provider_error"] == _UNDOCUMENTED_REFUSALS[provider][2]
    assert placeholders["provider"] == {"mobyt": "Mobyt", "netoxygen": "NetOxygen"}.get(
        provider, placeholders["provider"]
    )


@pytest.mark.parametrize("provider", sorted(_UNDOCUMENTED_REFUSALS))
async def test_an_undocumented_refusal_quotes_the_provider(
    hass: HomeAssistant, simulator: RunningSimulator, refusing: str, provider: str
) -> None:
    flow_id = await _start(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _credentials(simulator, provider, **{CONF_API_URL: f"{refusing}{provider}/"}),
    )
    _assert_provider_words(result, provider)
    # The words reach the user in their language.
    translations = await async_get_translations(hass, "fr", "config", [DOMAIN])
    text = translations[f"component.{DOMAIN}.config.error.provider_refused"]
    shown = text.format(**result["description_placeholders"])
    assert _UNDOCUMENTED_REFUSALS[provider][2] in shown
    # Fixed at the provider, the entry is created.
    result = await hass.config_entries.flow.async_configure(
        flow_id, _credentials(simulator, provider)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", sorted(_UNDOCUMENTED_REFUSALS))
async def test_an_undocumented_refusal_at_reauth_quotes_the_provider(
    hass: HomeAssistant, simulator: RunningSimulator, refusing: str, provider: str
) -> None:
    entry = make_entry(simulator, provider, **{CONF_API_URL: f"{refusing}{provider}/"})
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    _assert_provider_words(result, provider)


@pytest.mark.parametrize("provider", sorted(_UNDOCUMENTED_REFUSALS))
async def test_an_undocumented_refusal_at_reconfigure_quotes_the_provider(
    hass: HomeAssistant, simulator: RunningSimulator, refusing: str, provider: str
) -> None:
    entry = make_entry(simulator, provider)
    entry.add_to_hass(hass)
    result = await _start_reconfigure(hass, entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _credentials(simulator, provider, **{CONF_API_URL: f"{refusing}{provider}/"}),
    )
    _assert_provider_words(result, provider)


@pytest.mark.parametrize(
    ("provider", "username_label", "password_label"),
    [
        ("netoxygen", "Username", "Password"),
        ("smsfactor", "Email", "Password"),
        ("mobyt", "Login", "Password"),
        ("sms123", "User", "API key"),
    ],
)
async def test_reauth_and_reconfigure_use_the_provider_words(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    username_label: str,
    password_label: str,
) -> None:
    """Each provider's forms name its fields as its set-up form does (123-SMS.net: its key)."""
    entry = make_entry(simulator, provider)
    entry.add_to_hass(hass)
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    steps = f"component.{DOMAIN}.config.step"

    reauth = await entry.start_reauth_flow(hass)
    assert reauth["step_id"] == f"reauth_{provider}"
    assert translations[f"{steps}.{reauth['step_id']}.data.password"] == password_label
    reauth_help = translations[f"{steps}.{reauth['step_id']}.data_description.password"]
    assert ("123-SMS" in reauth_help or "cleAPI" in reauth_help) == (provider == "sms123")

    result = await _start_reconfigure(hass, entry)
    step = result["step_id"]
    assert step == f"reconfigure_{provider}"
    assert translations[f"{steps}.{step}.data.username"] == username_label
    assert translations[f"{steps}.{step}.data.password"] == password_label
    assert (
        translations[f"{steps}.{step}.data.username"]
        == (translations[f"{steps}.{provider}.data.username"])
    )


async def test_reconfigure_keeps_the_password_left_empty(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Changing only the API address does not ask for the password again."""
    entry = make_entry(simulator, "netoxygen", **{CONF_API_URL: UNREACHABLE})
    entry.add_to_hass(hass)
    result = await _start_reconfigure(hass, entry)
    assert not _is_required(result, CONF_PASSWORD)
    new_url = simulator.api_url("netoxygen")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "demo", SECTION_ADVANCED: {CONF_API_URL: new_url}}
    )
    _says_our_text(result, "reconfigure_successful")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_API_URL] == new_url
    assert entry.data[CONF_PASSWORD] == DEMO_ACCOUNTS["netoxygen"][1]
