"""What a provider bills for a text: its own count of parts, written from GSM 03.38.

The simulator must never share the adapter's counting (a mistake made by both would pass every
test), so this module is written from the standard itself: the 128 characters of the default
alphabet in code order, and the extension table reached through the escape code 0x1B.

- A text of default-alphabet and extension characters travels in 7-bit septets (an extension
  character costs two: the escape and itself): one SMS holds 160, a concatenated part 153.
- Any other text travels in UCS-2 (UTF-16 code units; a character beyond the BMP costs two): one
  SMS holds 70, a concatenated part 67.
- A part never ends between an escape and its character, nor between two halves of a surrogate
  pair: a character that does not fit starts the next part.
"""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 default alphabet, code 0x00 to 0x7F in order; 0x1B (escape) is written as a space
# placeholder at that position and never matched.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = "\x1b"
# The extension table (escape + code): form feed 0x0A, ^ 0x14, { 0x28, } 0x29, \ 0x2F, [ 0x3C,
# ~ 0x3D, ] 0x3E, | 0x40, € 0x65.
EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
             "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip

_SEPTETS = {char: 1 for char in DEFAULT_ALPHABET if char != ESCAPE} | dict.fromkeys(EXTENSION, 2)

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}


@dataclass(frozen=True, slots=True)
class Bill:
    """How a text travels and how many SMS it costs per recipient."""

    encoding: str
    """``gsm7`` or ``ucs2``."""
    units: int
    """Septets (gsm7) or UTF-16 code units (ucs2)."""
    parts: int


def _costs(text: str, *, gsm_only: bool) -> tuple[str, list[int]]:
    septets = [_SEPTETS.get(char, 0) for char in text]
    if all(septets):
        return "gsm7", septets
    if gsm_only:
        # A provider that converts what is not GSM 03.38 to a close character (ë -> e).
        return "gsm7", [cost or 1 for cost in septets]
    return "ucs2", [2 if ord(char) > 0xFFFF else 1 for char in text]


def bill(text: str, *, gsm_only: bool = False) -> Bill:
    """The parts ``text`` costs per recipient.

    Args:
        text: the message as the provider received it.
        gsm_only: the provider sends GSM 03.38 only, replacing any other character by one
            (SMSFactor's doc); otherwise such a text is sent in UCS-2.
    """
    encoding, costs = _costs(text, gsm_only=gsm_only)
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return Bill(encoding, units, 1)
    parts, room = 1, PART[encoding]
    for cost in costs:
        if cost > room:
            parts, room = parts + 1, PART[encoding]
        room -= cost
    return Bill(encoding, units, parts)
