"""Hypothesis strategies and checks for every NetOxygen reader (shared by the tests and the fuzzer).

Each entry of ``PARSERS`` is a reader of network data, the values to feed it, the seeds it must
always be tried with (the doc's examples, the simulator's real replies, the hostile inputs of
issue 9), and a check that the reader returned a model or raised the library's ``GatewayError``.
``tests/gateways/test_netoxygen_parsers.py`` runs a modest number of examples of each;
``benchmarks/fuzz_netoxygen.py`` runs at least 10,000.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import math
from typing import Any

from hypothesis import strategies as st

from custom_components.sms_gateways.gateways.errors import (
    GatewayError,
    InvalidRecipientError,
    SendOutcomeUnknownError,
)
from custom_components.sms_gateways.gateways.models import (
    CancelResult,
    DeliveryReport,
    RecipientResult,
)
from custom_components.sms_gateways.gateways.netoxygen import (
    parse_reply,
    read_account_status,
    read_auth,
    read_balance,
    read_cancel_rows,
    read_code,
    read_date,
    read_group_id,
    read_id,
    read_number,
    read_send_answer,
    read_status_row,
    read_status_rows,
)

# XML-RPC dateTime values are naive: the provider's dates are in Zurich time.
NAIVE_MIN = datetime.min  # noqa: DTZ901
NAIVE_MAX = datetime.max  # noqa: DTZ901
RECIPIENTS = ("+41791234567", "+41787654321", "+41791112233")
STATUS_KEYS = (
    "from",
    "to",
    "length",
    "sent_date",
    "sent_status",
    "sent_status_text",
    "last_date",
    "last_status",
    "last_status_text",
)
HOSTILE_TEXTS = (
    "²",
    "¹",
    "3²",
    "٤",
    "9" * 4301,
    "1" * 5000,
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23-10",
    "9999-12-31T23:59:59-14:00",
    "2030-02-30 10:00:00",
    "2030-03-31 02:30:00",
    "",
    " ",
    "\x00",
    "-1",
    "+41",
    "1e309",
    "nan",
    "inf",
)

# --- the values an XML-RPC reply decodes to --------------------------------------------------

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXTS),
    st.text(alphabet="0123456789²¹٤+-: T", max_size=30),
    st.integers(min_value=4000, max_value=4600).map(lambda n: "7" * n),
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.integers(),
    # Huge ints drawn as small ones (hypothesis cannot print a choice of 4,300 digits).
    st.integers(min_value=0, max_value=100).map(lambda n: 10 ** (4300 + n)),
    st.floats(),
    texts,
    st.binary(max_size=20),
    st.datetimes(),
    st.sampled_from([NAIVE_MIN, NAIVE_MAX]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(STATUS_KEYS), st.text(max_size=8)), children),
    ),
    max_leaves=25,
)


@st.composite
def status_details(draw: st.DrawFn) -> dict[str, object]:
    """A ``get_status`` struct with each field taken from hostile and plausible values."""
    field_values = st.one_of(values, st.sampled_from(HOSTILE_TEXTS), st.integers(0, 11))
    keys = draw(st.sets(st.sampled_from(STATUS_KEYS)))
    return {key: draw(field_values) for key in keys}


status_rows = st.one_of(
    values,
    st.tuples(st.one_of(texts, st.integers()), st.one_of(status_details(), values)).map(list),
    st.tuples(st.one_of(texts, st.integers()), values, values).map(list),
)
send_rows = st.one_of(
    values,
    st.tuples(
        st.one_of(st.sampled_from([r.removeprefix("+") for r in RECIPIENTS]), texts, values),
        st.one_of(st.sampled_from([0, 1, 9, True, False, "0", "1", 2, 5]), values),
        st.one_of(texts, st.integers(), values),
    ).map(list),
)

# --- replies as bytes, with values ``xmlrpc.client.dumps`` cannot write (i8, huge ints) --------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SCALARS: tuple[tuple[type, str, Callable[[Any], str]], ...] = (
    (bool, "boolean", lambda value: str(int(value))),
    (float, "double", repr),
    (str, "string", _escape),
    (bytes, "base64", lambda value: base64.b64encode(value).decode()),
    (datetime, "dateTime.iso8601", lambda value: value.strftime("%Y%m%dT%H:%M:%S")),
)
"""Each scalar type a reply may hold (``bool`` before ``int``), its element, and its text."""


def write_value(value: object) -> str:
    """One ``<value>``, writing anything: huge ints as ``<int>``, dates as their text."""
    for kind, tag, text in _SCALARS:
        if isinstance(value, kind):
            return f"<value><{tag}>{text(value)}</{tag}></value>"
    match value:
        case int():
            tag = "int" if -(2**31) <= value < 2**31 else "i8"
            # str() refuses more than 4,300 digits: write that many nines instead.
            digits = str(value) if value.bit_length() < 14_000 else "9" * 4400
            inner = f"<{tag}>{digits}</{tag}>"
        case list():
            inner = f"<array><data>{''.join(write_value(item) for item in value)}</data></array>"
        case dict():
            members = "".join(
                f"<member><name>{_escape(str(key))}</name>{write_value(item)}</member>"
                for key, item in value.items()
            )
            inner = f"<struct>{members}</struct>"
        case _:
            inner = "<nil/>"
    return f"<value>{inner}</value>"


def write_reply(value: object) -> bytes:
    """A methodResponse holding ``value``."""
    return (
        "<?xml version='1.0'?><methodResponse><params><param>"
        f"{write_value(value)}</param></params></methodResponse>"
    ).encode("utf-8", errors="surrogatepass")


def write_fault(code: object, text: object) -> bytes:
    """A fault whose code and text may be of any type."""
    members = (
        f"<member><name>faultCode</name>{write_value(code)}</member>"
        f"<member><name>faultString</name>{write_value(text)}</member>"
    )
    return (
        "<?xml version='1.0'?><methodResponse><fault><value><struct>"
        f"{members}</struct></value></fault></methodResponse>"
    ).encode("utf-8", errors="surrogatepass")


def _date_element(text: str) -> bytes:
    return write_reply([]).replace(
        b"<array><data></data></array>",
        f"<dateTime.iso8601>{_escape(text)}</dateTime.iso8601>".encode(),
    )


def _mutate(data: tuple[bytes, int, bytes]) -> bytes:
    body, position, insert = data
    position %= len(body) + 1
    return body[:position] + insert + body[position + len(insert) :]


def deep_nesting(levels: int) -> bytes:
    """A reply of ``levels`` nested arrays (issue 9's nesting attack)."""
    return write_reply([]).replace(
        b"<array><data></data></array>",
        b"<array><data><value>" * levels + b"1" + b"</value></data></array>" * levels,
    )


SIM_SEND_REPLY = write_reply([["41791234567", 1, "1"], ["41791239999", 0, 5]])
SIM_STATUS_ROW = [
    "1",
    {
        "from": "textobox.ch",
        "to": "41791234567",
        "length": 16,
        "sent_date": "2030-03-31 01:30:00",
        "sent_status": 1,
        "sent_status_text": "OK",
        "last_date": "2030-03-31 03:30:00",
        "last_status": 8,
        "last_status_text": "Message in queue",
    },
]
replies = st.one_of(
    st.binary(max_size=200),
    values.map(write_reply),
    st.tuples(values, values).map(lambda pair: write_fault(*pair)),
    st.sampled_from(HOSTILE_TEXTS).map(_date_element),
    st.tuples(
        st.sampled_from([SIM_SEND_REPLY, write_reply([SIM_STATUS_ROW]), write_reply(True)]),
        st.integers(min_value=0, max_value=400),
        st.binary(min_size=1, max_size=8),
    ).map(_mutate),
)

# --- the checks: a model, or our own error ----------------------------------------------------


def _aware(moment: datetime | None) -> None:
    if moment is not None:
        assert moment.utcoffset() is not None
        moment.astimezone(UTC)  # never an OverflowError later


def _report(report: DeliveryReport) -> None:
    assert isinstance(report, DeliveryReport)
    assert report.message_id
    assert len(report.provider_status) < 300
    _aware(report.updated_at)
    _aware(report.delivered_at)


def check_reply(body: bytes) -> None:
    with contextlib.suppress(GatewayError):
        parse_reply("send_message", body)


def check_send_answer(answer: object) -> None:
    try:
        results = read_send_answer(answer, RECIPIENTS)
    except SendOutcomeUnknownError:
        return
    assert [r.recipient for r in results] == list(RECIPIENTS)
    assert all(isinstance(r, RecipientResult) for r in results)
    refusing = isinstance(answer, list) and any(
        isinstance(row, list) and len(row) > 1 and read_code(row[1]) == 0 for row in answer
    )
    if not refusing:
        # Nothing the provider may have taken is shown as refused.
        assert all(r.accepted for r in results)


def check_send_rows(rows: list[object]) -> None:
    check_send_answer(rows)


def check_status_row(row: object) -> None:
    with contextlib.suppress(GatewayError):
        _report(read_status_row(row))


def check_status_rows(rows: list[object]) -> None:
    """The good rows of a batch are all returned, whatever the others hold."""
    good = [["100", 1, 3], SIM_STATUS_ROW]
    reports = read_status_rows([good[0], *rows, good[1]])
    ids = [report.message_id for report in reports]
    assert ids[0] == "100"
    assert ids[-1] == "1"
    for report in reports:
        _report(report)


def check_cancel_rows(answer: object) -> None:
    """One result per id asked, in order; cancelled only on TRUE (1), "not" only on FALSE (0)."""
    results = read_cancel_rows(answer, ["1", "2"])
    assert [r.message_id for r in results] == ["1", "2"]
    assert all(isinstance(r, CancelResult) for r in results)
    rows = {}
    if isinstance(answer, list):
        for row in answer:
            if isinstance(row, list) and len(row) >= 2 and read_id(row[0]) in ("1", "2"):
                rows.setdefault(read_id(row[0]), read_code(row[1]))
    for result in results:
        flag = rows.get(result.message_id)
        assert result.canceled is ({1: True, 0: False}.get(flag) if flag is not None else None)
        if result.canceled is not True:
            assert result.error
            assert "scheduled message of this account" not in result.error  # R32: no reason


def check_balance(value: object) -> None:
    try:
        balance = read_balance(value)
    except GatewayError:
        return
    assert value is not False
    assert balance.total is not None
    assert math.isfinite(balance.total)


def check_number(value: object) -> None:
    try:
        number = read_number(value, "022 364 80 00")
    except InvalidRecipientError:
        assert value is not False  # FALSE is quoted, never "invalid number" (R32)
        return
    except GatewayError as err:
        words = str(err)
        assert value is False
        assert "FALSE" in words
        return
    digits = number.removeprefix("+")
    assert number.startswith("+")
    assert digits.isascii()
    assert digits.isdigit()
    assert 7 <= len(digits) <= 15


def check_small_answers(value: object) -> None:
    """auth, account_status, get_guid and a code: a value of their kind or our error."""
    with contextlib.suppress(GatewayError):
        assert isinstance(read_auth(value), bool)
    with contextlib.suppress(GatewayError):
        assert isinstance(read_account_status(value), str)
    group = read_group_id(value)
    assert group is None or isinstance(group, str)
    code = read_code(value)
    assert code is None or 0 <= code < 10**9


def check_date(value: object) -> None:
    _aware(read_date(value))


@dataclass(frozen=True)
class Parser:
    """A reader, what to feed it, and the seeds it is always tried with."""

    strategy: st.SearchStrategy[object]
    check: Callable[[object], None]
    seeds: tuple[object, ...]


PARSERS: dict[str, Parser] = {
    "reply": Parser(
        replies,
        check_reply,  # type: ignore[arg-type]
        (
            SIM_SEND_REPLY,
            write_reply([SIM_STATUS_ROW]),
            write_fault(401, "Authentication failed: wrong user or password"),
            write_fault({"x": 1}, ["a"]),
            write_reply(10**5000),
            b"<?xml version='1.0'?><methodResponse><params><param><value><int>"
            + b"9" * 5000
            + b"</int></value></param></params></methodResponse>",
            _date_element("0001-01-01T00:00:00+14:00"),
            deep_nesting(5000),
            b"",
        ),
    ),
    "send_message": Parser(
        st.one_of(values, st.lists(send_rows, max_size=5)),
        check_send_answer,
        (
            # The doc's Perl client: (destination, status, id_or_error_code).
            [["41791234567", 1, "12345"]],
            [["0792223344", 1, 3], ["+41 78 765 43 21", 0, 5], ["41791112233", 9, 4]],
            [["41791234567", 2, "4711"], ["41787654321", "²", "4712"], ["41791112233", "OK", 1]],
            [["41791234567", 5, ""]],
            [["41791234567", "9" * 4301, 10**5000]],
            False,
            "queued",
        ),
    ),
    "get_status row": Parser(
        status_rows,
        check_status_row,
        (
            SIM_STATUS_ROW,
            ["7", False],
            ["7", 1, 1],
            ["7", {}],
            ["7", {"sent_status": "²", "last_status": "9" * 4301}],
            ["7", {"last_date": "0001-01-01T00:00:00+14:00", "sent_date": "9999-12-31T23-10"}],
            ["7", {"last_date": NAIVE_MIN, "to": 10**5000, "last_status_text": ["x"]}],
            ["7", {"last_date": NAIVE_MAX, "sent_status_text": {"a": [[["deep"]]]}}],
            [10**5000, 1, 1],
        ),
    ),
    "get_status batch": Parser(
        st.lists(status_rows, max_size=5),
        check_status_rows,  # type: ignore[arg-type]
        (
            [["7", {"last_date": "9999-12-31T23-10", "sent_status": "²"}]],
            [[], "junk", [None, 1], [["x"], {}]],
        ),
    ),
    "cancel_message": Parser(
        st.one_of(values, st.lists(send_rows, max_size=4)),
        check_cancel_rows,
        ([["1", True], ["2", False]], [["1", 1]], [], False, [["1", "²"], [10**5000, True]]),
    ),
    "get_credits": Parser(
        st.one_of(values, texts),
        check_balance,
        (100, -5, "12", 7.5, False, True, math.inf, math.nan, 10**400, "9" * 4301, "²"),
    ),
    "clean_number": Parser(
        st.one_of(values, texts),
        check_number,
        (
            "41223648000",
            "",
            False,
            "022/364 8000",
            "12345",
            "٤١٢٢٣٦٤٨٠٠٠",
            "41²23648000",
            41223648000.0,
            1e300,
            math.nan,
            10**5000,
        ),
    ),
    "auth, account_status, get_guid": Parser(
        st.one_of(values, texts),
        check_small_answers,
        (True, False, 1, 0, "1", "regular", "free", "²", "9" * 4301, 10**5000),
    ),
    "dates": Parser(
        st.one_of(values, texts, st.datetimes(timezones=st.timezones())),
        check_date,
        (
            "2030-03-31 01:30:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23-10",
            "9999-12-31T23:59:59-14:00",
            NAIVE_MIN,
            NAIVE_MAX,
            "٢٠٣٠-٠٣-٣١",
        ),
    ),
}
