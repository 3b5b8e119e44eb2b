"""The one HTTP request helper: what is retried, what is reported as an unknown outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import re
import socket

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import transport
from custom_components.sms_gateways.gateways.errors import GatewayConnectionError
from custom_components.sms_gateways.gateways.transport import post

FAST = aiohttp.ClientTimeout(total=2, sock_connect=1, sock_read=0.5)


_CLASS_NAME = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)")
"""A Python class name such as ClientConnectorError or ServerDisconnectedError."""


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[tuple[TestServer, list[str]]]:
    """A tiny server whose paths misbehave in the ways providers do."""
    hits: list[str] = []

    async def ok(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text=f"OK|{(await request.post()).get('a')}")

    async def error(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(status=500)

    async def huge(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"x" * 4096)

    async def slow(request: web.Request) -> web.Response:
        hits.append(request.path)
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def chunks(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        response = web.StreamResponse()
        await response.prepare(request)
        for part in (b"OK|", b"a" * 100, b"|end"):
            await response.write(part)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def drop(request: web.Request) -> web.Response:
        hits.append(request.path)
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError

    app = web.Application()
    app.add_routes(
        [
            web.post("/ok", ok),
            web.post("/error", error),
            web.post("/huge", huge),
            web.post("/slow", slow),
            web.post("/drop", drop),
            web.post("/chunks", chunks),
        ]
    )
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    yield test_server, hits
    await test_server.close()


async def test_post_returns_the_reply(
    server: tuple[TestServer, list[str]], session: aiohttp.ClientSession
) -> None:
    """A form is posted and the body comes back."""
    test_server, hits = server
    reply = await post(session, str(test_server.make_url("/ok")), data={"a": "1"}, timeout=FAST)
    assert reply.status == 200
    assert reply.text == "OK|1"
    assert hits == ["/ok"]


async def test_a_reply_in_several_chunks_is_read_whole(
    server: tuple[TestServer, list[str]], session: aiohttp.ClientSession
) -> None:
    """A reply that arrives in pieces is read to its end, and bounded as a whole."""
    test_server, _hits = server
    url = str(test_server.make_url("/chunks"))
    reply = await post(session, url, timeout=FAST)
    assert reply.body == b"OK|" + b"a" * 100 + b"|end"
    with pytest.raises(GatewayConnectionError, match="larger than 50 bytes"):
        await post(session, url, timeout=FAST, max_bytes=50)


@pytest.mark.parametrize("path", ["/error", "/drop", "/slow"])
async def test_a_request_that_may_have_arrived_is_never_repeated(
    server: tuple[TestServer, list[str]], session: aiohttp.ClientSession, path: str
) -> None:
    """HTTP 500, a dropped connection or a read timeout: one request, outcome unknown."""
    test_server, hits = server
    with pytest.raises(GatewayConnectionError) as err:
        await post(session, str(test_server.make_url(path)), data={"a": "1"}, timeout=FAST)
    assert err.value.request_sent is True
    assert hits == [path]
    assert not _CLASS_NAME.search(str(err.value)), str(err.value)


async def test_oversized_reply_is_refused(
    server: tuple[TestServer, list[str]], session: aiohttp.ClientSession
) -> None:
    """A reply larger than the bound is not read whole."""
    test_server, _hits = server
    with pytest.raises(GatewayConnectionError, match="larger than 1024 bytes"):
        await post(session, str(test_server.make_url("/huge")), max_bytes=1024, timeout=FAST)


async def test_refused_connection_is_reported_as_not_sent(
    session: aiohttp.ClientSession,
) -> None:
    """Nothing listens: the request never left, and the error says so."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GatewayConnectionError) as err:
        await post(session, f"http://127.0.0.1:{port}/x", timeout=FAST)
    assert err.value.request_sent is False
    assert "Cannot connect" in str(err.value)
    # The user reads the error (in an action's error, a repair): plain words, no class name.
    assert not _CLASS_NAME.search(str(err.value)), str(err.value)
    assert "refused" in str(err.value)


class _Chunks:
    """A stream that gives ``chunks`` one by one, as aiohttp's StreamReader does."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = [chunk for chunk in chunks if chunk]

    async def readany(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    def at_eof(self) -> bool:
        return not self.chunks


async def _read_as_before(content: _Chunks, limit: int) -> bytes:
    """The bounded read as it was: chunk after chunk until an empty one."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise GatewayConnectionError("larger", request_sent=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _read_outcome(read: object, chunks: list[bytes], limit: int) -> bytes | None:
    try:
        return asyncio.run(read(_Chunks(chunks), limit))  # type: ignore[operator]
    except GatewayConnectionError:
        return None


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=40), max_size=5), st.integers(0, 120))
def test_bounded_read_reads_as_before(chunks: list[bytes], limit: int) -> None:
    """Any chunks and bound: the same body, or the same refusal, as the chunk-by-chunk read."""
    ours = _read_outcome(transport._read_bounded, chunks, limit)
    assert ours == _read_outcome(_read_as_before, chunks, limit)
