"""GSM 03.38 / UCS-2 detection and segment counting."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.encoding import _unit_lengths, analyze, is_gsm7
from custom_components.sms_gateways.gateways.models import Encoding


@pytest.mark.parametrize(
    ("text", "encoding", "length", "segments"),
    [
        ("Hello", Encoding.GSM7, 5, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        # Extension characters count two septets.
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("Ça coûte 5€", Encoding.UCS2, 11, 1),
        ("Ç", Encoding.GSM7, 1, 1),
        # Lowercase ç is not in GSM 03.38.
        ("ç", Encoding.UCS2, 1, 1),
        ("é" * 70, Encoding.GSM7, 70, 1),
        ("ж" * 70, Encoding.UCS2, 70, 1),
        ("ж" * 71, Encoding.UCS2, 71, 2),
        ("ж" * 134, Encoding.UCS2, 134, 2),
        ("ж" * 135, Encoding.UCS2, 135, 3),
        # An emoji is two UTF-16 units.
        ("🚨" * 35, Encoding.UCS2, 70, 1),
        ("🚨" * 36, Encoding.UCS2, 72, 2),
    ],
)
def test_analyze(text: str, encoding: Encoding, length: int, segments: int) -> None:
    """Encoding, network length and segments follow the 160/153 and 70/67 rules."""
    info = analyze(text)
    assert (info.encoding, info.length, info.segments) == (encoding, length, segments)
    assert info.characters == len(text)


def test_escape_pair_never_straddles_a_part() -> None:
    """152 septets then an extension character: the pair moves to the next part."""
    text = "a" * 152 + "€" + "a" * 152
    # 306 septets would fit 2 parts of 153 if the pair could be split; it cannot.
    assert analyze(text).length == 306
    assert analyze(text).segments == 3


def test_surrogate_pair_never_straddles_a_part() -> None:
    """66 units then an emoji: the emoji moves to the next part (134 units, yet 3 parts)."""
    text = "ж" * 66 + "🚨" + "ж" * 66
    assert analyze(text).length == 134
    assert analyze(text).segments == 3


def test_is_gsm7() -> None:
    """The basic table, the extension table and outsiders."""
    assert is_gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!¡¿§äöñüà{}[]~|^\\€")
    assert not is_gsm7("ç")
    assert not is_gsm7("à la carte ê")


@settings(max_examples=300)
@given(st.text())
def test_analyze_counts_like_the_per_character_lengths(text: str) -> None:
    """The shortcut for the total length agrees with the per-character lengths, for any text."""
    info = analyze(text)
    assert info.length == sum(_unit_lengths(text, info.encoding))
    assert info.characters == len(text)
    assert info.segments >= 1


def test_lone_surrogate_is_counted() -> None:
    assert analyze("\ud800").length == 1
