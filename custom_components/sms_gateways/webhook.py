"""The entry's webhook: what SMSFactor and Mobyt push (received SMS, delivery reports).

Home Assistant answers 200 when a handler raises, and a provider does not retry a 200: so bad
input is answered 4xx here, and a transient failure on our side 503 so that the provider tries
again. The body is read within a small bound and never logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
import logging
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from homeassistant.components import webhook
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .dedup import DuplicateMemoryFullError
from .gateways import GatewayError, SmsGateway, UnsupportedOperationError
from .inbound import InboundReceiver
from .runtime import SmsGatewaysConfigEntry
from .storage import WriteError
from .tracking import DeliveryTracker, ReportBeforeSendAnsweredError

_LOGGER = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest push body, form-encoded: a 413 above it, and a 413 makes the provider drop the data.

Neither SMSFactor nor Mobyt bounds what one push holds: SMSFactor posts its inbox (its doc's
example holds two SMS) and may post every SMS it kept while we were unreachable in one. Encoded
as a form, a 10-part SMS weighs 1.7 KB in plain letters and 9.3 KB at worst (all ``Δ``), one SMS
of 160 letters 0.3 KB: 4 MiB holds 450 of the worst, 2,500 full-length or 14,000 short ones,
more than a home receives in a week. It stays a quarter of Home Assistant's 16 MiB request bound,
and it is read into memory only up to that bound.

It is also the only bound on how many messages a push holds: a readable ``<sms>`` takes at least
94 bytes (two short numbers, a date, no text), so 4 MiB holds at most 44,600, all of which could
be genuine; a count bound below that would refuse a genuine push, one above it could not act."""
MAX_FIELDS = 32
REPORT_EARLY_RETRY_AFTER = "10"
"""Seconds after which a status pushed before its send was answered is worth pushing again."""
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class PushRefusedError(Exception):
    """A push we answer with a 4xx: malformed, oversized, hostile or not for this account."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the HTTP status and a reason that quotes nothing of the body."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _read_form(request: web.Request) -> dict[str, str]:
    """The form fields of a push, read within the size bound."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    content_type = request.content_type
    if content_type == _MULTIPART:
        return await _read_multipart(request)
    if content_type not in (_FORM, "", "application/octet-stream", "text/plain"):
        raise PushRefusedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"content type {content_type}")
    if request.content_length is not None and not request.headers.get(hdrs.CONTENT_ENCODING):
        # Within the bound (checked above): aiohttp reads no more than the length announced.
        body = await request.read()
    else:
        # Chunked, or compressed (aiohttp inflates it): the bound is counted as it is read.
        chunks = bytearray()
        async for chunk in request.content.iter_chunked(16 * 1024):
            chunks.extend(chunk)
            if len(chunks) > MAX_BODY_BYTES:
                raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        body = bytes(chunks)
    try:
        # Both providers document UTF-8 (Mobyt: "le charset utilisé est UTF-8"); anything else
        # would fire a garbled text, so it is refused like a percent-encoded byte that is not UTF-8.
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "body not in UTF-8") from err
    try:
        # Escapes are decoded as strict UTF-8 too. A form reader of our own read a push in half
        # the time, and answered script/bench's inbound burst 3 % faster at most: under the 10 %
        # that would pay for keeping it (benchmarks/README.md).
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError) as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a form") from err
    if not pairs:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "empty body")
    return dict(pairs)


async def _read_multipart(request: web.Request) -> dict[str, str]:
    """The fields of a multipart form, within the same bounds as a plain form."""
    try:
        reader = await request.multipart()
        fields: dict[str, str] = {}
        size = 0
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a form")
            if len(fields) >= MAX_FIELDS:
                raise PushRefusedError(HTTPStatus.BAD_REQUEST, "too many fields")
            value = bytearray()
            while chunk := await part.read_chunk(16 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
                value.extend(chunk)
            fields[part.name] = bytes(value).decode("utf-8")
    except UnicodeDecodeError as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "body not in UTF-8") from err
    except (ValueError, AssertionError, HttpProcessingError) as err:
        # HttpProcessingError: aiohttp's parser refusing a part's headers (too many, too long).
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a form") from err
    if not fields:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "empty body")
    return fields


