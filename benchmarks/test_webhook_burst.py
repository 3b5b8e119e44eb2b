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
from functools import partial
import gc
import statistics
import time
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateways.const import EVENT_INBOUND_SMS

from .table import Row, add, ms

PUSHES = 1000
DUPLICATES = 200
PROBE_INTERVAL = 0.002
ROUNDS = 6


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


async def _timed(
    burst: Callable[[str, list[str]], Awaitable[float]],
    path: str,
    bodies: list[str],
    times: list[float],
) -> None:
    times.append(await burst(path, bodies))


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


def _register_baselines(hass: HomeAssistant) -> None:
    """The webhooks ours is compared with: one doing nothing, one doing what a user sees."""

    async def noop(_hass: HomeAssistant, _id: str, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    webhook.async_register(hass, "benchmark", "noop", "noop-hook", noop, local_only=False)

    async def visible(_hass: HomeAssistant, _id: str, request: web.Request) -> web.Response:
        # Only what a user sees of a received SMS: one bus event and one entity state.
        form = dict(parse_qsl((await request.read()).decode()))
        hass.bus.async_fire("benchmark_received", form)
        hass.states.async_set("event.benchmark_inbound", "received", form, force_update=True)
        return web.Response(text="OK")

    webhook.async_register(hass, "benchmark", "visible", "visible-hook", visible, local_only=False)


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_burst_of_inbound_pushes(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """All pushes fire once; report the loop's lateness and the handler's cost as ratios."""
    fired: list[str] = []

    @callback
    def _count(event: Event) -> None:
        # A callback, as an automation's trigger is: a plain function would run in the executor.
        # Only the id is kept: holding every event would grow the heap the collector walks.
        fired.append(event.data["message_id"])

    hass.bus.async_listen(EVENT_INBOUND_SMS, _count)

    _register_baselines(hass)
    client = await hass_client_no_auth()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ours = f"/api/webhook/{init_integration.data['webhook_id']}"
    noop_path = "/api/webhook/noop-hook"
    visible_path = "/api/webhook/visible-hook"

    latencies: dict[str, list[float]] = {}

    async def one(path: str, body: str) -> int:
        started = time.perf_counter()
        response = await client.post(path, data=body, headers=headers)
        latencies.setdefault(path, []).append(time.perf_counter() - started)
        return response.status

    async def burst(path: str, bodies: list[str]) -> float:
        started = time.perf_counter()
        statuses = await asyncio.gather(*(one(path, body) for body in bodies))
        elapsed = time.perf_counter() - started
        assert set(statuses) == {200}
        return elapsed

    probe = LoopProbe()
    idle = await probe.measure(lambda: asyncio.sleep(1))
    lateness: dict[str, list[float]] = {noop_path: [], ours: [], visible_path: []}
    times: dict[str, list[float]] = {noop_path: [], ours: [], visible_path: []}
    for round_ in range(ROUNDS):
        # Each round new messages (and copies of them), the three webhooks in turn, each first
        # in one round of three: none gains from its place. Each burst starts once the previous
        # one's writes and state changes are done, from a collected heap.
        bodies = [_mobyt_push(round_ * PUSHES + i) for i in range(PUSHES)]
        bodies += bodies[:DUPLICATES]
        order = [noop_path, ours, visible_path]
        for path in order[round_ % 3 :] + order[: round_ % 3]:
            await hass.async_block_till_done()
            gc.collect()
            lateness[path] += await probe.measure(partial(_timed, burst, path, bodies, times[path]))
    await hass.async_block_till_done()
    noop_times, ours_times, visible_times = times[noop_path], times[ours], times[visible_path]
    noop_lateness, ours_lateness = lateness[noop_path], lateness[ours]
    noop_time = statistics.median(noop_times)
    ours_time = statistics.median(ours_times)
    visible_time = statistics.median(visible_times)
    # Each burst against the no-op one of its own round: what the machine did meanwhile weighs
    # on both alike.
    ratio = statistics.median(o / n for o, n in zip(ours_times, noop_times, strict=True))
    visible_ratio = statistics.median(o / v for o, v in zip(ours_times, visible_times, strict=True))
    bodies_per_burst = PUSHES + DUPLICATES

    assert len(fired) == PUSHES * ROUNDS
    assert len(set(fired)) == PUSHES * ROUNDS

    ours_latency = latencies[ours]
    add(
        Row(
            f"inbound: {bodies_per_burst} concurrent pushes ({PUSHES} distinct), "
            f"{ROUNDS} bursts: events fired",
            str(len(fired)),
            str(PUSHES * ROUNDS),
        )
    )
    add(
        Row(
            f"inbound: time to answer a burst, ours vs a no-op webhook (median of {ROUNDS} "
            "rounds, each burst against the no-op one of its round)",
            f"{ours_time:.3f} s ({bodies_per_burst / ours_time:.0f} pushes/s)",
            f"{noop_time:.3f} s ({bodies_per_burst / noop_time:.0f} pushes/s)",
            ratio,
            limit=1.15,
        )
    )
    add(
        Row(
            "inbound: the same, vs a webhook that only fires the event and sets a state",
            f"{ours_time:.3f} s",
            f"{visible_time:.3f} s ({bodies_per_burst / visible_time:.0f} pushes/s)",
            visible_ratio,
        )
    )
    add(
        Row(
            "inbound: latency of one push p50 / p99",
            f"{ms(_p(ours_latency, 0.5) / 1000)} / {ms(_p(ours_latency, 0.99) / 1000)}",
            f"{ms(_p(latencies[noop_path], 0.5) / 1000)} / "
            f"{ms(_p(latencies[noop_path], 0.99) / 1000)}",
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
        f"{ROUNDS} bursts of {bodies_per_burst} pushes ({PUSHES} distinct, {DUPLICATES} "
        "duplicates), concurrent\n"
        f"  events fired: {len(fired)} (each distinct push once)\n"
        f"  answer times, no-op webhook: {noop_times}; ours: {ours_times}\n"
        f"  medians, no-op webhook: {noop_time:.3f} s; ours: {ours_time:.3f} s; "
        f"ratio ours/no-op (median of the rounds'): {ratio:.2f}\n"
        f"  loop lateness p50/p99/max (ms) idle: {_p(idle, 0.5):.2f}/{_p(idle, 0.99):.2f}/"
        f"{max(idle) * 1000:.2f}; no-op burst: {_p(noop_lateness, 0.5):.2f}/"
        f"{_p(noop_lateness, 0.99):.2f}/{max(noop_lateness) * 1000:.2f}; ours: "
        f"{_p(ours_lateness, 0.5):.2f}/{_p(ours_lateness, 0.99):.2f}/"
        f"{max(ours_lateness) * 1000:.2f}\n"
        f"  p99 lateness ratio ours/no-op: "
        f"{_p(ours_lateness, 0.99) / max(_p(noop_lateness, 0.99), 0.001):.2f}; "
        f"median probe samples: {statistics.median([len(idle), len(ours_lateness)])}"
    )
