"""Notify: the recipients' entities and the account's legacy notify service."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from homeassistant.components import notify
from homeassistant.components.notify import (
    ATTR_DATA,
    ATTR_MESSAGE,
    ATTR_TARGET,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import CONF_PHONE_NUMBER, SUBENTRY_RECIPIENT
from tests.conftest import RunningSimulator

from .common import notify_entities, setup_entry
from .conftest import ALICE, BOB, REFUSED, make_entry


def _texts(simulator: RunningSimulator) -> list[tuple[str, str, str | None]]:
    return [
        (message.recipient.lstrip("+"), message.text, message.sender)
        for message in simulator.sim.state.messages.values()
    ]


async def test_send_message_entity(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.send_message reaches the recipient, the title on the first line."""
    assert hass.states.get("notify.netoxygen_demo_alice").state == STATE_UNKNOWN
    await notify_entities(hass, "notify.netoxygen_demo_alice", "The door is open", title="Alarm")
    await notify_entities(hass, "notify.netoxygen_demo_bob", "Hello")
    assert _texts(simulator) == [
        (ALICE.lstrip("+"), "Alarm\nThe door is open", "Home"),
        (BOB.lstrip("+"), "Hello", "Home"),
    ]
    assert hass.states.get("notify.netoxygen_demo_alice").state != STATE_UNKNOWN


async def test_send_message_entity_refused(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A recipient the provider refuses makes the action fail with the reason."""
    await setup_entry(hass, make_entry(simulator, "sms123", recipients={"Nobody": REFUSED}))
    with pytest.raises(HomeAssistantError) as err:
        await notify_entities(hass, "notify.123_sms_net_demo_nobody", "Hello")
    assert err.value.translation_key == "recipient_refused"


async def test_legacy_service_to_every_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """notify.<account> without a target sends to every recipient of the account."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "netoxygen_demo",
        {ATTR_MESSAGE: "Water leak", ATTR_TITLE: "Cellar"},
        blocking=True,
    )
    assert sorted(_texts(simulator)) == [
        (BOB.lstrip("+"), "Cellar\nWater leak", "Home"),
        (ALICE.lstrip("+"), "Cellar\nWater leak", "Home"),
    ]


