"""The entry's webhook: what SMSFactor and Mobyt push, duplicates, and what is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
import gzip
from http import HTTPStatus
import logging
import socket
from typing import Any
from unittest.mock import patch
from urllib.parse import quote, urlencode

from aiohttp import FormData
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateways.const import (
    CONF_API_URL,
    DOMAIN,
    EVENT_DELIVERY_STATUS,
    EVENT_INBOUND_SMS,
)
from custom_components.sms_gateways.webhook import (
    MAX_BODY_BYTES,
    async_webhook_url,
)
from tests.conftest import RunningSimulator
from tests.gateways.smsfactor_doc import DOC_INBOX as SMSFACTOR_DOC_EXAMPLE

from .common import (
    ClientFactory,
    entity_id_of,
    follow,
    mobyt_sms_form,
    post_push,
    webhook_path,
    write_inbound_store,
)
from .conftest import make_entry

type Post = Callable[..., Awaitable[tuple[int, str]]]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}

SMSFACTOR_INBOX = (
    "<inbox>"
    '<sms from="33612345678" to="33757000001" date="2024-01-15 08:30:00">'
    "<![CDATA[Alarme: porte <garage> & fenêtre ouvertes]]></sms>"
    '<sms from="41791234567" to="33757000001" date="2024-07-15 21:05:09">'
    "<![CDATA[Stop]]></sms>"
    "</inbox>"
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<inbox><sms from="33612345678" to="33757000001" date="2024-01-15 08:30:00">&lol4;</sms></inbox>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE inbox [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<inbox><sms from="33612345678" to="33757000001" date="2024-01-15 08:30:00">&secret;</sms></inbox>"""

MOBYT_INBOUND = mobyt_sms_form("hello world", sms_id="12345678", delivery_date="20090309113910")
MOBYT_INBOUND_STORED = {
    "message_id": "12345678",
    "sender": "+33610765432",
    "recipient": "+33757000001",
    "message": "hello world",
    "received_at": "2009-03-09T11:39:10+01:00",
    "keyword": None,
}
"""``MOBYT_INBOUND`` as the receiver stores it, and as its event carries it."""


@pytest.fixture
async def post(hass_client_no_auth: ClientFactory, init_integration: MockConfigEntry) -> Post:
    """Post to the set-up entry's webhook as its provider pushes: the answer's status and text."""
    return partial(post_push, await hass_client_no_auth(), init_integration)


@pytest.fixture
def events(hass: HomeAssistant, init_integration: MockConfigEntry) -> list[Event]:
    """The inbound SMS events fired once the account is set up."""
    return async_capture_events(hass, EVENT_INBOUND_SMS)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _inbound_data(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (e.data["sender"], e.data["recipient"], e.data["message"], e.data["received_at"])
        for e in events
    ]


