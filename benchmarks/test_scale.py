"""Start-up and the scale of what grows.

The calls made to set up an entry, the import time, 10,000 pending deliveries, and a Mobyt poll
that brings 1,000 new SMS. Figures, not assertions (except that no SMS is lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta
import math
import os
from pathlib import Path
import re
import subprocess
import sys
import time
import tracemalloc

from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import EVENT_INBOUND_SMS
from custom_components.sms_gateways.gateways import (
    DeliveryStatus,
    Encoding,
    MessageInfo,
    RecipientResult,
    SendResult,
)
from custom_components.sms_gateways.tracking import (
    BACKOFF,
    MAX_AGE,
    POLL_REQUESTS,
    POLL_TICK,
)
from simulator.state import PARIS, SimInbound
from tests.conftest import RunningSimulator

from .table import Row, add, ms

PROVIDERS = ["netoxygen", "smsfactor", "mobyt", "sms123"]
PENDING = 10_000
NEW_SMS = 1_000
_METHOD = re.compile(r"<methodName>([^<]+)</methodName>")


def _call_name(record: dict[str, object]) -> str:
    """What a logged request asked: the XML-RPC method, else the path's last part."""
    found = _METHOD.search(str(record["body"]))
    return found.group(1) if found else str(record["path"]).rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_calls_made_at_setup(
    simulator: RunningSimulator, init_integration: MockConfigEntry, provider: str
) -> None:
    """Every value read once when one entry is set up."""
    names = [_call_name(record) for record in simulator.requests()]
    counts = {name: names.count(name) for name in dict.fromkeys(names)}
    summary = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in counts.items())
    add(Row(f"start-up: {provider} calls to set up one entry", f"{len(names)} ({summary})"))


def test_import_time() -> None:
    """Importing the integration and its platforms, after what Home Assistant has loaded."""
    code = (
        "import time, homeassistant.core, homeassistant.helpers.entity_platform, "
        "homeassistant.components.webhook, homeassistant.components.notify;"
        "t = time.perf_counter();"
        "import custom_components.sms_gateways, custom_components.sms_gateways.sensor, "
        "custom_components.sms_gateways.notify, custom_components.sms_gateways.event, "
        "custom_components.sms_gateways.binary_sensor, custom_components.sms_gateways.config_flow;"
        "print(time.perf_counter() - t)"
    )
    root = Path(__file__).parent.parent
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], cwd=root, text=True))  # noqa: S603
        for _ in range(5)
    ]
    add(
        Row(
            "start-up: import of the integration and its platforms (median of 5)",
            ms(sorted(runs)[2]),
        )
    )


def _message_id(provider: str, index: int) -> str:
    number = f"+3361200{index:04d}"
    if provider == "smsfactor":
        return f"{1_000_000 + index}:ref{index}"
    if provider == "mobyt":
        return f"order{index // 100}:{number}"
    return str(5_000_000 + index)


def _checks_in_48_hours() -> int:
    """How often the back-off asks about one message that never becomes final."""
    elapsed, checks = BACKOFF[0], 0
    while elapsed <= MAX_AGE:
        checks += 1
        elapsed += BACKOFF[min(checks, len(BACKOFF) - 1)]
    return checks


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_ten_thousand_pending_deliveries(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    init_integration: MockConfigEntry,
    provider: str,
) -> None:
    """Memory, store size and the requests of one poll with 10,000 messages followed."""
    tracker = init_integration.runtime_data.tracker
    info = MessageInfo(encoding=Encoding.GSM7, characters=5, length=5, segments=1)
    messages = tuple(
        RecipientResult(
            recipient=f"+3361200{index:04d}",
            accepted=True,
            message_id=_message_id(provider, index),
            status=DeliveryStatus.QUEUED,
        )
        for index in range(PENDING)
    )
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for start in range(0, PENDING, 100):
        tracker.async_track_send(SendResult(messages=messages[start : start + 100], info=info))
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    memory = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    await tracker.async_flush()
    # The deliveries are written by a GroupedStore, straight to its file (not hass_storage).
    path = tracker._store.path  # noqa: SLF001
    store = await hass.async_add_executor_job(os.path.getsize, path)
    if not tracker.pending:
        add(
            Row(f"scale: {provider}, {PENDING} pending deliveries", "not followed (no status call)")
        )
        return
    now = dt_util.utcnow()
    for message in tracker.pending.values():
        object.__setattr__(message, "next_check", now)
    simulator.sim.requests.clear()
    started = time.perf_counter()
    asked = await tracker.async_poll()
    elapsed = time.perf_counter() - started
    requests = len(simulator.requests())
    per_48h = _checks_in_48_hours()
    # Without the bound, every message asked per_48h times; with it, POLL_REQUESTS a tick.
    unbounded = math.ceil(requests * (PENDING / max(asked, 1)) * per_48h / 48)
    per_hour = min(unbounded, POLL_REQUESTS * math.ceil(timedelta(hours=1) / POLL_TICK))
    add(
        Row(
            f"scale: {provider}, {PENDING} pending, all due: memory / store / one poll",
            f"{memory / 1e6:.1f} MB / {store / 1e6:.1f} MB / {requests} requests "
            f"({asked:,} asked) in {ms(elapsed)}",
            f"each message asked {per_48h} times in 48 h: at most {per_hour:,} requests/h",
        )
    )
    await tracker.async_flush()


@pytest.mark.parametrize("provider", ["mobyt"])
async def test_poll_bringing_a_thousand_sms(
    hass: HomeAssistant, simulator: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """One Mobyt poll that finds 1,000 new SMS: each fired once."""
    fired: list[Event] = []
    hass.bus.async_listen(EVENT_INBOUND_SMS, fired.append)
    receiver = init_integration.runtime_data.inbound
    username = init_integration.data["username"]
    now = datetime.now(PARIS).replace(microsecond=0)
    for index in range(NEW_SMS):
        simulator.sim.state.inbound.append(
            SimInbound(
                inbound_id=simulator.sim.state.next_inbound_id(),
                provider="mobyt",
                username=username,
                sender="+33698765432",
                recipient="+33612345678",
                text=f"Reply {index}",
                received_at=now,
            )
        )
    simulator.sim.requests.clear()
    started = time.perf_counter()
    await receiver.async_poll()
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - started
    add(
        Row(
            f"scale: mobyt poll bringing {NEW_SMS} new SMS: events fired, requests, time",
            f"{len(fired)} events, {len(simulator.requests())} request(s), {ms(elapsed)}",
            str(NEW_SMS),
        )
    )
    assert len(fired) == NEW_SMS
