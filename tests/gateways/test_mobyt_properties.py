"""Every reader of Mobyt data is total: any input gives a model or a ``GatewayError``.

Property-based, seeded with the doc's examples and the simulator's replies (``mobyt_fuzz``);
a modest number of examples here, at least 10,000 per reader in ``benchmarks/fuzz_mobyt.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus, unquote_plus

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import GatewayResponseError, MobytGateway
from custom_components.sms_gateways.gateways.mobyt import (
    DATE_FORMAT,
    PARIS,
    _decoded,
    listed_orders,
    parse_amount,
    parse_credits,
    parse_date,
)
from custom_components.sms_gateways.gateways.transport import form_body
from tests.gateways.fuzzing import FUZZ
from tests.gateways.mobyt_fuzz import (
    DOC_FORMS,
    DOC_REPLIES,
    SIM_FORMS,
    SIM_REPLIES,
    check_calls,
    check_fields,
    check_forms,
    check_reply,
    check_tables,
    forms,
    records,
    replies,
    values,
)

MODEST = settings(FUZZ, max_examples=200)


@MODEST
@given(replies)
@example("KO|1²|x")
@example("OK;N|FR|3²")
def test_reply_readers(text: str) -> None:
    check_reply(text)


@MODEST
@given(records)
@example([["12²", "+33612345678", "+33612345679", "hi", "20090309113910", ""]])
@example([["ABC", "20090217164232", "N", "", "3²", ""]])
@example([["1" * 5000, "x", "y", "z", "20090309113910"]])
def test_table_readers(rows: list[list[str]]) -> None:
    check_tables(rows)


@MODEST
@given(forms())
@example({**DOC_FORMS[0], "id": "1²"})
@example({**DOC_FORMS[1], "delivery_date": "2009030912063²"})
def test_push_readers(form: dict[str, str]) -> None:
    check_forms(form)


@MODEST
@given(values)
@example("²")
@example("1_000")
@example("1e999")
def test_field_readers(value: str) -> None:
    check_fields(value)


@settings(FUZZ, max_examples=60)
@given(st.lists(replies, min_size=1, max_size=4))
def test_every_call_end_to_end(bodies: list[str]) -> None:
    check_calls(bodies)


def test_seeds_are_read() -> None:
    """The seeds themselves: the doc's and the simulator's replies all read as models."""
    for text in (*DOC_REPLIES, *SIM_REPLIES):
        check_reply(text)
    for form in (*DOC_FORMS, *SIM_FORMS):
        check_forms(form)


@settings(max_examples=200)
@given(st.text(alphabet="ab+%2B0 é\ud800|", max_size=20) | st.text(max_size=20))
def test_a_field_is_decoded_as_unquote_plus_does(field: str) -> None:
    """A reply's field reads as ``unquote_plus`` reads it, whatever it holds."""
    assert _decoded(field) == unquote_plus(field)


# Wall times as Mobyt writes them (naive: hypothesis takes naive bounds, the zone comes after).
EARLIEST = datetime(1000, 1, 1)  # noqa: DTZ001
LATEST = datetime(9999, 12, 31, 23, 59, 59)  # noqa: DTZ001