# --- SMSFactor ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_smsfactor_doc_example(hass: HomeAssistant, post: Post, events: list[Event]) -> None:
    """The doc's own push, escaped quotes and broken dates included, fires both messages."""
    status, text = await post({"XML": SMSFACTOR_DOC_EXAMPLE})
    await hass.async_block_till_done()

    assert (status, text) == (HTTPStatus.OK, "OK")
    assert _inbound_data(events) == [
        ("0000000000", "0000000000", "My message 1", "2011-06-01T12:02:07+02:00"),
        ("1111111111", "0000000000", "My message 2", "2011-06-01T12:02:08+02:00"),
    ]
    assert all(e.data["provider"] == "smsfactor" for e in events)
    assert all(e.data["message_id"] is None and e.data["keyword"] is None for e in events)


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_smsfactor_inbox_with_several_messages(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post, events: list[Event]
) -> None:
    """Every <sms> fires, numbers in E.164, CDATA kept as written, time in Paris (DST aware)."""
    status, _ = await post(urlencode({"XML": SMSFACTOR_INBOX}), headers=FORM)
    await hass.async_block_till_done()

    assert status == HTTPStatus.OK
    assert [e.data for e in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "provider": "smsfactor",
            "message_id": None,
            "sender": "+33612345678",
            "recipient": "+33757000001",
            "message": "Alarme: porte <garage> & fenêtre ouvertes",
            "received_at": "2024-01-15T08:30:00+01:00",
            "keyword": None,
            "contact": "Bob",
            "trusted": True,
        },
        {
            "config_entry_id": init_integration.entry_id,
            "provider": "smsfactor",
            "message_id": None,
            "sender": "+41791234567",
            "recipient": "+33757000001",
            "message": "Stop",
            "received_at": "2024-07-15T21:05:09+02:00",
            "keyword": None,
            "contact": "Alice",
            "trusted": True,
        },
    ]
    state = hass.states.get(entity_id_of(hass, init_integration, "event", "inbound_sms"))
    assert state is not None
    assert state.attributes["message"] == "Stop"


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_smsfactor_push_twice_fires_once(
    hass: HomeAssistant, post: Post, events: list[Event]
) -> None:
    """SMSFactor gives no id: a message with the same sender, time and text fires once."""
    for _ in range(2):
        status, _ = await post({"XML": SMSFACTOR_INBOX})
        assert status == HTTPStatus.OK
    # The same sender and time with another text is another message.
    other = SMSFACTOR_INBOX.replace("Stop", "Start")
    assert (await post({"XML": other}))[0] == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == [
        "Alarme: porte <garage> & fenêtre ouvertes",
        "Stop",
        "Start",
    ]


