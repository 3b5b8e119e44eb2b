"""Hypothesis strategies and checks for every reader of Mobyt data (replies and pushes).

Seeded with the doc's example replies and the simulator's own replies and pushes, then
mutated with the characters that broke readers before (``²``, ``٣``, separators, controls).
Each check runs one reader and fails unless it gives a model or a ``GatewayError``.
The default suite runs a modest number of examples per reader; ``benchmarks/fuzz_mobyt.py``
runs at least 10,000 each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from datetime import UTC, datetime
import math
from typing import Any, cast
from unittest.mock import patch
from urllib.parse import parse_qsl

import aiohttp
from hypothesis import strategies as st

from custom_components.sms_gateways.gateways import (
    GatewayError,
    InboundPage,
    MobytGateway,
    OutgoingSms,
    mobyt,
)
from custom_components.sms_gateways.gateways.transport import HttpReply
from simulator.mobyt import MobytSim, _table
from simulator.state import SimInbound, SimMessage, SimState

DOC_REPLIES = (
    "OK|1F11FEADCB6A4|1",
    "OK;%2B336061234567|DLVRD|20090309120636;%2B336106543210|ERROR|;%2B341234567|UNKNRCPT|;",
    "OK;",
    (
        "OK;|20090217164232|GS||2|20090219164153;1F11FEAD08FE0|20090309113910|GP|test|1;"
        "|20090309120139|N|eXpEdItEuR|2|"
    ),
    "OK;N|IT|37;N|IT|37;N|IT|37;L|ES|56;L|ES|56;L|ES|100;EE||81",
    "OK;12345678|%2B336061234567|%2B336107654321|hello+world|20090309113910|;",
    "KO|1|Invalid+login+or+password",
    "KO|2|Not+enough+credits",
)


def _simulator_replies() -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    """Replies and pushes exactly as the simulator writes them."""
    when = datetime(2030, 3, 31, 3, 30, tzinfo=UTC)
    replies = (
        _table([["N", "FR", "100"], ["L", "FR", "99.5"], ["EE", "", "50"]], trailing=False),
        _table([["+33612345678", "DLVRD", "20300331053000"], ["+33612340000", "ERROR", ""]]),
        _table([["ABC123", "20300331053000", "N", "Maison", "2", ""]], trailing=False),
        _table(
            [["1001", "+33612345680", "+33612345678", "stop now; | 100%", "20300331053000", "STOP"]]
        ),
        "OK|4F2A1B|3",
        "KO|4|Invalid+recipient%3A+%2B33612349999",
        "KO|9|Order+not+found%3A+ABC",
    )
    sim = MobytSim(SimState())
    inbound = sim.inbound_push(
        SimInbound(1234, "mobyt", "demo", "+33612345678", "+33612345680", "Oui & non", when)
    )
    status = sim.status_push(
        SimMessage(
            message_id="ORDER1:+33612347777",
            provider="mobyt",
            username="demo",
            recipient="+33612347777",
            text="hi",
            sender=None,
            created_at=when,
            status="delivered",
            delivered_at=when,
            batch_id="ORDER1",
        )
    )
    forms = tuple(
        dict(parse_qsl(push.body.decode(), keep_blank_values=True))
        for push in (inbound, status)
        if push is not None
    )
    return replies, forms


SIM_REPLIES, SIM_FORMS = _simulator_replies()
SEEDS = DOC_REPLIES + SIM_REPLIES
DOC_FORMS = (
    {
        "id": "12345678",
        "text": "hello world",
        "sender": "+336107654321",
        "recipient": "+336061234567",
        "delivery_date": "20090309113910",
    },
    {
        "order_id": "123FC75",
        "recipient": "+336061234567",
        "status": "DLVRD",
        "delivery_date": "20090309120636",
    },
)
FORMS = DOC_FORMS + SIM_FORMS
INTERESTING = (
    "²",
    "¹",
    "٣",
    "\U0001d7d8",
    "|",
    ";",
    "\n",
    "\r\n",
    "%",
    "%2B",
    "%C2%B2",
    "%",
    "+",
    "0",
    "9",
    "-",
    " ",
    "\x00",
    "\x1f",
    "KO",
    "OK",
    "é",
    "99999999999999999999",
    "1e999",
    "nan",
    ".",
    ":",
)


def _mutate(seed: str, edits: list[tuple[int, str]], cuts: list[int]) -> str:
    text = seed
    for position, piece in edits:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at:]
    for position in cuts:
        if text:
            at = position % len(text)
            text = text[:at] + text[at + 1 :]
    return text


_pieces = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=4))
_edits = st.lists(st.tuples(st.integers(0, 400), _pieces), max_size=6)
_cuts = st.lists(st.integers(0, 400), max_size=4)
replies = st.one_of(
    st.sampled_from(SEEDS),
    st.builds(_mutate, st.sampled_from(SEEDS), _edits, _cuts),
    st.text(max_size=200),
)
"""Text a Mobyt server could answer: the seeds, mutated seeds, and anything."""
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(INTERESTING),
    st.builds(
        _mutate,
        st.sampled_from(["12345678", "20090309113910", "+33612345678", "DLVRD", "ABC123"]),
        _edits,
        _cuts,
    ),
)


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    """A pushed form: a seed with fields changed, dropped or added."""
    form = dict(draw(st.sampled_from(FORMS)))
    for key in draw(st.lists(st.sampled_from(sorted({k for f in FORMS for k in f})), max_size=4)):
        if draw(st.booleans()):
            form[key] = draw(values)
        else:
            form.pop(key, None)
    return form


def _records_of(text: str) -> list[list[str]]:
    try:
        reply = mobyt.read_reply(text)
    except GatewayError:
        return []
    return reply if isinstance(reply, list) else []


records = st.one_of(
    st.builds(_records_of, replies),
    st.lists(st.lists(values, max_size=7), max_size=5),
)


def total(reader: Callable[[], Any]) -> Any:
    """Run ``reader``: its result, or None for a ``GatewayError``; anything else propagates."""
    try:
        return reader()
    except GatewayError:
        return None


# --- the readers ------------------------------------------------------------------------------


def check_reply(text: str) -> None:
    total(lambda: mobyt.parse_reply(text))
    reply = total(lambda: mobyt.read_reply(text))
    if isinstance(reply, mobyt.Refusal):
        assert isinstance(reply.error(), GatewayError)


def check_tables(rows: list[list[str]]) -> None:
    total(lambda: mobyt.parse_credits(rows))
    total(lambda: mobyt.parse_history(rows))
    mobyt.parse_status_rows(rows, "FR")
    page = mobyt.parse_inbound(rows, "FR")
    assert isinstance(page, InboundPage)
    for sms in page.messages:
        assert sms.message_id is not None
        assert sms.message_id.isascii()
        assert sms.message_id.isdigit()
        assert page.last_id is not None
        assert int(sms.message_id) <= page.last_id


def check_forms(form: dict[str, str]) -> None:
    inbound = total(lambda: mobyt.parse_inbound_push(form, "FR"))
    if inbound is not None:
        assert inbound.message_id
    total(lambda: mobyt.parse_status_push(form, "FR"))


def check_fields(value: str) -> None:
    total(lambda: mobyt.parse_date(value))
    amount = mobyt.parse_amount(value)
    assert amount is None or not math.isnan(amount)
    count = mobyt.parse_count(value)
    assert count is None or count >= 0
    total(lambda: mobyt.split_message_id(value))


class _Replies:
    """Stands in for the transport: each POST gets the next reply."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies

    async def __call__(self, *_args: Any, **_kwargs: Any) -> HttpReply:
        body = self.bodies.pop(0) if self.bodies else "OK;"
        return HttpReply(200, body.encode(), "text/plain")


