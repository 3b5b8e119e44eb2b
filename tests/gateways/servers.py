"""Servers on 127.0.0.1 that answer an adapter as a test says, where the simulator cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from tests.conftest import serving


@asynccontextmanager
async def posts_served(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]], *paths: str
) -> AsyncIterator[str]:
    """``handler`` answers the POSTs to ``paths`` (to any path if none) while the block runs.

    Yields the server's root URL (ending in ``/``).
    """
    app = web.Application()
    app.add_routes([web.post(path, handler) for path in paths or ("/{tail:.*}",)])
    async with serving(app) as server:
        yield str(server.make_url("/"))