# --- Mobyt -------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_mobyt_inbound_push(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post, events: list[Event]
) -> None:
    """Mobyt's form (id, text, sender, recipient, delivery_date) fires the contract's data."""
    status, text = await post(MOBYT_INBOUND)
    await hass.async_block_till_done()

    assert (status, text) == (HTTPStatus.OK, "OK")
    assert [e.data for e in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "provider": "mobyt",
            **MOBYT_INBOUND_STORED,
            "contact": None,
            "trusted": False,
        }
    ]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_mobyt_inbound_push_as_multipart(
    hass: HomeAssistant, post: Post, events: list[Event]
) -> None:
    """The same push sent as multipart/form-data fires the same event; bad parts are refused."""
    form = FormData(MOBYT_INBOUND, default_to_multipart=True)
    status, _text = await post(form)
    await hass.async_block_till_done()
    assert status == HTTPStatus.OK
    assert [e.data["message"] for e in events] == ["hello world"]

    latin = FormData(default_to_multipart=True)
    latin.add_field(
        "text", "fenêtre".encode("latin-1"), content_type="text/plain", filename="text.txt"
    )
    assert (await post(latin))[0] == HTTPStatus.BAD_REQUEST
    huge = FormData({"text": "x" * (MAX_BODY_BYTES + 1)}, default_to_multipart=True)
    status, _text = await post(huge)
    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    many = FormData({f"f{i}": "x" for i in range(40)}, default_to_multipart=True)
    assert (await post(many))[0] == HTTPStatus.BAD_REQUEST
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    nameless = b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
    broken = b"--b\r\nContent-Disposition: form-data; name=text\r\n\r\nhello"
    for body in (b"--b--\r\n", nameless, broken):
        assert (await post(body, headers))[0] == HTTPStatus.BAD_REQUEST

    async def chunked() -> AsyncIterator[bytes]:
        # No Content-Length: the bound is checked while reading.
        yield b"--b\r\nContent-Disposition: form-data; name=text\r\n\r\n"
        for _ in range(5):
            yield b"x" * (MAX_BODY_BYTES // 4)
        yield b"\r\n--b--\r\n"

    status, _text = await post(chunked(), headers)
    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_mobyt_inbound_push_without_date(
    hass: HomeAssistant, post: Post, events: list[Event], freezer: Any
) -> None:
    """Without delivery_date the message is dated when it arrived, in Paris time."""
    freezer.move_to("2024-07-01T10:00:00+00:00")
    form = {key: value for key, value in MOBYT_INBOUND.items() if key != "delivery_date"}
    assert (await post(form))[0] == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["received_at"] for e in events] == ["2024-07-01T12:00:00+02:00"]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_mobyt_inbound_push_twice_fires_once(
    hass: HomeAssistant, post: Post, events: list[Event]
) -> None:
    """The same id pushed again, even at the same moment, fires once; both answered 200."""
    answers = await asyncio.gather(*(post(MOBYT_INBOUND) for _ in range(3)))
    assert [status for status, _ in answers] == [HTTPStatus.OK] * 3
    assert (await post({**MOBYT_INBOUND, "id": "12345679"}))[0] == 200
    await hass.async_block_till_done()
    assert [e.data["message_id"] for e in events] == ["12345678", "12345679"]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_a_flood_of_forged_ids_never_silences_the_webhook(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post, events: list[Event]
) -> None:
    """Distinct forged ids past the memory's bound: a genuine push is still taken, once."""
    init_integration.runtime_data.inbound._seen._max_keys = 20
    for n in range(30):
        forged = {**MOBYT_INBOUND, "id": str(900_000 + n), "text": "forged"}
        assert (await post(forged))[0] == HTTPStatus.OK
    assert (await post(MOBYT_INBOUND))[0] == HTTPStatus.OK
    assert (await post(MOBYT_INBOUND))[0] == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["forged"] * 30 + ["hello world"]


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_mobyt_status_push(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post
) -> None:
    """A delivered report (with its date) and a failed one (without) fire and move the sensor."""
    follow(
        init_integration,
        ("123FC75:+33606123456", "+33606123456"),
        ("123FC75:+33610654321", "+33610654321"),
    )
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    inbound = async_capture_events(hass, EVENT_INBOUND_SMS)
    sensor = entity_id_of(hass, init_integration, "sensor", "last_delivery_status")

    delivered = {
        "order_id": "123FC75",
        "recipient": "+33606123456",
        "status": "DLVRD",
        "delivery_date": "20090309120636",
    }
    assert (await post(delivered)) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "delivered"
    assert state.attributes["message_id"] == "123FC75:+33606123456"
    assert state.attributes["recipient"] == "+33606123456"
    assert state.attributes["provider_status"] == "DLVRD"

    failed = {"order_id": "123FC75", "recipient": "33610654321", "status": "ERROR"}
    assert (await post(failed)) == (HTTPStatus.OK, "OK")
    # Pushed again: answered, not fired again.
    assert (await post(failed)) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()

    assert [e.data for e in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "provider": "mobyt",
            "message_id": "123FC75:+33606123456",
            "recipient": "+33606123456",
            "status": "delivered",
            "provider_status": "DLVRD",
            "delivered_at": "2009-03-09T12:06:36+01:00",
        },
        {
            "config_entry_id": init_integration.entry_id,
            "provider": "mobyt",
            "message_id": "123FC75:+33610654321",
            "recipient": "+33610654321",
            "status": "failed",
            "provider_status": "ERROR",
            "delivered_at": None,
        },
    ]
    state = hass.states.get(sensor)
    assert state is not None
    assert (state.state, state.attributes["provider_status"]) == ("failed", "ERROR")
    assert inbound == []


# --- what is refused -----------------------------------------------------------------------------

SECRET = "s3cr3t-payload"


def _hostile_xml(document: str) -> bytes:
    return f"XML={quote(document)}&note={SECRET}".encode()


