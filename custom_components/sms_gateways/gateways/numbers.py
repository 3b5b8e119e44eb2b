"""Phone numbers: E.164 normalisation with a default region, and the wire forms providers want."""

from __future__ import annotations

import phonenumbers

from .errors import InvalidRecipientError


def to_e164(number: str, default_region: str) -> str:
    """Normalise ``number`` to E.164 (``+33612345678``).

    A national number is read in ``default_region`` (the account's country); ``00`` and ``+``
    prefixes are understood.

    Raises:
        InvalidRecipientError: the number is not a valid phone number; the error names it.
    """
    cleaned = number.strip()
    if not cleaned:
        raise InvalidRecipientError("Empty phone number", number=number)
    try:
        parsed = phonenumbers.parse(cleaned, default_region.upper())
    except phonenumbers.NumberParseException as err:
        raise InvalidRecipientError(f"Invalid phone number: {number}", number=number) from err
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidRecipientError(f"Invalid phone number: {number}", number=number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_digits(e164: str) -> str:
    """The E.164 number without its ``+`` (``33612345678``), as SMSFactor and NetOxygen write it."""
    return e164.removeprefix("+")


def from_provider(number: str, default_region: str) -> str:
    """Read a number a provider sent us (with or without ``+``) back into E.164.

    Providers write international numbers without the ``+``; a number that does not parse is
    returned as it came (a short code or an alphanumeric sender), never dropped.
    """
    cleaned = number.strip()
    if not cleaned:
        return cleaned
    candidates = [cleaned]
    if cleaned.isdigit() and not cleaned.startswith("0"):
        candidates.insert(0, f"+{cleaned}")
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, default_region.upper())
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return cleaned
