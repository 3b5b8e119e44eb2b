"""The simulator's own count of parts, checked against GSM 03.38 by hand."""

from __future__ import annotations

import pytest

from simulator.billing import DEFAULT_ALPHABET, bill


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", "gsm7", 0, 1),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),
        # 152 septets then an escape pair: the pair does not fit the first part whole.
        ("a" * 152 + "€" + "a" * 10, "gsm7", 164, 2),
        ("a" * 157 + "€€", "gsm7", 161, 2),
        ("Ç" * 10, "gsm7", 10, 1),
        ("ç" * 70, "ucs2", 70, 1),
        ("ç" * 100, "ucs2", 100, 2),
        ("😀" * 35, "ucs2", 70, 1),
        # 66 units then a surrogate pair: the pair starts the second part.
        ("a" * 66 + "😀" + "a", "ucs2", 69, 1),
        ("a" * 66 + "😀" + "a" * 5, "ucs2", 73, 2),
    ],
)
def test_parts(text: str, encoding: str, units: int, parts: int) -> None:
    result = bill(text)
    assert (result.encoding, result.units, result.parts) == (encoding, units, parts)


def test_gsm_only_replaces_other_characters() -> None:
    result = bill("ç" * 100, gsm_only=True)
    assert (result.encoding, result.units, result.parts) == ("gsm7", 100, 1)


def test_alphabet_has_128_codes() -> None:
    assert len(DEFAULT_ALPHABET) == 128
    assert DEFAULT_ALPHABET.index("A") == 0x41
    assert DEFAULT_ALPHABET.index("à") == 0x7F