HOSTILE = [
    pytest.param("smsfactor", _hostile_xml(BILLION_LAUGHS), FORM, 400, id="billion-laughs"),
    pytest.param("smsfactor", _hostile_xml(EXTERNAL_ENTITY), FORM, 400, id="external-entity"),
    pytest.param(
        "smsfactor",
        _hostile_xml(
            "<inbox><sms from='1' to='2' date='x'>" + "A" * MAX_BODY_BYTES + "</sms></inbox>"
        ),
        FORM,
        413,
        id="oversized",
    ),
    pytest.param(
        "smsfactor",
        b"XML=" + quote(SMSFACTOR_INBOX, encoding="utf-16").encode() + b"&n=" + SECRET.encode(),
        FORM,
        400,
        id="xml-in-utf-16",
    ),
    pytest.param(
        "smsfactor",
        _hostile_xml(SMSFACTOR_INBOX.replace("</inbox>", "")),
        FORM,
        400,
        id="truncated-xml",
    ),
    pytest.param(
        "smsfactor",
        _hostile_xml("<response><sms from='1' to='2' date='2024-01-15 08:30:00'/></response>"),
        FORM,
        400,
        id="not-an-inbox",
    ),
    pytest.param("smsfactor", f"note={SECRET}".encode(), FORM, 400, id="no-xml-field"),
    pytest.param(
        "mobyt",
        f"id=1&sender=%2B33610765432&recipient=%2B33757000001&text=caf%E9+{SECRET}".encode(),
        FORM,
        400,
        id="latin-1-percent-encoded",
    ),
    pytest.param(
        "mobyt",
        f"id=1&sender=%2B33610765432&recipient=%2B33757000001&text=caf\xe9 {SECRET}".encode(
            "latin-1"
        ),
        FORM,
        400,
        id="latin-1-raw",
    ),
    pytest.param(
        "mobyt",
        f'{{"id": "1", "text": "{SECRET}"}}'.encode(),
        {"Content-Type": "application/json"},
        415,
        id="json",
    ),
    pytest.param("mobyt", f"just some text {SECRET}".encode(), FORM, 400, id="not-a-form"),
    pytest.param("mobyt", b"", FORM, 400, id="empty"),
    pytest.param(
        "mobyt",
        "&".join(f"f{n}={SECRET}" for n in range(40)).encode(),
        FORM,
        400,
        id="too-many-fields",
    ),
    pytest.param(
        "mobyt",
        urlencode({**MOBYT_INBOUND, "sender": SECRET * 10}).encode(),
        FORM,
        400,
        id="mobyt-field-too-long",
    ),
    pytest.param(
        "mobyt",
        urlencode({**MOBYT_INBOUND, "delivery_date": f"2024-13-45 {SECRET}"}).encode(),
        FORM,
        400,
        id="mobyt-bad-date",
    ),
    pytest.param(
        "mobyt",
        urlencode({"order_id": "1'; DROP", "recipient": "+33606123456", "status": SECRET}).encode(),
        FORM,
        400,
        id="mobyt-bad-status-report",
    ),
    pytest.param(
        "mobyt",
        _hostile_xml(SMSFACTOR_INBOX),
        FORM,
        400,
        id="smsfactor-push-to-mobyt",
    ),
    pytest.param(
        "smsfactor",
        urlencode({"order_id": "123FC75", "recipient": "+33606123456", "status": "DLVRD"}).encode(),
        FORM,
        400,
        id="status-report-to-smsfactor",
    ),
    pytest.param("netoxygen", urlencode(MOBYT_INBOUND).encode(), FORM, 400, id="cannot-push"),
]


