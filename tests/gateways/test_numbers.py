"""Phone number normalisation."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways.errors import InvalidRecipientError
from custom_components.sms_gateways.gateways.numbers import (
    e164_digits,
    from_provider,
    mask_number,
    mask_numbers,
    to_e164,
)


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0033612345678", "FR", "+33612345678"),
        ("+33 6 12 34 56 78", "CH", "+33612345678"),
        ("079 123 45 67", "CH", "+41791234567"),
        ("022/364 8000", "CH", "+41223648000"),
    ],
)
def test_to_e164(number: str, region: str, expected: str) -> None:
    """National numbers are read in the account's country."""
    assert to_e164(number, region) == expected


@pytest.mark.parametrize("number", ["", "  ", "abc", "+336123", "0612"])
def test_invalid_number_is_named(number: str) -> None:
    """An invalid number fails before sending, and the error names it."""
    with pytest.raises(InvalidRecipientError) as err:
        to_e164(number, "FR")
    assert err.value.number == number


def test_wire_forms() -> None:
    """Providers that write numbers without '+' get digits; their pushes come back as E.164."""
    assert e164_digits("+33612345678") == "33612345678"
    assert from_provider("33612345678", "FR") == "+33612345678"
    assert from_provider("0612345678", "FR") == "+33612345678"
    assert from_provider("+41791234567", "FR") == "+41791234567"
    # A short code or an alphanumeric sender is kept as it came.
    assert from_provider("36177", "FR") == "36177"
    assert from_provider("ALERTS", "FR") == "ALERTS"
    assert from_provider("", "FR") == ""


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+41791230005", "+4179•••0005"),
        ("+33612345678", "+3361•••5678"),
        ("0612345678", "06•••78"),
        ("36000", "•••"),
    ],
)
def test_mask_number(number: str, masked: str) -> None:
    """What a log above DEBUG shows of a number: its ends, never the whole."""
    assert mask_number(number) == masked


def test_mask_numbers_in_a_text() -> None:
    """An error that names a recipient, however written, loses the number, not the rest."""
    text = "Invalid phone number: 06 12 34 56 78 or +33612345678 (code 42, 2024-01-15 08:30)"
    assert mask_numbers(text) == (
        "Invalid phone number: 06•••78 or +3361•••5678 (code 42, 2024-01-15 08:30)"
    )
    hexadecimal = "0405869edd914d54b3ab718edda75fae"  # digits inside a word are no number
    assert mask_numbers(f"{hexadecimal}:+41791234567") == f"{hexadecimal}:+4179•••4567"


@given(
    prefix=st.text(max_size=20),
    plus=st.booleans(),
    digits=st.text(alphabet="0123456789", min_size=8, max_size=15),
    suffix=st.text(max_size=20),
)
def test_no_number_survives_masking(prefix: str, plus: bool, digits: str, suffix: str) -> None:
    """Whatever surrounds it, a number of eight digits or more never comes out whole."""
    number = ("+" if plus else "") + digits
    masked = mask_numbers(f"{prefix} {number} {suffix}")
    assert digits not in masked.replace(" ", "")
