"""How an adapter's call ends, as to the requests it made: none, or one and never again."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
import pytest

from custom_components.sms_gateways.gateways import GatewayConnectionError
from tests.conftest import RunningSimulator

IMPATIENT = aiohttp.ClientTimeout(total=0.5, sock_connect=0.2, sock_read=0.4)
"""A timeout that the simulator's ``delay`` fault (5 seconds unless told) outlasts."""


async def fails_after_sending(
    simulator: RunningSimulator,
    path: str,
    fault: str,
    call: Awaitable[object],
    *,
    seconds: float = 5,
) -> GatewayConnectionError:
    """Play ``fault`` on ``path`` and make ``call``: it fails, saying the request went out.

    The request is made once: what may have reached the provider is never sent again. For
    ``http500`` alone, the error is also checked to name the status (``HTTP 500``).
    """
    simulator.fault(path, fault, seconds=seconds)
    with pytest.raises(GatewayConnectionError) as caught:
        await call
    assert caught.value.request_sent
    assert len(simulator.requests(path)) == 1
    if fault == "http500":
        assert caught.value.provider_code == "HTTP 500"
    return caught.value


async def refused_before_sending[E: BaseException](
    simulator: RunningSimulator,
    error: type[E],
    call: Awaitable[object],
    *,
    match: str | None = None,
) -> E:
    """Make ``call``: it raises ``error`` (matching ``match``) before any request is made."""
    with pytest.raises(error, match=match) as caught:
        await call
    assert simulator.requests() == []
    return caught.value
