"""Helpers shared by the integration tests: entries, actions, the webhook, followed messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from http import HTTPStatus
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sms_gateways.const import CONF_FALLBACK_ENTRY_ID, CONF_PROVIDER, DOMAIN
from custom_components.sms_gateways.gateways import (
    Encoding,
    MessageInfo,
    RecipientResult,
    SendResult,
)
from tests.conftest import RunningSimulator

type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]
"""``hass_client_no_auth``: a client of Home Assistant's HTTP server, as a provider pushing."""


async def call_action(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> ServiceResponse:
    """Call one of the integration's actions for ``entry`` and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )


async def send_sms(
    hass: HomeAssistant, entry: MockConfigEntry, *recipients: str, **data: Any
) -> dict[str, Any]:
    """The response of the ``send_sms`` action to these recipients (``message`` in ``data``)."""
    response = await call_action(hass, entry, "send_sms", recipients=list(recipients), **data)
    assert response is not None
    return dict(response)


async def scheduled_send(
    hass: HomeAssistant, entry: MockConfigEntry, recipient: str, message: str = "Later"
) -> str:
    """The id of ``message`` sent by ``entry`` to ``recipient``, scheduled two hours ahead."""
    send_at = dt_util.utcnow() + timedelta(hours=2)
    response = await send_sms(hass, entry, recipient, message=message, send_at=send_at)
    return str(response["messages"][0]["message_id"])


async def notify_entities(
    hass: HomeAssistant, entity_ids: str | list[str], message: str, **data: Any
) -> None:
    """Call ``notify.send_message`` on notify entities (``title`` and the like in ``data``)."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: entity_ids, ATTR_MESSAGE: message, **data},
        blocking=True,
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up ``entry``."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The first credits read is in the background: set-up never waits for the provider.
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def with_fallback(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str = "netoxygen",
    *,
    options: dict[str, Any] | None = None,
    **primary: Any,
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """An account of ``provider`` whose fallback is another (Mobyt, or NetOxygen for Mobyt)."""
    from .conftest import make_entry  # noqa: PLC0415  # the conftest imports this module

    other = "netoxygen" if provider == "mobyt" else "mobyt"
    fallback = await setup_entry(hass, make_entry(simulator, other))
    entry = await setup_entry(
        hass,
        make_entry(
            simulator,
            provider,
            options={CONF_FALLBACK_ENTRY_ID: fallback.entry_id, **(options or {})},
            **primary,
        ),
    )
    return entry, fallback


async def restart_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up ``entry`` again, as a restart of Home Assistant does."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The first credits read is in the background: set-up never waits for the provider.
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id_of(hass: HomeAssistant, entry: MockConfigEntry, domain: str, key: str) -> str:
    """The entity of ``entry`` in ``domain`` whose translation key is ``key``."""
    found = [
        item.entity_id
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if item.domain == domain and item.translation_key == key
    ]
    assert len(found) == 1, f"{domain} {key}: {found}"
    return found[0]


def webhook_path(entry: MockConfigEntry) -> str:
    """The path of the entry's webhook on Home Assistant's HTTP server."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def push_to_home_assistant(
    simulator: RunningSimulator, entry: MockConfigEntry, hass_client_no_auth: ClientFactory
) -> None:
    """Point the provider's pushes at the entry's webhook on the running instance."""
    client = await hass_client_no_auth()
    provider = entry.data[CONF_PROVIDER]
    simulator.sim.webhooks[provider] = str(client.make_url(webhook_path(entry)))


async def control(
    session: aiohttp.ClientSession, simulator: RunningSimulator, path: str, **data: Any
) -> Any:
    """Call the simulator's control API over HTTP and return its JSON answer."""
    async with session.post(f"{simulator.base_url}/_control/{path}", json=data) as response:
        assert response.status == 200, await response.text()
        return await response.json()


MOBYT_SENDER = "+33610765432"
MOBYT_NUMBER = "+33757000001"
"""The demo account's number at Mobyt, to which its received SMS are sent."""
MOBYT_POLL_PATH = "/mobyt/OESRs/SRHISTORYBYID"


async def mobyt_receives(
    session: aiohttp.ClientSession,
    simulator: RunningSimulator,
    text: str,
    sender: str = MOBYT_SENDER,
    **extra: Any,
) -> int:
    """An SMS Mobyt received for the demo account (pushed where a webhook is set); its id."""
    answer = await control(
        session,
        simulator,
        "inbound",
        provider="mobyt",
        username="demo",
        sender=sender,
        recipient=MOBYT_NUMBER,
        text=text,
        **extra,
    )
    return int(answer["id"])


async def next_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float = 1
) -> None:
    """Time moves on by ``minutes``; what it makes due (a poll) runs to its end."""
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def polled_ids(simulator: RunningSimulator) -> list[str]:
    """The ``id`` asked for by each SRHISTORYBYID call, in order."""
    return [
        request["body"].split("id=")[-1].split("&")[0]
        for request in simulator.requests(MOBYT_POLL_PATH)
    ]


def follow(entry: MockConfigEntry, *messages: tuple[str, str]) -> None:
    """Have ``entry`` follow these (message id, recipient), as after a send it made."""
    result = SendResult(
        messages=tuple(
            RecipientResult(recipient=recipient, accepted=True, message_id=message_id)
            for message_id, recipient in messages
        ),
        info=MessageInfo(encoding=Encoding.GSM7, characters=2, length=2, segments=1),
    )
    entry.runtime_data.tracker.async_track_send(result)


async def action_error(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    action: str,
    error: type[HomeAssistantError] = HomeAssistantError,
    **data: Any,
) -> HomeAssistantError:
    """The ``error`` that ``action`` of ``entry`` raises (the test fails if it raises none)."""
    with pytest.raises(error) as raised:
        await call_action(hass, entry, action, **data)
    return raised.value


async def send_error(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *recipients: str,
    error: type[HomeAssistantError] = HomeAssistantError,
    **data: Any,
) -> HomeAssistantError:
    """The ``error`` that ``send_sms`` raises for these recipients (``message`` in ``data``)."""
    return await action_error(hass, entry, "send_sms", error, recipients=list(recipients), **data)


async def mobyt_pushes(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    entry: MockConfigEntry,
    message_id: str,
    text: str,
    *,
    sender: str,
) -> None:
    """An SMS the demo account received, in Mobyt's form; all it starts, done.

    Posted straight to ``entry``'s webhook, not through the simulator (see ``mobyt_receives``).
    """
    form = mobyt_sms_form(text, sender, sms_id=message_id, delivery_date="20240715210509")
    status, _ = await post_push(client, entry, form)
    assert status == HTTPStatus.OK
    await hass.async_block_till_done(wait_background_tasks=True)


def flow_sources(hass: HomeAssistant) -> list[str]:
    """How each flow of the integration in progress began (``reauth``: credentials refused)."""
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


def mobyt_sms_form(
    text: str,
    sender: str = MOBYT_SENDER,
    *,
    sms_id: str = "77",
    recipient: str = MOBYT_NUMBER,
    delivery_date: str = "20240115083000",
) -> dict[str, str]:
    """The form Mobyt pushes for an SMS it received (the fields its doc lists)."""
    return {
        "id": sms_id,
        "text": text,
        "sender": sender,
        "recipient": recipient,
        "delivery_date": delivery_date,
    }


async def post_push(
    client: TestClient[Any, Any],
    entry: MockConfigEntry,
    data: Any,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Post ``data`` to the entry's webhook as its provider pushes; the answer's status and text."""
    response = await client.post(webhook_path(entry), data=data, headers=headers)
    return response.status, await response.text()


def inbound_store_path(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    """The file where ``entry`` keeps the received SMS it has seen and not yet fired."""
    return Path(hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}.inbound"))


def write_inbound_store(hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]) -> None:
    """The entry's inbound file as a previous run left it."""
    path = inbound_store_path(hass, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "key": path.name, "data": data}), "utf-8")
