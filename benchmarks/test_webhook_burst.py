"""1,000 received SMS pushed at once to one entry's webhook.

Run with ``.venv/bin/python -m pytest benchmarks -s -p no:cacheprovider --no-cov``.

What is measured, side by side in one run:
- every distinct push fires ``sms_gateways_inbound_sms`` exactly once, duplicates included;
- the event loop's lateness while the burst is handled, against the same probe while idle;
- the time to answer the burst, against the same burst to a webhook that does nothing (the cost
  of Home Assistant's own webhook routing), so the ratio is what our handler adds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import statistics
import time
from urllib.parse import urlencode

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateways.const import EVENT_INBOUND_SMS

from .table import Row, add, ms

PUSHES = 1000
DUPLICATES = 200
PROBE_INTERVAL = 0.002


class LoopProbe:
    """Measures how late a short sleep wakes up: the event loop's responsiveness."""

    def __init__(self) -> None:
        """Start with no samples."""
        self.lateness: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(PROBE_INTERVAL)
            self.lateness.append(loop.time() - started - PROBE_INTERVAL)

    async def measure(self, work: Callable[[], Awaitable[object]]) -> list[float]:
        """The lateness samples taken while ``work`` runs."""
        self.lateness = []
        self._task = asyncio.create_task(self._run())
        try:
            await work()
        finally:
            self._task.cancel()
        return self.lateness


def _p(samples: list[float], quantile: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000


def _mobyt_push(index: int) -> str:
    return urlencode(
        {
            "id": str(100_000 + index),
            "text": f"Alarm test {index}",
            "sender": "+33698765432",
            "recipient": "+33612345678",
            "delivery_date": "20261122103000",
        }
    )


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_burst_of_inbound_pushes(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """All pushes fire once; report the loop's lateness and the handler's cost as ratios."""
    fired: list[Event] = []
    hass.bus.async_listen(EVENT_INBOUND_SMS, fired.append)

    async def noop(_hass: HomeAssistant, _id: str, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    webhook.async_register(hass, "benchmark", "noop", "noop-hook", noop, local_only=False)
    client = await hass_client_no_auth()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ours = f"/api/webhook/{init_integration.data['webhook_id']}"
    bodies = [_mobyt_push(i) for i in range(PUSHES)]
    bodies += bodies[:DUPLICATES]

    latencies: dict[str, list[float]] = {}

    async def one(path: str, body: str) -> int:
        started = time.perf_counter()
        response = await client.post(path, data=body, headers=headers)
        latencies.setdefault(path, []).append(time.perf_counter() - started)
        return response.status

    async def burst(path: str) -> float:
        started = time.perf_counter()
        statuses = await asyncio.gather(*(one(path, body) for body in bodies))
        elapsed = time.perf_counter() - started
        assert set(statuses) == {200}
        return elapsed

    probe = LoopProbe()
    idle = await probe.measure(lambda: asyncio.sleep(1))
    noop_lateness: list[float] = []
    noop_time = 0.0

    async def run_noop() -> None:
        nonlocal noop_time
        noop_time = await burst("/api/webhook/noop-hook")

    noop_lateness = await probe.measure(run_noop)
    ours_time = 0.0

    async def run_ours() -> None:
        nonlocal ours_time
        ours_time = await burst(ours)

    ours_lateness = await probe.measure(run_ours)
    await hass.async_block_till_done()

    assert len(fired) == PUSHES
    assert len({event.data["message_id"] for event in fired}) == PUSHES

    ours_latency = latencies[ours]
    add(
        Row(
            f"inbound: {len(bodies)} concurrent pushes ({PUSHES} distinct), events fired",
            str(len(fired)),
            str(PUSHES),
        )
    )
    add(
        Row(
            "inbound: time to answer the burst, ours vs a no-op webhook",
            f"{ours_time:.3f} s ({len(bodies) / ours_time:.0f} pushes/s)",
            f"{noop_time:.3f} s ({len(bodies) / noop_time:.0f} pushes/s)",
            ours_time / noop_time,
            limit=1.15,
        )
    )
    add(
        Row(
            "inbound: latency of one push p50 / p99",
            f"{ms(_p(ours_latency, 0.5) / 1000)} / {ms(_p(ours_latency, 0.99) / 1000)}",
            f"{ms(_p(latencies['/api/webhook/noop-hook'], 0.5) / 1000)} / "
            f"{ms(_p(latencies['/api/webhook/noop-hook'], 0.99) / 1000)}",
        )
    )
    add(
        Row(
            "inbound: longest event-loop stall during the burst",
            ms(max(ours_lateness)),
            ms(max(noop_lateness)),
            max(ours_lateness) / max(noop_lateness),
        )
    )
    print(
        "\n"
        f"{len(bodies)} pushes ({PUSHES} distinct, {DUPLICATES} duplicates), concurrent\n"
        f"  events fired: {len(fired)} (each distinct push once)\n"
        f"  answer time, no-op webhook: {noop_time:.3f} s; ours: {ours_time:.3f} s; "
        f"ratio ours/no-op: {ours_time / noop_time:.2f}\n"
        f"  loop lateness p50/p99/max (ms) idle: {_p(idle, 0.5):.2f}/{_p(idle, 0.99):.2f}/"
        f"{max(idle) * 1000:.2f}; no-op burst: {_p(noop_lateness, 0.5):.2f}/"
        f"{_p(noop_lateness, 0.99):.2f}/{max(noop_lateness) * 1000:.2f}; ours: "
        f"{_p(ours_lateness, 0.5):.2f}/{_p(ours_lateness, 0.99):.2f}/"
        f"{max(ours_lateness) * 1000:.2f}\n"
        f"  p99 lateness ratio ours/no-op: "
        f"{_p(ours_lateness, 0.99) / max(_p(noop_lateness, 0.99), 0.001):.2f}; "
        f"median probe samples: {statistics.median([len(idle), len(ours_lateness)])}"
    )
