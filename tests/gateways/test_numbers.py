"""Phone number normalisation."""

from __future__ import annotations

import pytest

from custom_components.sms_gateways.gateways.errors import InvalidRecipientError
from custom_components.sms_gateways.gateways.numbers import e164_digits, from_provider, to_e164


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
