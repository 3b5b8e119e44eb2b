"""1,000 received SMS pushed at once to one entry's webhook.

Run with ``.venv/bin/python -m pytest benchmarks -s -p no:cacheprovider --no-cov``.

What is measured, side by side in one run:
- every distinct push fires ``sms_gateways_inbound_sms`` exactly once, duplicates included;
- the time to answer the burst, against the same burst to a webhook that does what a user sees
  (reads the push, fires the same event, writes the same event entity state; limit 1.15x), and
  to one that does nothing (Home Assistant's own routing);
- the same with one former home-grown piece swapped back in (``former.py``), and with the
  memory written by ``Store.async_save``: what each standard tool costs on this figure;
- the event loop's lateness while the burst is handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import partial
import gc
import statistics
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.components.event import EventEntity
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockEntityPlatform
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateways import storage, webhook as our_webhook
from custom_components.sms_gateways.const import EVENT_INBOUND_SMS, STORAGE_VERSION
from custom_components.sms_gateways.dedup import RecentKeys
from custom_components.sms_gateways.event import INBOUND_SMS, InboundSmsEvent
from custom_components.sms_gateways.inbound import InboundReceiver
from custom_components.sms_gateways.storage import LATER_DELAY

from . import former
from .table import Row, add, ms

PUSHES = 1000
DUPLICATES = 200
PROBE_INTERVAL = 0.002
ROUNDS = 6
STORE_ROUNDS = 2
"""Rounds with the ``Store`` contender: a burst takes it 10 to 20 times as long as ours."""
NOOP = "no-op"
VISIBLE = "what a user sees"
OURS = "ours"
FORMER_FORM = "ours, former form reader"
FORMER_WRITE = "ours, former non-cancellable future"
BASELINE_EVENT = "benchmark_inbound_sms"
STORE = "ours, written by Store"


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


class _BaselineEvent(EventEntity):
    """An event entity like ours (same description, same unrecorded attributes), fed directly."""

    entity_description = INBOUND_SMS
    _attr_name = "Benchmark inbound"
    _attr_unique_id = "benchmark_inbound"
    _unrecorded_attributes = InboundSmsEvent._unrecorded_attributes  # noqa: SLF001


_ROME = ZoneInfo("Europe/Rome")


async def _register_baselines(hass: HomeAssistant) -> None:
    """The webhooks ours is compared with: one doing nothing, one doing what a user sees."""

    async def noop(_hass: HomeAssistant, _id: str, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    webhook.async_register(hass, "benchmark", "noop", "noop-hook", noop, local_only=False)

    entity = _BaselineEvent()
    await MockEntityPlatform(hass, domain="event").async_add_entities([entity])

    async def visible(_hass: HomeAssistant, _id: str, request: web.Request) -> web.Response:
        # What a user sees of a received SMS, and nothing else: the push read, the same bus
        # event and the same event entity state; no checks, no memory of duplicates, no write.
        form = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        received_at = datetime.strptime(form["delivery_date"], "%Y%m%d%H%M%S").replace(tzinfo=_ROME)
        sms = {
            "message_id": form["id"],
            "sender": form["sender"],
            "recipient": form["recipient"],
            "message": form["text"],
            "received_at": received_at.isoformat(),
            "keyword": None,
            "contact": None,
            "trusted": False,
        }
        hass.bus.async_fire(BASELINE_EVENT, {"config_entry_id": "x", "provider": "mobyt", **sms})
        entity._trigger_event("received", sms)  # noqa: SLF001  # as our entity does
        entity.async_write_ha_state()
        return web.Response(text="OK")

    webhook.async_register(hass, "benchmark", "visible", "visible-hook", visible, local_only=False)


class _StoreWay:
    """The inbound memory written the way ``Store`` offers: ``async_save`` awaited per push.

    Not a replacement (a failed write is logged, not raised, and a save while Home Assistant
    stops is not written at all, so a push would be answered 200 with nothing on disk): only
    what it would cost.
    """

    closed = False

    def __init__(self, hass: HomeAssistant, receiver: InboundReceiver) -> None:
        self._store: Store[Any] = Store(hass, STORAGE_VERSION, receiver._store.key)  # noqa: SLF001
        self._data = receiver._data_to_save  # noqa: SLF001

    def async_changed(self) -> None:
        self._store.async_delay_save(self._data, 0)

    def async_mark_changed(self) -> None:
        self._store.async_delay_save(self._data, LATER_DELAY)

    async def async_wait_written(self) -> None:
        await self._store.async_save(self._data())


@contextmanager
def _former_parse_form() -> Iterator[None]:
    saved = our_webhook.parse_qsl
    our_webhook.parse_qsl = lambda text, **_kwargs: former.parse_form(text)  # type: ignore[assignment]
    try:
        yield
    finally:
        our_webhook.parse_qsl = saved


@contextmanager
def _former_group_write(receiver: InboundReceiver) -> Iterator[None]:
    store = receiver._store  # noqa: SLF001
    saved = storage._shielded  # noqa: SLF001
    store.__class__ = former.FormerGroupedStore
    storage._shielded = lambda write: write  # noqa: SLF001
    try:
        yield
    finally:
        storage._shielded = saved  # noqa: SLF001
        store.__class__ = storage.GroupedStore


@contextmanager
def _store_way(hass: HomeAssistant, receiver: InboundReceiver) -> Iterator[None]:
    grouped = receiver._store  # noqa: SLF001
    receiver._store = _StoreWay(hass, receiver)  # type: ignore[assignment]  # noqa: SLF001
    try:
        yield
    finally:
        receiver._store = grouped  # noqa: SLF001


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_burst_of_inbound_pushes(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """All pushes fire once; report the handler's cost against what a user sees, as ratios."""
    fired: list[str] = []

    @callback
    def _count(event: Event) -> None:
        # A callback, as an automation's trigger is: a plain function would run in the executor.
        # Only the id is kept: holding every event would grow the heap the collector walks.
        fired.append(event.data["message_id"])

    hass.bus.async_listen(EVENT_INBOUND_SMS, _count)
    # The baseline's event is listened to alike (an automation listens to either); its ids are
    # kept apart: only ours must fire once per distinct message.
    baseline_fired: list[str] = []

    @callback
    def _count_baseline(event: Event) -> None:
        baseline_fired.append(event.data["message_id"])

    hass.bus.async_listen(BASELINE_EVENT, _count_baseline)

    await _register_baselines(hass)
    receiver = init_integration.runtime_data.inbound
    client = await hass_client_no_auth()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ours = f"/api/webhook/{init_integration.data['webhook_id']}"
    # Each contender: the webhook it is posted to, and what is swapped in meanwhile.
    contenders: dict[str, tuple[str, Callable[[], AbstractContextManager[None]]]] = {
        NOOP: ("/api/webhook/noop-hook", nullcontext),
        VISIBLE: ("/api/webhook/visible-hook", nullcontext),
        OURS: (ours, nullcontext),
        FORMER_FORM: (ours, _former_parse_form),
        FORMER_WRITE: (ours, partial(_former_group_write, receiver)),
        STORE: (ours, partial(_store_way, hass, receiver)),
    }
    ours_kind = [name for name, (path, _) in contenders.items() if path == ours]

    latencies: dict[str, list[float]] = {name: [] for name in contenders}

    async def one(name: str, path: str, body: str) -> int:
        started = time.perf_counter()
        response = await client.post(path, data=body, headers=headers)
        latencies[name].append(time.perf_counter() - started)
        return response.status

    async def burst(name: str, bodies: list[str]) -> float:
        path, swap = contenders[name]
        with swap():
            started = time.perf_counter()
            statuses = await asyncio.gather(*(one(name, path, body) for body in bodies))
            elapsed = time.perf_counter() - started
            await hass.async_block_till_done()  # the swapped part's writes end with its burst
        assert set(statuses) == {200}
        return elapsed

    probe = LoopProbe()
    idle = await probe.measure(lambda: asyncio.sleep(1))
    lateness: dict[str, list[float]] = {name: [] for name in contenders}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(ROUNDS):
        # Each round and contender new messages (and copies of them), the contenders in turn,
        # each first in one round: none gains from its place. Each burst starts once the
        # previous one's writes and state changes are done, from a collected heap.
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            if name == STORE and round_ >= STORE_ROUNDS:
                continue
            if contenders[name][0] == ours:
                # Each burst meets the same memory: none of a burst before (a home keeps a week
                # of keys: far fewer than the 24,000 this test sends).
                receiver._seen = RecentKeys()  # noqa: SLF001
            first = (round_ * len(names) + names.index(name)) * PUSHES
            bodies = [_mobyt_push(first + i) for i in range(PUSHES)]
            bodies += bodies[:DUPLICATES]
            await hass.async_block_till_done()
            gc.collect()
            lateness[name] += await probe.measure(partial(_timed, burst, name, bodies, times[name]))
    await hass.async_block_till_done()

    sent = PUSHES * (ROUNDS * (len(ours_kind) - 1) + STORE_ROUNDS)
    assert len(fired) == sent
    assert len(set(fired)) == len(fired)

    _report(times, latencies, lateness, idle, fired=len(fired), sent=sent)


