"""GSM 03.38 / UCS-2 detection, and character and segment counting.

A text that fits the GSM 03.38 default alphabet (plus its extension table, two septets each)
travels in 7 bits: 160 septets in one SMS, 153 per part when concatenated. Anything else travels
in UCS-2: 70 UTF-16 units in one SMS, 67 per part. An escape pair and a surrogate pair are never
split across two parts, so parts are filled one character at a time rather than total / 153.
"""

from __future__ import annotations

from functools import lru_cache

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


GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 03.38 alphabet or its extension."""
    return GSM7_ALL.issuperset(text)


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


# A home sends the same few alerts again and again; longer texts than this are not remembered.
_CACHED_LENGTH = 2000


def analyze(text: str) -> MessageInfo:
    """Choose the encoding of ``text`` and count its characters, length and segments."""
    return _cached_analysis(text) if len(text) <= _CACHED_LENGTH else _analysis(text)


def _analysis(text: str) -> MessageInfo:
    if is_gsm7(text):
        encoding, single, part = Encoding.GSM7, GSM7_SINGLE, GSM7_PART
        length = len(text) + sum(map(text.count, GSM7_EXTENSION))
    else:
        encoding, single, part = Encoding.UCS2, UCS2_SINGLE, UCS2_PART
        length = len(text.encode("utf-16-le", errors="surrogatepass")) // 2
    # Most alerts fit one SMS: the per-character lengths are only needed to fill parts.
    segments = 1 if length <= single else _count_parts(_unit_lengths(text, encoding), part)
    return MessageInfo(encoding=encoding, characters=len(text), length=length, segments=segments)


_cached_analysis = lru_cache(maxsize=256)(_analysis)
