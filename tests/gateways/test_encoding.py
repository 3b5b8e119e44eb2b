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
        ("Ça coûte 5€", Encoding.UCS2, 11, 1),
        ("Ç", Encoding.GSM7, 1, 1),
        # Lowercase ç is not in GSM 03.38.
        ("ç", Encoding.UCS2, 1, 1),
        ("é" * 70, Encoding.GSM7, 70, 1),
    ],
)
def test_analyze(text: str, encoding: Encoding, length: int, segments: int) -> None:
    """Encoding, network length and segments of a few texts."""
    info = analyze(text)
    assert (info.encoding, info.length, info.segments) == (encoding, length, segments)
    assert info.characters == len(text)


@pytest.mark.parametrize(
    ("character", "encoding", "units", "one_part", "two_parts"),
    [
        ("a", Encoding.GSM7, 1, 160, 306),
        # Extension characters count two septets, and a pair is never split: 76 a part.
        ("€", Encoding.GSM7, 2, 80, 152),
        ("ж", Encoding.UCS2, 1, 70, 134),
        # An emoji is two UTF-16 units, never split either: 33 a part.
        ("🚨", Encoding.UCS2, 2, 35, 66),
    ],
)
def test_parts_follow_the_160_153_and_70_67_rules(
    character: str, encoding: Encoding, units: int, one_part: int, two_parts: int
) -> None:
    """The most characters one part, then two parts, hold; one more starts another part."""
    for count, segments in (
        (one_part, 1),
        (one_part + 1, 2),
        (two_parts, 2),
        (two_parts + 1, 3),
    ):
        info = analyze(character * count)
        assert (info.encoding, info.length, info.segments) == (encoding, count * units, segments)
        assert info.characters == count


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