def _report(
    times: dict[str, list[float]],
    latencies: dict[str, list[float]],
    lateness: dict[str, list[float]],
    idle: list[float],
    *,
    fired: int,
    sent: int,
) -> None:
    """Add the burst's rows to the table, and print each burst's time."""
    names = list(times)
    bodies_per_burst = PUSHES + DUPLICATES

    def ratio(name: str, baseline: str) -> float:
        # Each burst against the other's of its own round: what the machine did meanwhile
        # weighs on both alike.
        pairs = zip(times[name], times[baseline], strict=False)
        return statistics.median(o / b for o, b in pairs)

    def median(name: str) -> float:
        return statistics.median(times[name])

    add(
        Row(
            f"inbound: {bodies_per_burst} concurrent pushes ({PUSHES} distinct), "
            f"{sent // PUSHES} bursts: events fired",
            str(fired),
            str(sent),
        )
    )
    add(
        Row(
            "inbound: time to answer a burst, ours vs a webhook doing what a user sees (reads "
            f"the push, fires the same event, writes the same entity state; median of {ROUNDS} "
            "rounds, each burst against the baseline's of its round)",
            f"{median(OURS):.3f} s ({bodies_per_burst / median(OURS):.0f} pushes/s)",
            f"{median(VISIBLE):.3f} s ({bodies_per_burst / median(VISIBLE):.0f} pushes/s)",
            ratio(OURS, VISIBLE),
            limit=1.15,
        )
    )
    add(
        Row(
            "inbound: the same, vs a no-op webhook (Home Assistant's own routing)",
            f"{median(OURS):.3f} s",
            f"{median(NOOP):.3f} s ({bodies_per_burst / median(NOOP):.0f} pushes/s)",
            ratio(OURS, NOOP),
        )
    )
    add(
        Row(
            "inbound: the same, ours (parse_qsl) vs ours with the former own form reader",
            f"{median(OURS):.3f} s",
            f"{median(FORMER_FORM):.3f} s",
            ratio(OURS, FORMER_FORM),
        )
    )
    add(
        Row(
            "inbound: the same, ours (asyncio.shield) vs ours with the former own "
            "non-cancellable future",
            f"{median(OURS):.3f} s",
            f"{median(FORMER_WRITE):.3f} s",
            ratio(OURS, FORMER_WRITE),
        )
    )
    add(
        Row(
            "inbound: the same, ours (GroupedStore) vs ours written by Store.async_save "
            f"(first {STORE_ROUNDS} rounds)",
            f"{median(OURS):.3f} s",
            f"{median(STORE):.3f} s",
            ratio(OURS, STORE),
        )
    )
    add(
        Row(
            "inbound: latency of one push p50 / p99, ours vs what a user sees",
            f"{ms(_p(latencies[OURS], 0.5) / 1000)} / {ms(_p(latencies[OURS], 0.99) / 1000)}",
            f"{ms(_p(latencies[VISIBLE], 0.5) / 1000)} / {ms(_p(latencies[VISIBLE], 0.99) / 1000)}",
        )
    )
    for baseline in (NOOP, VISIBLE):
        add(
            Row(
                f"inbound: event-loop lateness p99 during the burst, ours vs {baseline}",
                f"{_p(lateness[OURS], 0.99):.2f} ms",
                f"{_p(lateness[baseline], 0.99):.2f} ms",
                _p(lateness[OURS], 0.99) / _p(lateness[baseline], 0.99),
            )
        )
    add(
        Row(
            "inbound: longest event-loop stall during the burst, ours vs what a user sees",
            ms(max(lateness[OURS])),
            ms(max(lateness[VISIBLE])),
            max(lateness[OURS]) / max(lateness[VISIBLE]),
        )
    )
    print(
        "\n"
        f"{ROUNDS} rounds of bursts of {bodies_per_burst} pushes ({PUSHES} distinct, "
        f"{DUPLICATES} duplicates), concurrent; events fired: {fired}\n"
        + "\n".join(
            f"  {name}: {[round(t, 3) for t in times[name]]}; ratio to {VISIBLE}: "
            f"{ratio(name, VISIBLE):.2f}"
            for name in names
        )
        + f"\n  loop lateness p99 (ms) idle: {_p(idle, 0.99):.2f}; "
        + "; ".join(f"{name}: {_p(lateness[name], 0.99):.2f}" for name in names)
    )
