"""The webhook's own form reader reads every body as the standard library does."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.webhook import MAX_FIELDS, parse_form


def _stdlib(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


def _ours(text: str) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_form(text)
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


_ESCAPE = st.integers(0, 255).map(lambda byte: f"%{byte:02X}")
_PIECE = st.one_of(
    st.sampled_from(["&", "=", "+", "%", "%2", "%zz", "&&", "=="]),
    _ESCAPE,
    st.text(max_size=6),
    st.text(max_size=6).map(quote),
)


@settings(max_examples=400)
@given(st.lists(_PIECE, max_size=40).map("".join))
@example("id=1&text=%C3%A9t%C3%A9+ici&sender=%2B33698765432")
@example("text=%C3&x=1")  # half a character
@example("text=%C3%A9%A9")  # a lone continuation byte
@example("a=%E2%82%AC" + "&b" * (MAX_FIELDS - 1))  # as many fields as allowed
@example("a" + "&" * MAX_FIELDS)  # one too many, even empty ones
@example("=&=x&y=&&z")
def test_a_body_reads_as_parse_qsl_reads_it(text: str) -> None:
    """Same fields, same order, the same refusal (too many fields, an escape not in UTF-8)."""
    assert _ours(text) == _stdlib(text)


def test_too_many_fields_is_refused() -> None:
    """A forged body of many fields is refused before it is split."""
    with pytest.raises(ValueError, match="too many fields"):
        parse_form("a=1" + "&a=1" * MAX_FIELDS)