@MODEST
@given(st.datetimes(min_value=EARLIEST, max_value=LATEST))
def test_a_date_reads_back_as_written(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_date(moment.strftime(DATE_FORMAT)) == moment.replace(tzinfo=PARIS)


@MODEST
@given(st.text("0123456789", min_size=14, max_size=14))
def test_a_date_is_read_by_position(text: str) -> None:
    """Any 14 digits: the date they write in yyyymmddhhmmss, or the library's error."""
    try:
        read = parse_date(text)
    except GatewayResponseError:
        read = None
    try:
        reference = datetime.strptime(text, DATE_FORMAT)  # noqa: DTZ007  # a wall time
    except ValueError:
        reference = None
    if reference is not None and reference.strftime(DATE_FORMAT) == text:
        assert read == reference.replace(tzinfo=PARIS)
    if read is not None:
        assert read.strftime(DATE_FORMAT) == text
        read.astimezone(UTC)  # every date read can be shown in any zone


def test_a_date_outside_utc_is_an_error() -> None:
    with pytest.raises(GatewayResponseError):
        parse_date("00010101000000")


_FORM_TEXT = st.text(max_size=12) | st.sampled_from(
    ["login", "password", "demo", "+33612345678", "a b&c=d%", "é", "\ud800"]
)


def _form_outcome(write: Callable[[], bytes]) -> bytes | type[Exception]:
    try:
        return write()
    except UnicodeEncodeError as err:
        return type(err)


@MODEST
@given(
    _FORM_TEXT,
    _FORM_TEXT,
    st.none() | st.dictionaries(_FORM_TEXT, _FORM_TEXT, max_size=6),
)
def test_form_with_the_login_quoted_once_is_the_whole_form(
    username: str, password: str, fields: dict[str, str] | None
) -> None:
    """Any login and fields (a field named login or password too): the whole form's bytes."""
    gateway = MobytGateway(None, username=username, password=password)  # type: ignore[arg-type]
    form = {"login": username, "password": password, **(fields or {})}
    expected = _form_outcome(lambda: form_body(form))
    for _ in range(2):  # the login written once, then remembered
        assert _form_outcome(lambda: gateway._form(fields)) == expected


# --- CREDITS, SMSHISTORY ids and the password taken out of replies -----------------------------

_CREDIT_FIELD = st.sampled_from(["N", "L", "EE", "FR", "IT", "", "37", "12,5", "illimité", "-5"])
_CREDIT_RECORDS = st.lists(
    st.lists(_CREDIT_FIELD | st.text(max_size=6), min_size=0, max_size=4), max_size=8
)


@MODEST
@given(_CREDIT_RECORDS)
@example([["N", "IT", "37"], ["N", "IT", "37"], ["N", "IT", "37"], ["EE", "", "81"]])
@example([["N", "FR", "12,5"], ["L", "FR", "40"]])
@example([["garbage"], ["L", "FR", "40"]])
def test_credits_read_line_by_line(rows: list[list[str]]) -> None:
    """Any table: a balance; a readable line keeps its amount whatever the others hold."""
    balance = parse_credits(rows)
    assert len(balance.lines) == len(rows)
    by_line = balance.by_line()
    for row, line in zip(rows, balance.lines, strict=True):
        if len(row) >= 3 and parse_amount(row[2]) is not None and line.credit_type is not None:
            assert line.amount == parse_amount(row[2])
        if line.credit_type is None:
            assert line.amount is None
    for (credit_type, nation), amount in by_line.items():
        listed = [
            line.amount
            for line in balance.lines
            if (line.credit_type, line.nation) == (credit_type, nation)
        ]
        if None in listed:
            assert amount is None
        else:
            known = [value for value in listed if value is not None]
            # Never more than either reading: separate credits (the sum) or one pool (a line).
            assert amount is not None
            assert amount <= sum(known)
            assert amount <= min(known)
    if balance.total is not None:
        assert not balance.has_unattributed
        assert balance.total == sum(value for value in by_line.values() if value is not None)
    else:
        assert balance.has_unattributed or None in by_line.values()


@MODEST
@given(st.lists(st.lists(st.text(max_size=8), max_size=3), max_size=6))
def test_history_ids(rows: list[list[str]]) -> None:
    """Every id the table holds, or None (cannot rule out) as soon as a row has none."""
    listed = listed_orders(rows)
    if any(not row or not row[0].strip() for row in rows):
        assert listed is None
    else:
        assert listed == {row[0].strip().casefold() for row in rows}


_PASSWORDS = st.text(min_size=4, max_size=12) | st.sampled_from(
    ["demo-password", "s3cr&t pass", "****", "a***", "%2B%2B", "password=x"]
)


@MODEST
@given(_PASSWORDS, st.text(max_size=30), st.text(max_size=30))
@example("a***", "a", "")
@example("****", "*", "*")
def test_no_reply_keeps_the_password(password: str, before: str, after: str) -> None:
    """A reply that echoes the password, as typed or in a form, never keeps it."""
    gateway = MobytGateway(None, username="demo", password=password)  # type: ignore[arg-type]
    echoes = [
        password,
        quote_plus(password),
        quote(password, safe=""),
        form_body({"login": "demo", "password": password}).decode(),
    ]
    for echo in echoes:
        text = gateway._redacted(f"{before}{echo}{after}")
        assert password not in text
        assert quote_plus(password) not in text


@MODEST
@given(replies)
def test_redaction_leaves_a_reply_without_the_password_alone(text: str) -> None:
    """A reply that holds neither the password nor a password field reads as it did."""
    gateway = MobytGateway(None, username="demo", password="demo-password")  # type: ignore[arg-type]
    if "assword" not in text and "demo-password" not in text:
        assert gateway._redacted(text) == text
