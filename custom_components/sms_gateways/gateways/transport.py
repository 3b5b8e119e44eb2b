"""One HTTP request to a provider: timeouts, a bounded read, and errors in the library's terms.

What may be retried is decided here and only here: a request that certainly never left (the
connection could not be made, or its connect timeout ran out) is tried once more; after that,
or when the request may have reached the provider, the caller gets a ``GatewayConnectionError``
that says whether the provider may have acted on it. Nothing that might have been received is
ever sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any, NamedTuple
from urllib.parse import urlencode

import aiohttp

from .errors import GatewayConnectionError

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=5, sock_read=25)
MAX_RESPONSE_BYTES = 1024 * 1024
_CONNECT_ATTEMPTS = 2
_FORM = "application/x-www-form-urlencoded"
FORM_HEADERS = {"Content-Type": _FORM}
"""The headers of a form written with ``form_body``."""


def form_body(fields: Mapping[str, str]) -> bytes:
    """The bytes of a form, as ``urlencode`` writes it.

    A quoting of our own (one ``str.translate`` per field) made one send of SMSFactor 4 % to 6 %
    faster and one of Mobyt no faster, in ``script/bench`` (benchmarks/README.md): under the 10 %
    that would pay for keeping it beside ``urlencode`` and ``quote_plus``.
    """
    return urlencode(fields).encode("ascii")


def _plain_reason(err: BaseException) -> str:
    """What went wrong, in words a user reads (the class name stays in the debug log)."""
    match err:
        case aiohttp.ClientConnectorDNSError():
            return "its address was not found"
        case aiohttp.ClientConnectorCertificateError() | aiohttp.ClientSSLError():
            return "its certificate was not accepted"
        case aiohttp.ConnectionTimeoutError():
            return "no connection in time"
        case aiohttp.ClientConnectorError():
            return "the connection was refused or the network is unreachable"
        case aiohttp.ServerDisconnectedError():
            return "it closed the connection"
        case TimeoutError():
            return "no answer in time"
        case aiohttp.ClientPayloadError():
            return "its reply was cut off"
        case _:
            return "the connection broke"


class HttpReply(NamedTuple):
    """A provider's answer, read in full (within the size bound).

    A named tuple: made at every request, in a third of a frozen dataclass's steps.
    """

    status: int
    body: bytes
    content_type: str

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


async def _read_bounded(content: aiohttp.StreamReader, limit: int) -> bytes:
    """The (already decompressed) body, at most ``limit`` bytes.

    A reply that came whole is read in one call (the end is seen without asking again), the
    others chunk by chunk.

    Raises:
        GatewayConnectionError: the body is larger than ``limit``.
    """
    body = await content.readany()
    if content.at_eof() and len(body) <= limit:
        return body
    return await _read_rest(content, body, limit)


async def _read_rest(content: aiohttp.StreamReader, first: bytes, limit: int) -> bytes:
    """The body whose first chunk is ``first``, read to its end, at most ``limit`` bytes.

    Raises:
        GatewayConnectionError: the body is larger than ``limit``.
    """
    chunks: list[bytes] = []
    size = 0
    chunk = first
    while chunk:
        size += len(chunk)
        if size > limit:
            raise GatewayConnectionError(
                f"The provider's reply is larger than {limit} bytes", request_sent=True
            )
        chunks.append(chunk)
        chunk = await content.readany()
    return b"".join(chunks)


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    data: Mapping[str, str] | bytes | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> HttpReply:
    """POST to a provider and return its reply.

    Every call is a POST: aiohttp re-sends an idempotent method (GET, PUT, ...) by itself when the
    connection drops after the request went out, which could deliver an SMS twice.

    Raises:
        GatewayConnectionError: the provider could not be reached, answered too late, dropped the
            connection, answered with an HTTP error status, or sent an oversized reply.
    """
    if type(data) is dict or (
        data is not None and type(data) is not bytes and isinstance(data, Mapping)
    ):  # the ABC check is the slow one: asked last
        # The same bytes aiohttp's FormData would make, without its per-request machinery.
        data = form_body(data)
        headers = {**FORM_HEADERS, **headers} if headers else FORM_HEADERS
    attempt = 1
    while True:
        try:
            async with session.post(
                url, data=data, json=json, headers=headers, timeout=timeout
            ) as response:
                body = await _read_bounded(response.content, max_bytes)
                reply = HttpReply(response.status, body, response.content_type)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as err:
            # The request never left: safe to try once more.
            if attempt < _CONNECT_ATTEMPTS:
                attempt += 1
                _LOGGER.debug("Connecting to %s failed (%s), trying once more", url, type(err))
                continue
            _LOGGER.debug("Connecting to %s failed again (%s)", url, type(err))
            raise GatewayConnectionError(
                f"Cannot connect to the provider ({_plain_reason(err)})", request_sent=False
            ) from err
        except (TimeoutError, aiohttp.ClientError) as err:
            # ServerDisconnectedError, a read timeout, ClientPayloadError...: the provider may have
            # acted on the request. Never re-send.
            _LOGGER.debug("No full answer from %s (%s)", url, type(err))
            raise GatewayConnectionError(
                "The provider did not answer; the request may have been received "
                f"({_plain_reason(err)})",
                request_sent=True,
            ) from err
        break
    if reply.status >= 400:
        raise GatewayConnectionError(
            f"The provider answered HTTP {reply.status}",
            request_sent=True,
            provider_code=f"HTTP {reply.status}",
        )
    return reply
