"""The entry's webhook: what SMSFactor and Mobyt push (received SMS, delivery reports).

Home Assistant answers 200 when a handler raises, and a provider does not retry a 200: so bad
input is answered 4xx here, and a transient failure on our side 503 so that the provider tries
again. The body is read within a small bound and never logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
import logging
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from .const import DOMAIN
from .gateways import GatewayError, SmsGateway, UnsupportedOperationError
from .inbound import InboundReceiver
from .tracking import DeliveryTracker

_LOGGER = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 32
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
    body = bytearray()
    async for chunk in request.content.iter_chunked(16 * 1024):
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    try:
        # Both providers document UTF-8 (Mobyt: "le charset utilisé est UTF-8"); anything else
        # would fire a garbled text, so it is refused like a percent-encoded byte that is not UTF-8.
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "body not in UTF-8") from err
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
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
    except (ValueError, AssertionError) as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a form") from err
    if not fields:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "empty body")
    return fields


def _is_status_report(form: dict[str, str]) -> bool:
    return "order_id" in form and "status" in form


class PushHandler:
    """Handle what one entry's provider pushes."""

    def __init__(
        self,
        *,
        gateway: SmsGateway,
        inbound: InboundReceiver,
        tracker: DeliveryTracker,
    ) -> None:
        """Hand received SMS to ``inbound`` and delivery reports to ``tracker``."""
        self.gateway = gateway
        self.inbound = inbound
        self.tracker = tracker

    async def async_handle(self, request: web.Request) -> web.Response:
        """Answer a push: 200 once handled (duplicates included), 4xx for what we refuse."""
        try:
            form = await _read_form(request)
            handled = self._dispatch(form)
        except PushRefusedError as err:
            _LOGGER.warning("Refused a push to the %s webhook: %s", self.gateway.title, err.reason)
            return web.Response(status=err.status, text=err.reason)
        except Exception:
            # Our failure, not the provider's: 503 so that it pushes again.
            _LOGGER.exception("Error handling a push to the %s webhook", self.gateway.title)
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="try again")
        _LOGGER.debug("Push to the %s webhook: %s new", self.gateway.title, handled)
        return web.Response(text="OK")

    @callback
    def _dispatch(self, form: dict[str, str]) -> int:
        """Parse and hand on a push; synchronous so duplicates are caught before any await."""
        try:
            if _is_status_report(form):
                reports = self.gateway.parse_status_push(form)
                return sum(self.tracker.async_apply_report(r, pushed=True) for r in reports)
            messages = self.gateway.parse_inbound_push(form)
        except UnsupportedOperationError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not a push of this provider") from err
        except GatewayError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, type(err).__name__) from err
        return self.inbound.async_receive(messages, pushed=True)


type WebhookHandler = Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]


@callback
def async_register_webhook(
    hass: HomeAssistant, *, webhook_id: str, name: str, handler: PushHandler
) -> Callable[[], None]:
    """Register the entry's webhook; returns what unregisters it."""

    async def _handle(_hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        return await handler.async_handle(request)

    webhook.async_register(
        hass, DOMAIN, name, webhook_id, _handle, local_only=False, allowed_methods=("POST",)
    )
    return lambda: webhook.async_unregister(hass, webhook_id)


@callback
def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The URL to paste in the provider's console (the path alone if HA has no URL set)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)
