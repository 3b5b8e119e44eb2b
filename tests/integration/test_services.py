"""The integration's actions, their responses and their errors, against the simulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import CONF_KEEP_TRYING, CONF_MESSAGE_TYPE, DOMAIN
from custom_components.sms_gateways.gateways import (
    DeliveryStatus,
    Encoding,
    GatewayConnectionError,
    GatewayResponseError,
    MessageInfo,
    RecipientResult,
    SendOutcomeUnknownError,
    SendResult,
)
from tests.conftest import RunningSimulator

from .common import action_error, call_action, flow_sources, send_sms
from .conftest import ALICE, BOB, REFUSED, make_entry

ALL_PROVIDERS = ["netoxygen", "smsfactor", "mobyt", "sms123"]


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _sent(simulator: RunningSimulator, provider: str) -> list[Any]:
    """The messages the simulator accepted for ``provider``."""
    return [m for m in simulator.sim.state.messages.values() if m.provider == provider]


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_send_sms(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """A message to two recipients: one id each, the encoding and the segments."""
    response = await send_sms(hass, init_integration, ALICE, "+33 6 12 34 56 78", message="Hello")
    messages = response["messages"]
    # 123-SMS has no status call: its "sent" (80) is final for us.
    status = "sent" if provider == "sms123" else "queued"
    assert [(m["recipient"], m["accepted"], m["error"], m["status"]) for m in messages] == [
        (ALICE, True, None, status),
        (BOB, True, None, status),
    ]
    assert all(m["message_id"] for m in messages)
    assert {key: response[key] for key in ("encoding", "characters", "segments")} == {
        "encoding": "gsm7",
        "characters": 5,
        "segments": 1,
    }
    assert "batch_id" in response
    sent = _sent(simulator, provider)
    assert len(sent) == 2
    # The sender given at setup goes out with every message.
    assert {message.sender for message in sent} == {"Home"}


async def test_send_sms_unicode_and_long(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A text outside GSM 03.38 travels in UCS-2, in as many segments as it needs."""
    response = await send_sms(hass, init_integration, ALICE, message="ça va ? " * 10)
    assert (response["encoding"], response["characters"], response["segments"]) == (
        "ucs2",
        80,
        2,
    )


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
async def test_send_sms_partly_refused(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """Some recipients refused: every result comes back, and nothing is raised."""
    response = await send_sms(hass, init_integration, ALICE, REFUSED, message="Hello")
    alice, refused = response["messages"]
    assert (alice["recipient"], alice["accepted"]) == (ALICE, True)
    assert (refused["recipient"], refused["accepted"]) == (REFUSED, False)
    assert refused["error"]
    assert refused["message_id"] is None
    assert len(_sent(simulator, provider)) == 1


@pytest.mark.parametrize("provider", ["netoxygen", "sms123"])
async def test_send_sms_all_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, provider: str
) -> None:
    """When no recipient is accepted, the first refusal is the error."""
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, init_integration, "send_sms", recipients=[REFUSED], message="Hello")
    assert err.value.translation_key == "recipient_refused"
    assert REFUSED in str(err.value)


# A refused recipient no longer refuses the whole send: SMSFactor's -5 may have reached the others
# (READINGS.md R11, test_smsfactor_readings.py), Mobyt sends the others again after its KO.


