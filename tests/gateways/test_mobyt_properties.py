"""Every reader of Mobyt data is total: any input gives a model or a ``GatewayError``.

Property-based, seeded with the doc's examples and the simulator's replies (``mobyt_fuzz``);
a modest number of examples here, at least 10,000 per reader in ``benchmarks/fuzz_mobyt.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import GatewayResponseError, MobytGateway
from custom_components.sms_gateways.gateways.mobyt import (
    DATE_FORMAT,
    PARIS,
    _decoded,
    parse_date,
)
from custom_components.sms_gateways.gateways.transport import form_body
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

MODEST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