@dataclass(frozen=True, slots=True, kw_only=True)
class PushHandler:
    """Handle what one entry's provider pushes.

    Received SMS go to ``inbound``, delivery reports to ``tracker``.
    """

    gateway: SmsGateway
    inbound: InboundReceiver
    tracker: DeliveryTracker

    async def async_handle(self, request: web.Request) -> web.Response:
        """Answer a push: 200 once handled (duplicates included), 4xx for what we refuse."""
        try:
            form = await _read_form(request)
            handled = await self._dispatch(form)
        except PushRefusedError as err:
            _LOGGER.warning("Refused a push to the %s webhook: %s", self.gateway.title, err.reason)
            return web.Response(status=err.status, text=err.reason)
        except ReportBeforeSendAnsweredError as err:
            _LOGGER.debug(
                "Status of %s pushed by %s before its send was answered: to be pushed again",
                err,
                self.gateway.title,
            )
            return web.Response(
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                text="try again",
                headers={"Retry-After": REPORT_EARLY_RETRY_AFTER},
            )
        except (DuplicateMemoryFullError, WriteError) as err:
            # What it holds could not be kept for sure: 503 so that the provider pushes again.
            _LOGGER.warning(
                "A push to the %s webhook is to be tried again: %s",
                self.gateway.title,
                "too many messages in a week" if isinstance(err, DuplicateMemoryFullError) else err,
            )
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="try again")
        except Exception:
            # Our failure, not the provider's: 503 so that it pushes again.
            _LOGGER.exception("Error handling a push to the %s webhook", self.gateway.title)
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="try again")
        _LOGGER.debug("Push to the %s webhook: %s new", self.gateway.title, handled)
        return web.Response(text="OK")

    async def _dispatch(self, form: dict[str, str]) -> int:
        """Parse and hand on a push; answered once what it holds is on disk.

        Parsed and recorded before the first ``await``: duplicates are caught before any. A
        received SMS is on disk as received, then fired, before the answer (its record as fired
        goes with the next write): a push answered 200 has fired. A kill between the record and
        that next write leaves it to fire again, marked redelivered, at the next start or on
        this push's retry.
        """
        try:
            if self.gateway.is_status_push(form):
                reports = self.gateway.parse_status_push(form)
                handled = sum(self.tracker.async_apply_report(r, pushed=True) for r in reports)
                await self.tracker.async_wait_written()
                return handled
            messages = self.gateway.parse_inbound_push(form)
        except UnsupportedOperationError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a push of this provider") from err
        except GatewayError as err:
            # Plain words, as in the log line it also makes: no class name of ours.
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "a push that cannot be read") from err
        return await self.inbound.async_receive(messages, pushed=True)


type WebhookHandler = Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]

_PUSH_HANDLERS: HassKey[dict[str, PushHandler]] = HassKey(f"{DOMAIN}_push_handlers")
"""The handler of each loaded entry, by entry id."""
_REGISTERED: HassKey[set[str]] = HassKey(f"{DOMAIN}_webhooks")
"""The webhook ids registered by this integration."""
NOT_LOADED_RETRY_AFTER = "60"


@callback
def async_register_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """Register the entry's webhook, if it is not yet: from the moment the entry exists.

    Until the entry is loaded (setup retry while the provider is down, a reload in progress)
    the webhook answers 503, so that the provider pushes again instead of the push being lost:
    Home Assistant answers 200 for a webhook id it does not know. It stays registered until
    the entry is removed or disabled.
    """
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    registered = hass.data.setdefault(_REGISTERED, set())
    if webhook_id in registered:
        return
    entry_id = entry.entry_id

    async def _handle(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        if request.method != hdrs.METH_POST:
            # Answered here rather than by Home Assistant, which would log the webhook id.
            return web.Response(
                status=HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": hdrs.METH_POST}
            )
        handler = hass.data.get(_PUSH_HANDLERS, {}).get(entry_id)
        current = hass.config_entries.async_get_entry(entry_id)
        if current is None or current.disabled_by is not None:
            # Removed or disabled meanwhile: answered as Home Assistant answers an unknown id.
            async_unregister_webhook(hass, entry)
            return web.Response(status=HTTPStatus.OK)
        if handler is None or current is None or current.state is not ConfigEntryState.LOADED:
            _LOGGER.debug("Push to %s while it is not loaded: 503", entry.title)
            return web.Response(
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                text="not ready",
                headers={"Retry-After": NOT_LOADED_RETRY_AFTER},
            )
        return await handler.async_handle(request)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _handle,
        local_only=False,
        allowed_methods=webhook.SUPPORTED_METHODS,
    )
    registered.add(webhook_id)


@callback
def async_track_entry_webhooks(hass: HomeAssistant) -> None:
    """Register the webhook of every enabled entry, and follow entries as they change.

    A disabled or removed entry's webhook is unregistered: whoever holds its address reaches
    nothing. An entry enabled (or added) again gets it back before its set-up.
    """
    for entry in hass.config_entries.async_entries(
        DOMAIN, include_ignore=False, include_disabled=False
    ):
        async_register_webhook(hass, entry)

    @callback
    def _changed(change: ConfigEntryChange, entry: SmsGatewaysConfigEntry) -> None:
        # Every domain's entries pass here; only ours go on.
        if entry.domain != DOMAIN or CONF_WEBHOOK_ID not in entry.data:
            return
        if change is ConfigEntryChange.REMOVED or entry.disabled_by is not None:
            async_unregister_webhook(hass, entry)
        else:
            async_register_webhook(hass, entry)

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _changed)


@callback
def async_attach_push_handler(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, handler: PushHandler
) -> Callable[[], None]:
    """Let the entry's webhook hand pushes to ``handler``; returns what detaches it again."""
    async_register_webhook(hass, entry)
    handlers = hass.data.setdefault(_PUSH_HANDLERS, {})
    handlers[entry.entry_id] = handler

    @callback
    def _detach() -> None:
        if handlers.get(entry.entry_id) is handler:
            del handlers[entry.entry_id]

    return _detach


@callback
def async_unregister_webhook(hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
    """The entry is removed: its webhook id is unknown from now on."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook.async_unregister(hass, webhook_id)
    hass.data.setdefault(_REGISTERED, set()).discard(webhook_id)
    hass.data.setdefault(_PUSH_HANDLERS, {}).pop(entry.entry_id, None)


@callback
def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The URL to paste in the provider's console (the path alone if HA has no URL set)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)