async def test_legacy_service_with_target_and_data(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """``target`` picks the numbers; ``data`` carries the sender and send options."""
    send_at = dt_util.now() + timedelta(hours=2)
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        "netoxygen_demo",
        {
            ATTR_MESSAGE: "Later",
            ATTR_TARGET: ["+33 6 12 34 56 78"],
            ATTR_DATA: {"sender": "Alarm", "send_at": send_at.isoformat(), "flash": True},
        },
        blocking=True,
    )
    [message] = simulator.sim.state.messages.values()
    assert (message.recipient.lstrip("+"), message.text, message.sender) == (
        BOB.lstrip("+"),
        "Later",
        "Alarm",
    )
    assert message.status == "scheduled"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"color": "red"}, "invalid_notify_data"),
        ({"message_type": "X"}, "invalid_notify_data"),
        ({"bookmark_url": "https://example.com"}, "option_not_supported"),
    ],
)
async def test_legacy_service_bad_data(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    data: dict[str, str],
    key: str,
) -> None:
    """Unknown or invalid ``data`` is refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN,
            "netoxygen_demo",
            {ATTR_MESSAGE: "Hi", ATTR_DATA: data},
            blocking=True,
        )
    assert err.value.translation_key == key
    assert simulator.sim.state.messages == {}


async def test_legacy_service_without_recipients(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """No target and no recipient: nothing to send to, and it is said so."""
    await setup_entry(hass, make_entry(simulator, "mobyt"))
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            NOTIFY_DOMAIN, "mobyt_demo", {ATTR_MESSAGE: "Hi"}, blocking=True
        )
    assert err.value.translation_key == "notify_account_no_recipients"
    assert str(err.value) == (
        "No recipient: give a target, or add a recipient to Mobyt demo (it has none yet)"
    )


CAROL = "+33698765432"


def _sent(simulator: RunningSimulator) -> list[tuple[str, str, str]]:
    """(provider, recipient, text) of every message the simulator took, in order."""
    return sorted(
        (message.provider, message.recipient.lstrip("+"), message.text)
        for message in simulator.sim.state.messages.values()
    )


def _taken(simulator: RunningSimulator) -> list[tuple[str, str, str]]:
    """What ``_sent`` says, then forgotten: the next call says only what came after."""
    sent = _sent(simulator)
    simulator.sim.state.messages.clear()
    return sent


def _our_services(hass: HomeAssistant) -> set[str]:
    """The legacy notify services of the integration that exist now."""
    return {
        name
        for name in hass.services.async_services_for_domain(NOTIFY_DOMAIN)
        if name.startswith(("sms_gateways", "netoxygen_demo", "123_sms_net_demo"))
    }


async def _notify(hass: HomeAssistant, service: str, **data: object) -> None:
    await hass.services.async_call(NOTIFY_DOMAIN, service, dict(data), blocking=True)


async def test_legacy_services_follow_the_entries(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """One platform for every account: entries loaded, unloaded and reloaded update it."""
    netoxygen = init_integration
    # No service per recipient: the recipients' notify entities serve them.
    assert _our_services(hass) == {"sms_gateways", "netoxygen_demo"}
    # With a single account, notify.sms_gateways takes numbers and recipients' names too.
    await _notify(hass, "sms_gateways", message="One", target=[ALICE])
    await _notify(hass, "sms_gateways", message="Two", target=["Bob"])
    assert _taken(simulator) == [
        ("netoxygen", BOB.lstrip("+"), "Two"),
        ("netoxygen", ALICE.lstrip("+"), "One"),
    ]

    # A second account: its services appear, no restart.
    sms123 = await setup_entry(hass, make_entry(simulator, "sms123", recipients={"Carol": BOB}))
    assert _our_services(hass) == {"sms_gateways", "netoxygen_demo", "123_sms_net_demo"}
    await _notify(hass, "sms_gateways", message="Everyone", title="Fire")
    # Bob is a recipient of both accounts: one message, through the first account.
    assert _taken(simulator) == [
        ("netoxygen", BOB.lstrip("+"), "Fire\nEveryone"),
        ("netoxygen", ALICE.lstrip("+"), "Fire\nEveryone"),
    ]

    # Each recipient by its name goes through its own account.
    await _notify(hass, "sms_gateways", message="Hi", target=["123_sms_net_demo_carol"])
    await _notify(hass, "sms_gateways", message="Hello", target=["NetOxygen demo Bob"])
    await _notify(hass, "123_sms_net_demo", message="Numbers", target=[ALICE])
    assert _taken(simulator) == [
        ("netoxygen", BOB.lstrip("+"), "Hello"),
        ("sms123", BOB.lstrip("+"), "Hi"),
        ("sms123", ALICE.lstrip("+"), "Numbers"),
    ]

    # A bare number with two accounts: which one should send it is not guessed.
    with pytest.raises(ServiceValidationError) as err:
        await _notify(hass, "sms_gateways", message="Who?", target=[ALICE])
    assert err.value.translation_key == "notify_target_unknown"
    assert simulator.sim.state.messages == {}

    # Unloaded, an account keeps its services: a call says it is not loaded, never nothing.
    assert await hass.config_entries.async_unload(netoxygen.entry_id)
    await hass.async_block_till_done()
    assert _our_services(hass) >= {"sms_gateways", "netoxygen_demo", "123_sms_net_demo"}
    with pytest.raises(ServiceValidationError) as err:
        await _notify(hass, "netoxygen_demo", message="Lost?")
    assert err.value.translation_key == "account_not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await _notify(hass, "sms_gateways", message="Everyone")
    assert err.value.translation_key == "account_not_loaded"
    # The other account did send, to Bob too (a recipient of both): only Alice is left out.
    assert _taken(simulator) == [("sms123", BOB.lstrip("+"), "Everyone")]

    # Reloaded, the same services are still there once: a call sends once.
    assert await hass.config_entries.async_reload(sms123.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await _notify(hass, "123_sms_net_demo", message="Once")
    assert _sent(simulator) == [("sms123", BOB.lstrip("+"), "Once")]

    # Removed, an account's services go; the last one removed, nothing is left.
    assert await hass.config_entries.async_remove(netoxygen.entry_id)
    await hass.async_block_till_done()
    assert _our_services(hass) == {"sms_gateways", "123_sms_net_demo"}
    assert await hass.config_entries.async_remove(sms123.entry_id)
    await hass.async_block_till_done()
    assert _our_services(hass) == set()


LEGACY_TEXTS = {
    "en": ("Send an SMS (every account)", "Send an SMS with NetOxygen demo", "Message"),
    "fr": ("Envoyer un SMS (tous les comptes)", "Envoyer un SMS avec NetOxygen demo", "Message"),
    "de": ("SMS senden (alle Konten)", "SMS mit NetOxygen demo senden", "Nachricht"),
    "it": ("Invia un SMS (tutti gli account)", "Invia un SMS con NetOxygen demo", "Messaggio"),
}


@pytest.mark.parametrize("language", LEGACY_TEXTS)
async def test_legacy_services_are_described_in_the_system_language(
    hass: HomeAssistant, simulator: RunningSimulator, language: str
) -> None:
    """The actions list shows the legacy services with our texts, in Home Assistant's language.

    The frontend translates an action with its own domain's texts (``notify``), which know
    nothing of ours: the description registered with the service is what the user reads.
    """
    every_account, one_account, message_field = LEGACY_TEXTS[language]
    hass.config.language = language
    await setup_entry(hass, make_entry(simulator, "netoxygen"))
    # Home Assistant checks the features notify's services.yaml names against every base
    # component, importing cameras, media players... whose requirements only a full install has
    # (script/develop's); notify's own is all this check needs.
    with patch("homeassistant.helpers.service._base_components", return_value={"notify": notify}):
        described = (await async_get_all_descriptions(hass))[NOTIFY_DOMAIN]
    assert described["sms_gateways"]["name"] == every_account
    assert described["netoxygen_demo"]["name"] == one_account
    for service in ("sms_gateways", "netoxygen_demo"):
        assert described[service]["description"]
        fields = described[service]["fields"]
        assert set(fields) == {"message", "title", "target", "data"}
        assert fields["message"]["name"] == message_field
        assert all(field["name"] and field["description"] for field in fields.values())
        assert "text" in fields["message"]["selector"]  # notify's own, kept
    # Nothing of Home Assistant's generic English text is left.
    assert "Send a notification" not in str(described["sms_gateways"])


async def test_legacy_service_of_a_new_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A recipient added to an account is a target by its name, with no service of its own."""
    hass.config_entries.async_add_subentry(
        init_integration,
        ConfigSubentry(
            data=MappingProxyType({CONF_PHONE_NUMBER: CAROL}),
            subentry_type=SUBENTRY_RECIPIENT,
            title="Carol",
            unique_id=CAROL,
        ),
    )
    await hass.async_block_till_done()
    assert _our_services(hass) == {"sms_gateways", "netoxygen_demo"}
    await _notify(hass, "netoxygen_demo", message="Welcome", target=["carol"])
    await _notify(hass, "sms_gateways", message="Hi", target=["netoxygen_demo_carol"])
    assert _sent(simulator) == [
        ("netoxygen", CAROL.lstrip("+"), "Hi"),
        ("netoxygen", CAROL.lstrip("+"), "Welcome"),
    ]


