"""Sending: our cost against a raw request, and a bulk send against the way core notifiers send.

Measured side by side in one run, interleaved, against the simulator on 127.0.0.1 (in the same
event loop as Home Assistant's test instance, so both sides pay the simulator's own work):

- overhead: one send to one recipient through the adapter, against a raw aiohttp POST of the
  identical body (captured from the simulator's request log) with the same session, median of
  ``OVERHEAD_RUNS`` pairs;
- bulk: 100 recipients (123-SMS.net: the 29 one send takes) through ``sms_gateways.send_sms``,
  against one blocking ``requests`` call per recipient in the executor, one after the other
  (how ``twilio_sms``-style core notifiers send), and against the limit: the same requests we
  made, replayed raw.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
import time
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import requests

from custom_components.sms_gateways.const import DOMAIN
from custom_components.sms_gateways.gateways import OutgoingSms, mobyt, smsfactor, transport
from tests.conftest import RunningSimulator

from . import former
from .table import Row, add, median, ms

PROVIDERS = ["netoxygen", "smsfactor", "mobyt", "sms123"]
OVERHEAD_RUNS = 300
BULK_RUNS = 9
BULK_RECIPIENTS = [f"+3361200{index:04d}" for index in range(100, 200)]
TEXT = "Alarm: the front door opened at 03:12"

pytestmark = pytest.mark.parametrize("provider", PROVIDERS)


FORMS = ("smsfactor", "mobyt")
"""The providers whose requests are forms (the others send XML-RPC and JSON)."""


@contextmanager
def _former_quoting() -> Iterator[None]:
    saved = transport.form_body, mobyt.form_body, smsfactor.quote_plus
    transport.form_body = mobyt.form_body = former.form_body
    smsfactor.quote_plus = former.quoted
    try:
        yield
    finally:
        transport.form_body, mobyt.form_body, smsfactor.quote_plus = saved


@pytest.fixture
def funded_entry(simulator: RunningSimulator, init_integration: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up, on an account that never runs out of credits (or Mobyt lines)."""
    for account in simulator.sim.state.accounts.values():
        account.credits = 1e9
        account.extra.pop("lines", None)
    return init_integration


def _forget_sends(simulator: RunningSimulator) -> None:
    """Nothing accumulates (123-SMS refuses a text sent twice within 24 hours)."""
    simulator.sim.requests.clear()
    simulator.sim.state.messages.clear()


def _raw_request(
    simulator: RunningSimulator, record: dict[str, Any]
) -> tuple[str, bytes, dict[str, str]]:
    """URL, body and headers of a logged request, to send again byte for byte."""
    headers = {"Content-Type": record["content_type"], **record["headers"]}
    return f"{simulator.base_url}{record['path']}", record["body"].encode(), headers


def _with_number(body: bytes, sent_to: str, number: str) -> bytes:
    """A one-recipient body sent to ``sent_to``, made out to ``number`` (as digits or base64)."""
    for encode in (lambda n: n.encode(), lambda n: base64.b64encode(n.encode())):
        old, new = encode(sent_to.removeprefix("+")), encode(number.removeprefix("+"))
        if old in body:
            return body.replace(old, new)
    raise AssertionError("the one-recipient body names its number")


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def test_overhead_of_one_send(
    hass: HomeAssistant, simulator: RunningSimulator, funded_entry: MockConfigEntry, provider: str
) -> None:
    """One send through the adapter against a raw POST of the same bytes."""
    gateway = funded_entry.runtime_data.gateway
    session = async_get_clientsession(hass)
    sms = OutgoingSms(recipients=("+33612345678",), message=TEXT, sender="Home")
    simulator.sim.requests.clear()
    await gateway.send(sms)
    sends = simulator.requests()
    assert len(sends) == 1
    simulator.sim.state.messages.clear()
    url, body, headers = _raw_request(simulator, sends[0])

    async def raw() -> None:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            assert response.status == 200

    ours: list[float] = []
    baseline: list[float] = []
    quoting: list[float] = []  # with the former own quoting (the forms of SMSFactor and Mobyt)
    for _ in range(OVERHEAD_RUNS):
        # Each request meets the same simulator state, so that both get the same answer: kept,
        # the raw one was the second of a text to a number, which 123-SMS refuses (code 91)
        # without the work of a send.
        _forget_sends(simulator)
        ours.append(await _timed(lambda: gateway.send(sms)))
        _forget_sends(simulator)
        baseline.append(await _timed(raw))
        if provider in FORMS:
            _forget_sends(simulator)
            with _former_quoting():
                quoting.append(await _timed(lambda: gateway.send(sms)))
    add(
        Row(
            f"{provider}: one send, adapter vs raw POST (median of {OVERHEAD_RUNS})",
            ms(median(ours)),
            ms(median(baseline)),
            median(ours) / median(baseline),
            limit=1.15,
        )
    )
    if quoting:
        add(
            Row(
                f"{provider}: one send, urlencode/quote_plus (in use) vs the former own quoting "
                f"(median of {OVERHEAD_RUNS})",
                ms(median(ours)),
                ms(median(quoting)),
                median(ours) / median(quoting),
            )
        )


