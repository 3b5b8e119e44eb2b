"""GSM 03.38 / UCS-2 detection, and character and segment counting.

A text that fits the GSM 03.38 default alphabet (plus its extension table, two septets each)
travels in 7 bits: 160 septets in one SMS, 153 per part when concatenated. Anything else travels
in UCS-2: 70 UTF-16 units in one SMS, 67 per part. An escape pair and a surrogate pair are never
split across two parts, so parts are filled one character at a time rather than total / 153.
"""

from __future__ import annotations

from .models import Encoding, MessageInfo

# The GSM 03.38 default alphabet (the escape code 0x1B is not a character a user can type).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 03.38 alphabet or its extension."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _unit_lengths(text: str, encoding: Encoding) -> list[int]:
    """The network length of each character: septets, or UTF-16 code units."""
    if encoding is Encoding.GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _count_parts(lengths: list[int], part_size: int) -> int:
    """Fill parts character by character so that no pair straddles a boundary."""
    parts = 1
    used = 0
    for length in lengths:
        if used + length > part_size:
            parts += 1
            used = 0
        used += length
    return parts


def analyze(text: str) -> MessageInfo:
    """Choose the encoding of ``text`` and count its characters, length and segments."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    lengths = _unit_lengths(text, encoding)
    length = sum(lengths)
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is Encoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    segments = 1 if length <= single else _count_parts(lengths, part)
    return MessageInfo(encoding=encoding, characters=len(text), length=length, segments=segments)
