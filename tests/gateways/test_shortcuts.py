"""The str tests asked before a regular expression take nothing the expression refuses.

Between two round trips a regular expression costs about twice str's own tests (``isdigit``,
``isalnum``, ``isprintable``), so the readers ask those first for the common case and the
expression only when they say no: the answers are the same when the first is a subset.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import mobyt, netoxygen, sms123, smsfactor

TEXTS = (
    st.text(max_size=70)
    | st.text(alphabet="0123456789aZ_.-+;\n\r\t \x00\x1f\x7f\u00b2\u0663\u00e9\ufffe", max_size=40)
    | st.sampled_from(["1", "27", "1e+09", "-1", "4818bbcfc1190cc5ee356de2301cc144", "2"])
)

SHORTCUTS: list[tuple[str, Callable[[str], bool], Callable[[str], object]]] = [
    ("smsfactor status", lambda t: smsfactor._ascii_digits(t, 9), smsfactor._STATUS.fullmatch),
    ("smsfactor credits", lambda t: smsfactor._ascii_digits(t, 15), smsfactor._CREDITS.fullmatch),
    (
        "smsfactor ticket",
        lambda t: t.isascii() and t.isalnum() and len(t) <= 64,
        smsfactor._TICKET.fullmatch,
    ),
    (
        "smsfactor XML text",
        lambda t: t.isascii() and t.isprintable(),
        lambda t: not smsfactor._NOT_XML.search(t),
    ),
    (
        "smsfactor answer text",
        str.isprintable,
        lambda t: not smsfactor._NOT_XML_TEXT.search(t),
    ),
    ("netoxygen id", str.isalnum, lambda t: not netoxygen._CONTROL.search(t)),
    (
        "mobyt amount",
        lambda t: t.isascii() and t.isdigit() and len(t) <= 15,
        mobyt._AMOUNT.fullmatch,
    ),
    (
        "mobyt order id",
        lambda t: t.isascii() and t.isalnum() and len(t) <= 32,
        mobyt._PUSH_ORDER_ID.fullmatch,
    ),
    (
        "mobyt records",
        lambda t: ";" not in t and "\n" not in t,
        lambda t: mobyt._RECORD_SEPARATOR.split(t) == [t],
    ),
    ("123-SMS code", sms123._short_digits, sms123._BARE_CODE.match),
]


@pytest.mark.parametrize(
    ("name", "shortcut", "expression"), SHORTCUTS, ids=[s[0] for s in SHORTCUTS]
)
@settings(max_examples=200)
@given(text=TEXTS)
def test_shortcut_takes_only_what_the_expression_takes(
    name: str, shortcut: Callable[[str], bool], expression: Callable[[str], object], text: str
) -> None:
    """Whatever the shortcut takes, the regular expression takes too."""
    if shortcut(text):
        assert expression(text), name
