"""Each former home-grown piece against the standard tool in use now, call for call.

The decision rests on the table's figures (the inbound burst, one send), measured with each
piece swapped in ``test_webhook_burst.py`` and ``test_send.py``; these rows say what one call
costs, interleaved in the same run, median of ``REPEATS`` timings of ``CALLS`` calls each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time
from urllib.parse import parse_qsl, quote_plus, urlencode

from custom_components.sms_gateways.webhook import MAX_FIELDS

from . import former
from .table import Row, add, median

REPEATS = 15
CALLS = 2000
_PUSH = urlencode(
    {
        "id": "100001",
        "text": "Alarm test 1, the front door opened",
        "sender": "+33698765432",
        "recipient": "+33612345678",
        "delivery_date": "20261122103000",
    }
)
_MOBYT_SEND = {
    "login": "demo",
    "password": "secret",
    "message_type": "N",
    "message": "Alarm: the front door opened at 03:12",
    "recipient": "+33612345678",
    "sender": "Home",
    "return_id": "1",
}
_TEXT = "Alarm: the front door opened at 03:12"


def _per_call(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[float, float]:
    """Microseconds per call of each, timed in turn."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        for work, samples in zip((ours, theirs), timings, strict=True):
            started = time.perf_counter()
            for _ in range(CALLS):
                work()
            samples.append((time.perf_counter() - started) / CALLS * 1e6)
    return median(timings[0]), median(timings[1])


def _row(figure: str, ours: float, former_: float) -> None:
    add(Row(figure, f"{ours:.2f} us", f"{former_:.2f} us", ours / former_))


def test_form_reader_per_push() -> None:
    """``parse_qsl`` (in use) against the former own reader, on a Mobyt push."""
    ours, theirs = _per_call(
        lambda: parse_qsl(
            _PUSH, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        ),
        lambda: former.parse_form(_PUSH),
    )
    assert former.parse_form(_PUSH) == parse_qsl(_PUSH, keep_blank_values=True)
    _row("home-grown: a push's form, parse_qsl (in use) vs the former own reader", ours, theirs)


def test_quoting_per_form() -> None:
    """``urlencode`` and ``quote_plus`` (in use) against the former ``str.translate`` quoting."""
    ours, theirs = _per_call(
        lambda: urlencode(_MOBYT_SEND).encode("ascii"), lambda: former.form_body(_MOBYT_SEND)
    )
    assert urlencode(_MOBYT_SEND).encode("ascii") == former.form_body(_MOBYT_SEND)
    _row(
        "home-grown: a Mobyt send form, urlencode (in use) vs the former own quoting", ours, theirs
    )
    ours, theirs = _per_call(lambda: quote_plus(_TEXT), lambda: former.quoted(_TEXT))
    _row("home-grown: a text, quote_plus (in use) vs the former own quoting", ours, theirs)


async def test_shared_write_per_waiter() -> None:
    """1,000 waiters on one write: ``asyncio.shield`` (in use) against the former future."""
    loop = asyncio.get_running_loop()

    async def waiters(shielded: bool) -> float:
        write: asyncio.Future[None] = (
            loop.create_future() if shielded else former.GroupWrite(loop=loop)
        )

        async def wait() -> None:
            await (asyncio.shield(write) if shielded else write)

        tasks = [asyncio.create_task(wait()) for _ in range(1000)]
        started = time.perf_counter()
        await asyncio.sleep(0)
        write.set_result(None)
        await asyncio.gather(*tasks)
        return (time.perf_counter() - started) / 1000 * 1e6

    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        timings[0].append(await waiters(shielded=True))
        timings[1].append(await waiters(shielded=False))
    _row(
        "home-grown: one waiter of a shared write, asyncio.shield (in use) vs the former "
        "non-cancellable future",
        median(timings[0]),
        median(timings[1]),
    )
