"""Phone numbers: E.164 normalisation with a default region, and the wire forms providers want."""

from __future__ import annotations

from functools import lru_cache
import re

import phonenumbers

from .errors import InvalidRecipientError

# Longer text is no phone number; keeping it out of the cache bounds what a hostile push can
# make us remember.
_CACHED_LENGTH = 32


def _valid_e164(text: str, region: str) -> str | None:
    """``text`` in E.164 when it is a valid number (national ones read in ``region``), else None.

    Parsing is most of what a send costs locally, and a home texts the same few numbers again
    and again, so answers for short inputs are remembered.
    """
    if len(text) <= _CACHED_LENGTH:
        return _cached_valid_e164(text, region)
    return _parse_valid_e164(text, region)


def _parse_valid_e164(text: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_cached_valid_e164 = lru_cache(maxsize=1024)(_parse_valid_e164)


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
    e164 = _valid_e164(cleaned, default_region.upper())
    if e164 is None:
        raise InvalidRecipientError(f"Invalid phone number: {number}", number=number)
    return e164


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
    if cleaned.isascii() and cleaned.isdigit() and not cleaned.startswith("0"):
        candidates.insert(0, f"+{cleaned}")
    for candidate in candidates:
        e164 = _valid_e164(candidate, default_region.upper())
        if e164 is not None:
            return e164
    return cleaned


def region_of(e164: str) -> str:
    """The ISO 3166 country of an E.164 number (``FR`` for ``+33...``), "" when unknown."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


MASK = "•••"
_NUMBER_IN_TEXT = re.compile(r"(?<!\w)\+?[0-9](?: ?[0-9]){5,}(?!\w)")
"""Six digits or more, maybe after ``+``, maybe spaced: a phone number as it is written (not the
digits inside a word, such as a hexadecimal id)."""


def mask_number(number: str) -> str:
    """A number as a log above DEBUG shows it: ``+41791230005`` -> ``+4179•••0005``.

    Enough to tell one's own numbers apart, not enough to call one. The first and last four
    digits of an international number, two of a shorter one; nothing of one under six digits.
    """
    digits = [char for char in number if char.isascii() and char.isdigit()]
    keep = 4 if len(digits) >= 11 else 2 if len(digits) >= 6 else 0
    if not keep:
        return MASK
    plus = "+" if number.lstrip().startswith("+") else ""
    return f"{plus}{''.join(digits[:keep])}{MASK}{''.join(digits[-keep:])}"


def mask_numbers(text: object) -> str:
    """``str(text)`` with every phone number in it masked (an error that names a recipient)."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask_number(match.group()), str(text))