@pytest.mark.parametrize(
    ("accounts", "data", "error", "key", "sent"),
    [
        # No target, and no account has a recipient: it is said so.
        (
            [("netoxygen", {}), ("sms123", {})],
            {},
            ServiceValidationError,
            "notify_no_recipients",
            [],
        ),
        # An account that cannot send does not stop the other: its error is raised after.
        (
            [("netoxygen", {"Nobody": REFUSED}), ("sms123", {"Carol": BOB})],
            {},
            HomeAssistantError,
            "recipient_refused",
            [("sms123", BOB.lstrip("+"), "Smoke")],
        ),
        # An option one account's provider lacks fails the call before any account sends.
        (
            [("sms123", {"Carol": BOB}), ("netoxygen", {"Alice": ALICE})],
            {"data": {"tts": True}},
            ServiceValidationError,
            "option_not_supported",
            [],
        ),
    ],
)
async def test_legacy_service_that_fails(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    accounts: list[tuple[str, dict[str, str]]],
    data: dict[str, Any],
    error: type[HomeAssistantError],
    key: str,
    sent: list[tuple[str, str, str]],
) -> None:
    """notify.sms_gateways to every account's recipients: what fails is said, in words."""
    for provider, recipients in accounts:
        await setup_entry(hass, make_entry(simulator, provider, recipients=recipients))
    with pytest.raises(error) as err:
        await _notify(hass, "sms_gateways", message="Smoke", **data)
    assert err.value.translation_key == key
    assert _sent(simulator) == sent