async def _refused_before_any_request(
    hass: HomeAssistant, simulator: RunningSimulator, entry: MockConfigEntry, **data: Any
) -> HomeAssistantError:
    """The error of a ``send_sms`` refused before any request reached the provider."""
    simulator.sim.requests.clear()
    err = await action_error(hass, entry, "send_sms", ServiceValidationError, **data)
    assert simulator.requests() == []
    return err


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"recipients": ["12"]}, "invalid_recipient", "12"),
        # send_sms sends to its numbers only: no hint to add a recipient to the account.
        ({"recipients": []}, "no_recipients", "give at least one phone number"),
        ({"message": "  "}, "empty_message", "empty"),
        # NetOxygen's doc sets no limit on the sender (R27): only what cannot be sent is refused.
        ({"sender": "Home\nAlarm"}, "sender_unprintable", "cannot be sent"),
        ({"send_at": "2020-01-01 10:00:00"}, "send_at_in_past", "2020-01-01T10:00:00"),
        ({"message_type": "N"}, "option_not_supported", "message_type"),
        ({"tts": True}, "option_not_supported", "tts"),
        # Zurich clocks go back on 27 October 2030: 02:30 there happens twice.
        ({"send_at": "2030-10-27T02:30:00+01:00"}, "send_at_repeated", "Europe/Zurich"),
        # Home Assistant's own zone here: 02:30 on 10 March 2030 never happens.
        ({"send_at": "2030-03-10 02:30:00"}, "send_at_skipped", "US/Pacific"),
    ],
)
async def test_send_sms_invalid(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    key: str,
    words: str,
) -> None:
    """What is wrong is said, in words, before anything reaches the provider.

    A send time the clocks repeat or skip is wrong too: the zone is named.
    """
    err = await _refused_before_any_request(
        hass, simulator, init_integration, **{"recipients": [ALICE], "message": "Hi", **data}
    )
    assert err.translation_key == key
    assert words in str(err)


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_send_sms_too_long(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A message longer than the provider's limit is refused before anything is sent."""
    err = await _refused_before_any_request(
        hass, simulator, init_integration, recipients=[ALICE], message="x" * 1531
    )
    assert err.translation_key == "message_too_long"
    assert "1531" in str(err)


@pytest.mark.parametrize("provider", ["mobyt"])
@pytest.mark.parametrize("reading", ["refused", "required", "ignored"])
async def test_send_sms_fixed_sender_type(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    reading: str,
) -> None:
    """Mobyt SMS Direct with a sender: it is sent (the doc lists Sender as mandatory)."""
    simulator.play(mobyt__sender_with_l=reading)
    data = {"recipients": [ALICE], "message": "Hi", "message_type": "l", "sender": "Home"}
    if reading == "refused":
        with pytest.raises(HomeAssistantError) as err:
            await call_action(hass, init_integration, "send_sms", **data)
        assert "fixed sender" in str(err.value)
        assert not list(init_integration.async_get_active_flows(hass, {"reauth"}))
    else:
        response = await call_action(hass, init_integration, "send_sms", **data)
        assert response is not None
        assert response["messages"][0]["accepted"]
    [request] = simulator.requests("/mobyt/Mobyt/SENDSMS")
    assert "sender=Home" in str(request["body"])


async def test_send_sms_message_type_from_options(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Mobyt's message type of the options is used when the action gives none."""
    entry = await _setup(hass, make_entry(simulator, "mobyt", options={CONF_MESSAGE_TYPE: "L"}))
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    request = simulator.requests("/mobyt/Mobyt/SENDSMS")[-1]
    assert "message_type=L" in str(request)


@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
async def test_schedule_and_cancel(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """A message scheduled for tomorrow is cancelled; cancelling it again says it already was."""
    send_at = (dt_util.now() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    response = await send_sms(
        hass, init_integration, ALICE, message="Later", send_at=send_at.isoformat()
    )
    message_id = response["messages"][0]["message_id"]
    sent = _sent(simulator, provider)
    assert [message.status for message in sent] == ["scheduled"]

    response = await call_action(hass, init_integration, "cancel_sms", message_id=message_id)
    assert response == {"message_id": message_id, "canceled": True}
    assert [message.status for message in sent] == ["canceled"]

    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, init_integration, "cancel_sms", message_id=message_id)
    assert err.value.translation_key == "already_canceled"
    assert message_id in str(err.value)
    assert [message.status for message in sent] == ["canceled"]

    # Remembered across a restart of the integration.
    await init_integration.runtime_data.tracker.async_flush()
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, init_integration, "cancel_sms", message_id=message_id)
    assert err.value.translation_key == "already_canceled"


@pytest.mark.parametrize("provider", ["netoxygen", "smsfactor", "mobyt"])
async def test_get_delivery_status(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """The status of sent messages, normalised, with the provider's own word for it."""
    response = await send_sms(hass, init_integration, ALICE, BOB, message="Hello")
    ids = [message["message_id"] for message in response["messages"]]
    await simulator.sim.advance()
    await simulator.sim.advance()

    status = await call_action(hass, init_integration, "get_delivery_status", message_ids=ids)
    assert status is not None
    assert [(m["message_id"], m["status"]) for m in status["messages"]] == [
        (ids[0], "delivered"),
        (ids[1], "delivered"),
    ]
    assert all(m["provider_status"] for m in status["messages"])


@pytest.mark.parametrize(
    ("provider", "number", "expected"),
    [
        ("netoxygen", "079 123 45 67", ALICE),
        ("smsfactor", "06 12 34 56 78", BOB),
        ("mobyt", "+33 6 12 34 56 78", BOB),
        ("sms123", "0033612345678", BOB),
    ],
)
async def test_normalize_number(
    hass: HomeAssistant, init_integration: MockConfigEntry, number: str, expected: str
) -> None:
    """A number as people write it, in E.164."""
    response = await call_action(hass, init_integration, "normalize_number", number=number)
    assert response == {"number": expected}


async def test_normalize_invalid_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A number that is none is said so."""
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, init_integration, "normalize_number", number="hello")
    assert err.value.translation_key == "invalid_recipient"


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_get_history(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Mobyt lists the orders sent in a period."""
    response = await send_sms(hass, init_integration, ALICE, BOB, message="Hello")
    start = dt_util.now() - timedelta(hours=1)
    end = dt_util.now() + timedelta(hours=1)
    history = await call_action(
        hass, init_integration, "get_history", start=start.isoformat(), end=end.isoformat()
    )
    assert history is not None
    assert [(item["order_id"], item["recipients"]) for item in history["messages"]] == [
        (response["batch_id"], 2)
    ]

    with pytest.raises(ServiceValidationError) as err:
        await call_action(
            hass, init_integration, "get_history", start=end.isoformat(), end=start.isoformat()
        )
    assert err.value.translation_key == "end_before_start"


@pytest.mark.parametrize(
    ("provider", "action", "data"),
    [
        ("netoxygen", "get_history", {"start": "2026-01-01 00:00", "end": "2026-01-02 00:00"}),
        ("smsfactor", "cancel_sms", {"message_id": "1"}),
        ("sms123", "get_delivery_status", {"message_ids": ["1"]}),
        ("mobyt", "add_group", {"group": "Family"}),
    ],
)
async def test_action_the_provider_cannot_do(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    provider: str,
    action: str,
    data: dict[str, Any],
) -> None:
    """An action outside the provider's capabilities says so."""
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, init_integration, action, **data)
    assert err.value.translation_key == "action_not_supported"
    assert action in str(err.value)


@pytest.mark.parametrize("provider", ["sms123"])
async def test_contacts_and_groups(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """123-SMS.net's address book: groups and contacts are added, changed and deleted."""
    entry = init_integration
    assert await call_action(hass, entry, "add_group", group="Family") == {"group": "Family"}
    assert await call_action(hass, entry, "rename_group", group="Family", new_name="Home") == {
        "group": "Home"
    }
    contact = await call_action(
        hass,
        entry,
        "add_contact",
        number=BOB,
        groups=["Home"],
        first_name="Bob",
        last_name="Martin",
        company="ACME",
        birthday="1968-02-12",
        variable_1="a",
    )
    assert contact == {"number": BOB, "groups": ["Home"]}
    updated = await call_action(
        hass, entry, "update_contact", number=BOB, new_number=ALICE, group="Home"
    )
    assert updated == {"number": ALICE, "group": "Home"}

    # A group that still has contacts cannot be deleted.
    with pytest.raises(HomeAssistantError):
        await call_action(hass, entry, "delete_group", group="Home")
    assert await call_action(hass, entry, "delete_contact", number=ALICE, group="Home") == {
        "number": ALICE,
        "group": "Home",
    }
    assert await call_action(hass, entry, "delete_group", group="Home") == {"group": "Home"}


@pytest.mark.parametrize("provider", ["sms123"])
async def test_contact_errors(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Deleting what does not exist is an error that says so."""
    with pytest.raises(HomeAssistantError):
        await call_action(hass, init_integration, "delete_contact", number=BOB)


@pytest.mark.parametrize(
    ("username", "translation_key"),
    [("empty", "insufficient_credits"), ("blocked", "access_denied")],
    ids=["no_credits", "blocked_ip"],
)
async def test_send_refused_for_the_account(
    hass: HomeAssistant, simulator: RunningSimulator, username: str, translation_key: str
) -> None:
    """No credits, or 123-SMS refusing the IP address: explained, and no reason for reauth."""
    entry = await _setup(
        hass, make_entry(simulator, "sms123", username=username, password=f"{username}-password")
    )
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == translation_key
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_send_with_refused_credentials(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A password changed at the provider fails the send and starts a reauthentication."""
    simulator.sim.state.accounts[("netoxygen", "demo")].password = "changed"
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "authentication_failed"
    await hass.async_block_till_done()
    assert flow_sources(hass) == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ("drop", "send_outcome_unknown"),
        ("http500", "send_outcome_unknown"),
        ("malformed", "send_outcome_unknown"),
    ],
)
async def test_send_when_the_provider_fails(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    key: str,
) -> None:
    """A send whose outcome is unknown says it may have gone out, and is not repeated."""
    simulator.sim.requests.clear()
    simulator.fault("/netoxygen/api2/", fault)
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == key
    assert len(simulator.requests("/netoxygen/")) == 1


@pytest.mark.parametrize(
    ("error", "key", "message_id"),
    [
        (
            SendOutcomeUnknownError("Unreadable answer", reference="4242"),
            "send_outcome_unknown_id",
            "4242",
        ),
        (SendOutcomeUnknownError("Unreadable answer"), "send_outcome_unknown", None),
        (GatewayResponseError("Undocumented code 77"), "send_outcome_unknown", None),
        (GatewayConnectionError("Dropped", request_sent=True), "send_outcome_unknown", None),
        (RecursionError("adapter bug"), "send_outcome_unknown_bug", None),
    ],
)
async def test_send_outcome_unknown_carries_the_id(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    error: Exception,
    key: str,
    message_id: str | None,
) -> None:
    """After the provider answered, the error says it may have been sent and names its id."""
    gateway = init_integration.runtime_data.gateway
    with (
        patch.object(gateway, "send", side_effect=error),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hi")
    assert type(err.value) is HomeAssistantError
    assert err.value.translation_key == key
    placeholders = err.value.translation_placeholders or {}
    assert placeholders.get("message_id") == message_id
    assert "may have been sent" in str(err.value)
    assert "Error" not in str(err.value)  # no Python class name in what the user reads
    if message_id:
        assert message_id in str(err.value)


async def test_unknown_outcome_of_a_recipient_is_not_a_refusal(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A recipient whose outcome the provider did not say is never called refused."""
    gateway = init_integration.runtime_data.gateway
    result = SendResult(
        messages=(
            RecipientResult(
                recipient=ALICE,
                accepted=False,
                message_id="77",
                status=DeliveryStatus.UNKNOWN,
                error="Unreadable answer",
            ),
        ),
        info=MessageInfo(encoding=Encoding.GSM7, characters=2, length=160, segments=1),
    )
    with (
        patch.object(gateway, "send", return_value=result),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "send_outcome_unknown_id"
    assert (err.value.translation_placeholders or {})["message_id"] == "77"
    assert "refused" not in str(err.value)


async def test_cancel_outcome_unknown(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A cancel whose answer says nothing of what became of it may have cancelled."""
    gateway = init_integration.runtime_data.gateway
    with (
        patch.object(gateway, "cancel", side_effect=SendOutcomeUnknownError("Unreadable")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call_action(hass, init_integration, "cancel_sms", message_id="55")
    assert err.value.translation_key == "cancel_outcome_unknown"
    assert (err.value.translation_placeholders or {})["message_id"] == "55"


async def test_send_when_the_provider_is_unreachable(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A provider that cannot be reached, without the outbox: nothing was sent, it is said so."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_KEEP_TRYING: False})
    await hass.async_block_till_done()
    # The provider went away after setup.
    init_integration.runtime_data.gateway._api_url = "http://127.0.0.1:9/"
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hi")
    assert err.value.translation_key == "cannot_connect"


async def test_query_when_the_provider_does_not_answer(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A status request that got no answer may have been received; it is not repeated."""
    simulator.fault("/netoxygen/api2/", "drop")
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, init_integration, "get_delivery_status", message_ids=["1"])
    assert err.value.translation_key == "no_answer"


async def test_unknown_or_unloaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An action names a loaded entry of this integration."""
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            "normalize_number",
            {ATTR_CONFIG_ENTRY_ID: "nope", "number": ALICE},
            blocking=True,
            return_response=True,
        )
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError):
        await call_action(hass, init_integration, "normalize_number", number=ALICE)


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_credits_from_the_send_response(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """SMSFactor has no balance call: its sensor shows the credits the send reported."""
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "unknown"
    await call_action(hass, init_integration, "send_sms", recipients=[ALICE, BOB], message="Hello")
    assert hass.states.get("sensor.smsfactor_demo_example_com_credits").state == "98"


async def test_credits_after_a_send(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Where the send does not report credits, they are asked for after it."""
    assert hass.states.get("sensor.netoxygen_demo_credits").state == "100"
    await call_action(hass, init_integration, "send_sms", recipients=[ALICE, BOB], message="Hello")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.netoxygen_demo_credits").state == "98"


async def test_sent_messages_are_handed_on(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every accepted send reaches the listeners (delivery tracking hooks in there)."""
    seen: list[Any] = []
    remove = init_integration.runtime_data.sending.async_add_sent_listener(seen.append)
    await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Hello")
    remove()
    await call_action(hass, init_integration, "send_sms", recipients=[ALICE], message="Again")
    assert [[m.recipient for m in result.accepted] for result in seen] == [[ALICE]]


@pytest.mark.parametrize(("sender", "expected"), [("", None), ("Alarm", "Alarm")])
async def test_default_sender_from_options(
    hass: HomeAssistant, simulator: RunningSimulator, sender: str, expected: str | None
) -> None:
    """The options' sender is the default one; empty, the account's is used."""
    entry = await _setup(hass, make_entry(simulator, "sms123", options={"sender": sender}))
    await call_action(hass, entry, "send_sms", recipients=[ALICE], message="Hi")
    assert [message.sender for message in _sent(simulator, "sms123")] == [expected]
