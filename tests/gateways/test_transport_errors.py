"""What ``post`` says when a provider cannot be reached or its reply breaks: plain words."""

from __future__ import annotations

from collections.abc import AsyncIterator
import re
import socket
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
import pytest

from custom_components.sms_gateways.gateways.errors import GatewayConnectionError
from custom_components.sms_gateways.gateways.transport import form_body, post

FAST = aiohttp.ClientTimeout(total=2, sock_connect=1, sock_read=0.5)
_CLASS_NAME = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)")


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[TestServer]:
    """A plain HTTP server whose reply is cut off before its announced length."""

    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b"OK|part")
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.add_routes([web.post("/cut", cut)])
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def test_a_reply_cut_off_may_have_been_received(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    """The reply stops short: the request may have been received, said in words."""
    with pytest.raises(GatewayConnectionError) as err:
        await post(session, str(server.make_url("/cut")), data={"a": "1"}, timeout=FAST)
    assert err.value.request_sent is True
    assert "its reply was cut off" in str(err.value)
    assert not _CLASS_NAME.search(str(err.value))


async def test_tls_to_a_server_that_does_not_speak_it_is_not_sent(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    """An https address whose server offers no usable certificate: never sent, said so."""
    url = f"https://127.0.0.1:{server.port}/cut"
    with pytest.raises(GatewayConnectionError) as err:
        await post(session, url, data={"a": "1"}, timeout=FAST)
    assert err.value.request_sent is False
    assert "its certificate was not accepted" in str(err.value)
    assert not _CLASS_NAME.search(str(err.value))


class _NoSuchHost(AbstractResolver):
    """A resolver that finds no address, as for a mistyped provider address."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        """Nothing to close."""


async def test_an_address_not_found_is_not_sent(socket_enabled: None) -> None:
    """The provider's host name does not resolve: never sent, said in words."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=_NoSuchHost())
    ) as session:
        with pytest.raises(GatewayConnectionError) as err:
            await post(session, "http://api.example.invalid/x", timeout=FAST)
    assert err.value.request_sent is False
    assert "its address was not found" in str(err.value)


@pytest.mark.parametrize("fields", [{"a": 1}, {"n": 2.5, "b": "é"}])
def test_form_body_of_values_that_are_not_text(fields: dict[str, Any]) -> None:
    """A value that is not text is written as ``urlencode`` writes it."""
    assert form_body(fields) == urlencode(fields).encode("ascii")