async def test_account_service_stays_with_its_account(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Two accounts with one title: the name is the first's, across a reload of it too."""
    first = make_entry(simulator, "netoxygen", recipients={"Alice": ALICE})
    second = make_entry(simulator, "sms123", recipients={"Carol": BOB})
    for entry in (first, second):
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, title="SMS")
    assert await hass.config_entries.async_setup(second.entry_id)  # sets up both
    await hass.async_block_till_done()
    assert second.state is ConfigEntryState.LOADED
    assert first.state is ConfigEntryState.LOADED
    await _notify(hass, "sms", message="Which?")
    assert _taken(simulator) == [("netoxygen", ALICE.lstrip("+"), "Which?")]

    assert await hass.config_entries.async_reload(first.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await _notify(hass, "sms", message="Still?")
    assert _sent(simulator) == [("netoxygen", ALICE.lstrip("+"), "Still?")]


async def test_account_service_while_its_account_unloads(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Called while its account is removed, before the service goes: an error, not silence."""
    with (
        patch.object(hass.config_entries, "async_get_entry", return_value=None),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _notify(hass, "netoxygen_demo", message="Lost?")
    assert err.value.translation_key == "notify_account_not_loaded"
    assert _sent(simulator) == []


async def test_recipients_are_devices_and_the_account_the_one_service(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The integration's page counts one service per account, and each recipient as a device.

    The frontend counts a device whose ``entry_type`` is ``service`` among the services and any
    other among the devices. A recipient's device registered as a service by an earlier
    version becomes a device at the next start.
    """
    entry = make_entry(simulator, "netoxygen", recipients={"Alice": ALICE, "Bob": BOB})
    entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    alice = next(s for s in entry.subentries.values() if s.title == "Alice")
    registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=alice.subentry_id,
        identifiers={("sms_gateways", f"{entry.entry_id}_{alice.subentry_id}")},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer="NetOxygen",
        name="NetOxygen demo Alice",
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    assert sorted((d.name or "", d.entry_type, d.manufacturer) for d in devices) == [
        ("NetOxygen demo", dr.DeviceEntryType.SERVICE, "NetOxygen"),
        ("NetOxygen demo Alice", None, None),
        ("NetOxygen demo Bob", None, None),
    ]
    account = next(d for d in devices if d.name == "NetOxygen demo")
    assert all(d.via_device_id == account.id for d in devices if d is not account)
