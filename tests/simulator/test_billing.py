"""The simulator's own count of SMS, checked against GSM 03.38 and the docs' own words.

Then the simulator and the integration, which count in two different ways (the simulator
encodes the text and cuts the units, the integration adds up each character's cost), must agree
on every documented example and on any text: a misreading in either one fails here.
"""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways.encoding import analyze
from custom_components.sms_gateways.gateways.smsfactor import _as_billed
from simulator.billing import (
    DEFAULT_TABLE,
    ESCAPE,
    EXTENSION_TABLE,
    PART,
    SINGLE,
    Bill,
    bill,
    closest_gsm,
    cut,
    septets,
    utf16_units,
)

# --- the standard's table ---------------------------------------------------------------------


def test_default_alphabet_is_the_standards_table() -> None:
    """127 characters (the 128th code is the escape), at the codes GSM 03.38 gives them."""
    assert len(DEFAULT_TABLE) == 127
    assert ESCAPE not in DEFAULT_TABLE.values()
    assert sorted(DEFAULT_TABLE.values()) == [code for code in range(128) if code != ESCAPE]
    spot_checks = {"@": 0x00, "\n": 0x0A, "\r": 0x0D, "Δ": 0x10, " ": 0x20, "0": 0x30}
    spot_checks |= {"¡": 0x40, "A": 0x41, "§": 0x5F, "¿": 0x60, "a": 0x61, "à": 0x7F}
    spot_checks |= {"Ç": 0x09, "É": 0x1F, "¤": 0x24, "Ü": 0x5E}
    for char, code in spot_checks.items():
        assert DEFAULT_TABLE[char] == code, char


def test_septets_are_the_encoded_text() -> None:
    assert septets("A€") == [0x41, ESCAPE, 0x65]
    assert septets("{x}") == [ESCAPE, 0x28, 0x78, ESCAPE, 0x29]
    assert septets("ç") is None  # the standard has Ç (0x09), not ç
    assert utf16_units("a😀") == [0x61, 0xD83D, 0xDE00]


def test_sizes_come_from_140_octets_and_the_header() -> None:
    """GSM 03.40's 140 octets; the docs' 160, 153 ("7 caractères ... à la concaténation")."""
    assert SINGLE == {"gsm7": 160, "ucs2": 70}
    assert PART == {"gsm7": 153, "ucs2": 67}
    assert SINGLE["gsm7"] - PART["gsm7"] == 7


# --- the docs' own words --------------------------------------------------------------------

# Mobyt: "les caractères ^ { } \ [ ~ ] | € comptent pour 2 caractères".
MOBYT_DOUBLED = "^{}\\[~]|€"


@pytest.mark.parametrize("char", list(MOBYT_DOUBLED))
def test_mobyt_doubled_characters_count_two(char: str) -> None:
    assert bill(char * 80) == bill("a" * 160)
    assert bill(char * 81).parts == 2


def test_mobyt_160_then_parts_of_153() -> None:
    """Mobyt: 160 in one SMS; beyond, "x SMS de 153 caractères"."""
    assert [bill("a" * n).parts for n in (160, 161, 306, 307, 459, 460)] == [1, 2, 2, 3, 3, 4]


def test_smsfactor_converts_to_the_closest_character() -> None:
    """SMSFactor: "ë => e"; the text stays GSM 03.38, so 160 of them are one SMS."""
    assert closest_gsm("Noël") == "Noel"
    assert bill("ë" * 160, gsm_only=True) == bill("e" * 160)
    assert bill("😀" * 160, gsm_only=True).parts == 1
    assert bill("€" * 80, gsm_only=True).units == 160  # in the norm: kept, two septets


def test_lowercase_c_cedilla_either_way() -> None:
    """R28: UCS-2 as the table reads, or GSM's Ç as providers commonly send it."""
    assert bill("ç" * 100) == Bill("ucs2", 100, 2)
    assert bill("ç" * 100, cedilla=True) == Bill("gsm7", 100, 1)
    assert septets("ç", cedilla=True) == [DEFAULT_TABLE["Ç"]]


def test_a_cut_never_splits_an_escape_or_a_surrogate_pair() -> None:
    gsm = septets("a" * 152 + "€" + "a" * 10)
    assert gsm is not None
    assert [len(part) for part in cut("gsm7", gsm)] == [152, 12]
    assert cut("gsm7", gsm)[1][:2] == [ESCAPE, EXTENSION_TABLE["€"]]
    ucs2 = utf16_units("a" * 66 + "😀" + "a" * 5)
    assert [len(part) for part in cut("ucs2", ucs2)] == [66, 7]


# --- the simulator and the integration agree, each counting its own way ----------------------

DOCUMENTED = {
    "one SMS (Mobyt, 123-SMS: 160)": "a" * 160,
    "two SMS from 161": "a" * 161,
    "two parts of 153 (Mobyt, SMSFactor)": "a" * 306,
    "a third part from 307": "a" * 307,
    "Mobyt's doubled characters, 80 of them": (MOBYT_DOUBLED * 9)[:80],
    "Mobyt's doubled characters, 81 of them": (MOBYT_DOUBLED * 9)[:81],
    "an escape pair at the cut": "a" * 152 + "€" + "a" * 10,
    "two escape pairs past 160": "a" * 157 + "€€",
    "capital Ç is in the table": "Ç" * 160,
    "lowercase ç is not": "ç" * 100,
    "UCS-2: 70 in one SMS": "Ω€ж" * 23 + "ж",
    "UCS-2: 71 in two": "ж" * 71,
    "UCS-2: parts of 67": "ж" * 134 + "ж",
    "a surrogate pair at the cut": "a" * 66 + "😀" + "a" * 5,
    "emoji": "Alarm 🚨" * 12,
    "a page break (extension table)": "\f" * 81,
}


def _assert_counted_alike(text: str) -> None:
    """The simulator bills what the adapter counts: the same encoding, length and parts."""
    info = analyze(text)
    billed = bill(text)
    assert (billed.encoding, billed.units, billed.parts) == (
        info.encoding.value,
        info.length,
        info.segments,
    )


@pytest.mark.parametrize("text", DOCUMENTED.values(), ids=DOCUMENTED.keys())
def test_documented_examples_are_counted_alike(text: str) -> None:
    _assert_counted_alike(text)


GSM_TEXT = st.text(
    alphabet=st.sampled_from(sorted(DEFAULT_TABLE) + sorted(EXTENSION_TABLE)), max_size=700
)
ANY_TEXT = st.one_of(GSM_TEXT, st.text(max_size=400), GSM_TEXT.map(lambda t: t + "😀"))


@given(ANY_TEXT)
def test_any_text_is_counted_alike(text: str) -> None:
    _assert_counted_alike(text)


@given(ANY_TEXT)
def test_smsfactor_conversion_is_counted_alike(text: str) -> None:
    """SMSFactor converts: the adapter counts one septet each, the simulator converts."""
    info = _as_billed(analyze(text), text)
    billed = bill(text, gsm_only=True)
    assert (billed.encoding, billed.units, billed.parts) == ("gsm7", info.length, info.segments)