@pytest.mark.parametrize(("provider", "body", "headers", "expected"), HOSTILE)
async def test_refused_push(  # noqa: PLR0917
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str],
    expected: int,
) -> None:
    """A malformed, oversized, wrongly encoded or hostile push: 4xx, nothing fired, one log line.

    The log line says why, never what was posted.
    """
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    statuses = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, reason = await post(body, headers=headers)
        await hass.async_block_till_done()

    assert status == expected
    assert events == []
    assert statuses == []
    ours = [r for r in caplog.records if r.name.startswith("custom_components.sms_gateways")]
    assert len(ours) == 1
    assert ours[0].levelno == logging.WARNING
    # Plain words in the reply and the log line: no class name of ours (``...Error``).
    assert "Error" not in reason
    assert "Error" not in ours[0].getMessage()
    assert SECRET not in caplog.text
    assert "lol" not in caplog.text
    assert "passwd" not in caplog.text


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_oversized_body_without_length(hass: HomeAssistant, post: Post) -> None:
    """A chunked body (no Content-Length) is cut off at the bound, not read whole."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)

    async def chunks() -> Any:
        yield urlencode(MOBYT_INBOUND).encode() + b"&pad="
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"A" * 4096

    status, _ = await post(chunks(), headers=FORM)
    await hass.async_block_till_done()
    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert events == []


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_compressed_body_is_bounded_inflated(hass: HomeAssistant, post: Post) -> None:
    """A gzip body of a few KB that inflates past the bound is refused, not read whole."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    inflated = urlencode({**MOBYT_INBOUND, "pad": "A" * (MAX_BODY_BYTES * 8)}).encode()
    body = gzip.compress(inflated)
    assert len(body) < MAX_BODY_BYTES
    headers = {**FORM, "Content-Encoding": "gzip"}
    status, _ = await post(body, headers=headers)
    await hass.async_block_till_done()
    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert events == []
    # A compressed push within the bound is read as any other.
    small = gzip.compress(urlencode(MOBYT_INBOUND).encode())
    assert (await post(small, headers=headers)) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_get_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    events: list[Event],
) -> None:
    """Pushes are POSTs: a GET (even with a valid query) is refused and fires nothing."""
    client = await hass_client_no_auth()
    response = await client.get(webhook_path(init_integration), params=MOBYT_INBOUND)
    await hass.async_block_till_done()
    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED
    assert events == []


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_our_failure_asks_for_a_retry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    post: Post,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When handling fails on our side the provider gets 503 so that it pushes again."""
    inbound = init_integration.runtime_data.inbound
    with patch.object(inbound, "async_receive", side_effect=RuntimeError("boom")):
        status, _ = await post(MOBYT_INBOUND)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert "hello world" not in caplog.text

    # The retry is handled.
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    assert (await post(MOBYT_INBOUND))[0] == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_webhook_gone_after_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post, events: list[Event]
) -> None:
    """Once the entry is unloaded its webhook fires nothing."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await post(MOBYT_INBOUND)
    await hass.async_block_till_done()
    assert events == []


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_webhook_url(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The URL to paste: Home Assistant's URL, or the path alone while it has none."""
    webhook_id = "webhook-mobyt"
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    assert async_webhook_url(hass, webhook_id) == f"https://ha.example.com/api/webhook/{webhook_id}"
    with patch("homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError):
        assert async_webhook_url(hass, webhook_id) == f"/api/webhook/{webhook_id}"


# --- while the entry is not loaded, and abuse --------------------------------------------------


def _log_above_debug(caplog: pytest.LogCaptureFixture) -> str:
    # aiohttp's access log is at WARNING in Home Assistant (bootstrap), INFO only in tests.
    return "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.levelno > logging.DEBUG and r.name != "aiohttp.access"
    )


async def test_push_while_the_provider_is_unreachable(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Provider unreachable at start: the entry loads, a push fires once; unloaded, 503."""
    entry = make_entry(simulator, "mobyt", **{CONF_API_URL: f"http://127.0.0.1:{_closed_port()}/"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    client = await hass_client_no_auth()

    # A push needs no answer of the provider: it fires once, its retry none.
    assert (await post_push(client, entry, MOBYT_INBOUND))[0] == HTTPStatus.OK
    assert (await post_push(client, entry, MOBYT_INBOUND))[0] == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["hello world"]

    # During a reload (unloaded, not yet set up again) it asks for a retry too.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert (await post_push(client, entry, MOBYT_INBOUND))[0] == HTTPStatus.SERVICE_UNAVAILABLE
    assert (await client.get(webhook_path(entry))).status == HTTPStatus.METHOD_NOT_ALLOWED
    assert entry.data[CONF_WEBHOOK_ID] not in _log_above_debug(caplog)


async def test_webhook_of_an_entry_loaded_at_start(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """An entry known when the integration starts has its webhook before its own set-up."""
    entry = make_entry(simulator, "mobyt", **{CONF_API_URL: f"http://127.0.0.1:{_closed_port()}/"})
    entry.add_to_hass(hass)
    with patch("custom_components.sms_gateways.async_setup_entry", return_value=False):
        await async_setup_component(hass, DOMAIN, {})
    client = await hass_client_no_auth()
    response = await client.post(webhook_path(entry), data=MOBYT_INBOUND)
    assert response.status == HTTPStatus.SERVICE_UNAVAILABLE


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_webhook_removed_with_its_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post, events: list[Event]
) -> None:
    """A removed entry's webhook is gone: a push fires nothing."""
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    await post(MOBYT_INBOUND)
    await hass.async_block_till_done()
    assert events == []
    assert init_integration.data[CONF_WEBHOOK_ID] not in hass.data.get("webhook", {})


async def test_a_disabled_entry_has_no_webhook(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """Disabled at start, or later: its webhook is unregistered; enabled again, it answers."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    demo = make_entry(simulator, "mobyt")
    disabled = MockConfigEntry(
        domain=DOMAIN,
        title=demo.title,
        unique_id=demo.unique_id,
        data=demo.data,
        disabled_by=ConfigEntryDisabler.USER,
    )
    disabled.add_to_hass(hass)
    enabled = MockConfigEntry(
        domain=DOMAIN,
        title="Mobyt other",
        unique_id="mobyt_other",
        data={**demo.data, CONF_WEBHOOK_ID: "webhook-other"},
    )
    enabled.add_to_hass(hass)
    with patch("custom_components.sms_gateways.async_setup_entry", return_value=False):
        await async_setup_component(hass, DOMAIN, {})
    registered = hass.data["webhook"]
    assert "webhook-other" in registered  # an enabled entry's answers before its set-up
    assert disabled.data[CONF_WEBHOOK_ID] not in registered
    client = await hass_client_no_auth()
    # Answered as any unknown address is (not 503: nothing is kept for a later retry).
    assert await post_push(client, disabled, MOBYT_INBOUND) == (HTTPStatus.OK, "")

    # Enabled: its webhook answers again and fires.
    assert await hass.config_entries.async_set_disabled_by(disabled.entry_id, None)
    await hass.async_block_till_done()
    assert disabled.state is ConfigEntryState.LOADED
    assert await post_push(client, disabled, MOBYT_INBOUND) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()
    assert len(events) == 1

    # Disabled while loaded: unloaded and unregistered.
    await hass.config_entries.async_set_disabled_by(disabled.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert disabled.data[CONF_WEBHOOK_ID] not in hass.data["webhook"]
    forged = {**MOBYT_INBOUND, "id": "87654321"}
    assert await post_push(client, disabled, forged) == (HTTPStatus.OK, "")
    await hass.async_block_till_done()
    assert len(events) == 1


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_multipart_part_with_too_many_headers(
    hass: HomeAssistant, post: Post, caplog: pytest.LogCaptureFixture
) -> None:
    """A part with hundreds of header lines is refused (400), logged once, without its content."""
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    flood = "".join(f"X-Secret-{i}: hidden-{i}\r\n" for i in range(400))
    body = (
        f"--b\r\nContent-Disposition: form-data; name=text\r\n{flood}\r\nhello\r\n--b--\r\n"
    ).encode()
    caplog.clear()
    assert (await post(body, headers))[0] == HTTPStatus.BAD_REQUEST
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    refused = [r for r in caplog.records if "Refused a push" in r.getMessage()]
    assert len(refused) == 1
    assert "hidden" not in caplog.text


@pytest.mark.parametrize("provider", ["smsfactor"])
async def test_a_push_after_an_outage_is_taken_whole(
    hass: HomeAssistant, post: Post, events: list[Event]
) -> None:
    """An inbox holding what SMSFactor kept during an outage is taken, not refused (and lost)."""
    full_length = "Alarme cave " * 127  # 1,524 characters: 10 parts
    rows = "".join(
        f'<sms from="336123{i:05d}" to="33757000001" date="2024-01-15 08:30:00">'
        f"<![CDATA[{full_length}{i}]]></sms>"
        for i in range(1000)
    )
    body = urlencode({"XML": f"<inbox>{rows}</inbox>"})
    assert 1_500_000 < len(body) < MAX_BODY_BYTES
    status, _ = await post(body, FORM)
    assert status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert len(events) == 1000
    assert events[-1].data["message"] == f"{full_length}999"

    status, _ = await post("x" * (MAX_BODY_BYTES + 1), FORM)
    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_status_push_for_a_message_never_sent(
    hass: HomeAssistant, init_integration: MockConfigEntry, post: Post
) -> None:
    """A forged status for a message we never sent is answered and fires nothing."""
    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    sensor = entity_id_of(hass, init_integration, "sensor", "last_delivery_status")
    before = hass.states.get(sensor)
    forged = {"order_id": "NEVER", "recipient": "+33606123456", "status": "DLVRD"}
    assert (await post(forged)) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()
    assert events == []
    after = hass.states.get(sensor)
    assert before is not None
    assert after is not None
    assert after.state == before.state


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_status_pushed_before_the_send_is_answered(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    post: Post,
) -> None:
    """A status for a message not yet known while a send is out is pushed again, then fires."""
    gateway = init_integration.runtime_data.gateway
    real_send = gateway.send
    request_out = asyncio.Event()
    answer_may_come = asyncio.Event()

    async def slow_answer(sms: Any) -> Any:
        request_out.set()
        await answer_may_come.wait()
        return await real_send(sms)

    events = async_capture_events(hass, EVENT_DELIVERY_STATUS)
    client = await hass_client_no_auth()
    with patch.object(gateway, "send", slow_answer):
        send = hass.async_create_task(
            hass.services.async_call(
                DOMAIN,
                "send_sms",
                {
                    "config_entry_id": init_integration.entry_id,
                    "recipients": ["+33606123456"],
                    "message": "Alarm",
                },
                blocking=True,
                return_response=True,
            )
        )
        await request_out.wait()
        early = {"order_id": "NOT-YET-KNOWN", "recipient": "+33606123456", "status": "DLVRD"}
        response = await client.post(webhook_path(init_integration), data=early)
        assert response.status == HTTPStatus.SERVICE_UNAVAILABLE
        assert response.headers["Retry-After"]
        answer_may_come.set()
        answered = await send
    message_id = answered["messages"][0]["message_id"]
    order_id = message_id.split(":")[0]
    pushed_again = {"order_id": order_id, "recipient": "+33606123456", "status": "DLVRD"}
    assert (await post(pushed_again)) == (HTTPStatus.OK, "OK")
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["status"]) for e in events][-1] == (
        message_id,
        "delivered",
    )
    # Once the send is answered, a report for a message never sent is answered 200 again.
    assert (await post(early)) == (HTTPStatus.OK, "OK")


async def test_retried_push_of_a_message_killed_before_firing(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """Recorded, then a kill before it fired: the provider's retry is answered 200 once fired.

    It fires marked ``redelivered``; a copy of the retry and the start-up firing add nothing.
    """
    entry = make_entry(simulator, "mobyt")
    unfired = MOBYT_INBOUND_STORED
    key = f"id:{MOBYT_INBOUND['id']}"
    data = {
        "seen": {key: dt_util.utcnow().timestamp() + 3600},
        "last_id": int(MOBYT_INBOUND["id"]),
        "push_seen_at": dt_util.utcnow().isoformat(),
        "unfired": {key: unfired},
    }
    write_inbound_store(hass, entry, data)
    hass.set_state(CoreState.starting)
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    client = await hass_client_no_auth()
    assert (await post_push(client, entry, MOBYT_INBOUND)) == (HTTPStatus.OK, "OK")
    assert (await post_push(client, entry, MOBYT_INBOUND)) == (HTTPStatus.OK, "OK")
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert [e.data for e in events] == [
        {
            "config_entry_id": entry.entry_id,
            "provider": "mobyt",
            **MOBYT_INBOUND_STORED,
            "contact": None,
            "trusted": False,
            "redelivered": True,
        }
    ]