_LOOP = asyncio.new_event_loop()


def check_calls(bodies: list[str]) -> None:
    """Every call of the gateway, answered with ``bodies`` in turn."""

    async def calls() -> None:
        # The transport is replaced: the session is never used.
        session = cast("aiohttp.ClientSession", None)
        gateway = MobytGateway(session, username="u", password="p", api_url="http://m.invalid/")
        sms = OutgoingSms(
            recipients=("+33612345678", "+33612345679", "+33612349999"),
            message="hi",
            sender="Maison",
        )
        start, end = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)
        jobs: list[Callable[[], Awaitable[object]]] = [
            lambda: gateway.send(sms),
            gateway.get_balance,
            lambda: gateway.get_delivery_status(["A:+33612345678", "B:+336061234567"]),
            lambda: gateway.cancel(["A:+33612345678"]),
            lambda: gateway.get_history(start, end),
            lambda: gateway.poll_inbound(after_id=5),
            gateway.get_new_inbound,
        ]
        with patch.object(mobyt, "post", _Replies(list(bodies) * 8)):
            for job in jobs:
                with contextlib.suppress(GatewayError):
                    await job()

    _LOOP.run_until_complete(calls())


CHECKS: Mapping[str, tuple[Callable[..., None], st.SearchStrategy[Any]]] = {
    "read_reply / parse_reply": (check_reply, replies),
    "table readers (CREDITS, SMSHISTORY, SMSSTATUS, received)": (check_tables, records),
    "pushes (inbound, status)": (check_forms, forms()),
    "fields (date, amount, count, message id)": (check_fields, values),
    "gateway calls end to end": (check_calls, st.lists(replies, min_size=1, max_size=4)),
}
"""Each reader's check and the inputs it is fed."""