async def test_bulk_send(
    hass: HomeAssistant, simulator: RunningSimulator, funded_entry: MockConfigEntry, provider: str
) -> None:
    """100 recipients (or the most a send takes): requests and time, against core and the limit."""
    bulk = BULK_RECIPIENTS[: funded_entry.runtime_data.gateway.max_recipients]
    session = async_get_clientsession(hass)

    async def ours() -> None:
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {
                ATTR_CONFIG_ENTRY_ID: funded_entry.entry_id,
                "recipients": bulk,
                "message": TEXT,
            },
            blocking=True,
            return_response=True,
        )

    simulator.sim.requests.clear()
    await ours()
    made = simulator.requests()
    simulator.sim.state.messages.clear()
    our_requests = [_raw_request(simulator, record) for record in made]
    # The core way: one request per recipient; its body is our one-recipient body with that number.
    simulator.sim.requests.clear()
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {
            ATTR_CONFIG_ENTRY_ID: funded_entry.entry_id,
            "recipients": [bulk[0]],
            "message": TEXT,
        },
        blocking=True,
        return_response=True,
    )
    url, one_body, headers = _raw_request(simulator, simulator.requests()[-1])
    core_bodies = [_with_number(one_body, bulk[0], number) for number in bulk]
    simulator.sim.state.messages.clear()

    def core_way() -> None:
        with requests.Session() as blocking:
            for body in core_bodies:
                blocking.post(url, data=body, headers=headers, timeout=30).raise_for_status()

    bound = asyncio.Semaphore(4)

    async def replay(request: tuple[str, bytes, dict[str, str]]) -> None:
        async with bound, session.post(request[0], data=request[1], headers=request[2]) as response:
            await response.read()

    async def limit() -> None:
        await asyncio.gather(*(replay(request) for request in our_requests))

    times: dict[str, list[float]] = {"ours": [], "core": [], "limit": []}
    for _ in range(BULK_RUNS):
        times["ours"].append(await _timed(ours))
        times["core"].append(await _timed(lambda: hass.async_add_executor_job(core_way)))
        times["limit"].append(await _timed(limit))
        simulator.sim.requests.clear()
        simulator.sim.state.messages.clear()
    ours_time, core_time, limit_time = (median(times[key]) for key in ("ours", "core", "limit"))
    add(
        Row(
            f"{provider}: {len(bulk)} recipients, send_sms ({len(made)} requests, credits refresh "
            f"included) vs core way ({len(bulk)} blocking, one by one)",
            ms(ours_time),
            ms(core_time),
            ours_time / core_time,
        )
    )
    add(
        Row(
            f"{provider}: {len(bulk)} recipients, send_sms vs raw replay of its {len(made)} "
            "request(s)",
            ms(ours_time),
            ms(limit_time),
            ours_time / limit_time,
        )
    )
