"""Fixtures shared by every test: the simulator on 127.0.0.1 and an HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import settings
import pytest

from custom_components.sms_gateways import const  # noqa: F401  # mounts the integration for HA
from custom_components.sms_gateways.gateways import SmsGateway
from simulator.app import Simulator
from simulator.providers import ALL_PROVIDERS

# Machines are shared and noisy: a property test is judged on its examples, never on their time.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

API_PREFIXES = {
    "netoxygen": "/netoxygen/api2/",
    "smsfactor": "/smsfactor/API/",
    "mobyt": "/mobyt/",
    "sms123": "/sms123/api/",
}
DEMO_USERNAMES = {
    "netoxygen": "demo",
    "smsfactor": "demo@example.com",
    "mobyt": "demo",
    "sms123": "demo",
}
"""The simulator's demo account of each provider."""
DEMO_PASSWORD = "demo-password"


@dataclass
class RunningSimulator:
    """The simulator serving on 127.0.0.1, with what tests ask of it."""

    sim: Simulator
    base_url: str

    def api_url(self, provider: str) -> str:
        """The ``api_url`` that points an adapter at this simulator."""
        return f"{self.base_url}{API_PREFIXES[provider]}"

    def gateway[G: SmsGateway](
        self,
        cls: type[G],
        session: aiohttp.ClientSession,
        username: str | None = None,
        password: str = DEMO_PASSWORD,
        **kwargs: Any,
    ) -> G:
        """An adapter pointed at this simulator, on the demo account unless told another one."""
        return cls(
            session,
            username=DEMO_USERNAMES[cls.provider] if username is None else username,
            password=password,
            api_url=self.api_url(cls.provider),
            **kwargs,
        )

    def requests(self, path: str = "") -> list[dict[str, Any]]:
        """The requests received whose path starts with ``path``."""
        return [r for r in self.sim.requests if r["path"].startswith(path)]

    def play(self, **readings: str) -> None:
        """Play these readings (``netoxygen__send_status="code"`` for ``netoxygen.send_status``)."""
        for name, value in readings.items():
            self.sim.readings.choose(name.replace("__", ".", 1), value)

    def fault(self, path: str, kind: str, *, count: int = 1, seconds: float = 5) -> None:
        """Inject a fault into the next ``count`` calls of ``path``."""
        from simulator.app import Fault  # noqa: PLC0415

        self.sim.faults[path] = Fault(kind, count, seconds)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestServer]:
    """``app`` served on a free port of 127.0.0.1 while the block runs."""
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """A fresh simulator on a free port of 127.0.0.1, messages moved only when a test asks."""
    sim = Simulator(ALL_PROVIDERS, step_seconds=0)
    async with serving(sim.build_app()) as server:
        yield RunningSimulator(sim, str(server.make_url("")).rstrip("/"))


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant would give one."""
    async with aiohttp.ClientSession() as client:
        yield client
