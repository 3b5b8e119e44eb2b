r"""What a provider bills for a text: the text encoded as the network carries it, cut into SMS.

Written from GSM 03.38 and 03.40 and the providers' own words, never from the integration's
counting: the text is encoded into the units an SMS carries, and those units are cut into SMS
the way a sending centre does.

- GSM 03.38's default alphabet is a table of 128 codes (below, laid out as the standard prints
  it); its extension table is reached through the escape code 0x1B, so such a character is two
  septets (Mobyt's doc: "les caractères ^ { } \ [ ~ ] | € comptent pour 2 caractères").
- A text with any other character travels in UCS-2: its UTF-16 code units.
- One SMS carries 140 octets of user data (GSM 03.40): 160 septets, or 70 units. A part of a
  long SMS first carries a 6-octet concatenation header, which takes 7 septets once padded to
  a septet boundary (SMSFactor's doc: "coupe les SMS par tranche de 153 caractères. Les 7
  caractères restants servant à la concaténation"), or 3 units: 153 septets, or 67 units.
- A part never ends on an escape code, nor on the first half of a surrogate pair: the cut moves
  back one unit, so that the pair is read whole in the next part.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import unicodedata

# GSM 03.38, figure of the default alphabet: one line per row (the low four bits, 0x0 to 0xF),
# one entry per column (the high three bits, 0 to 7). "ESC" is the escape to the extension
# table, "LF" and "CR" the line feed and the carriage return, "SP" the space.
_ROWS = (
    ("@", "Δ", "SP", "0", "¡", "P", "¿", "p"),
    ("£", "_", "!", "1", "A", "Q", "a", "q"),
    ("$", "Φ", '"', "2", "B", "R", "b", "r"),
    ("¥", "Γ", "#", "3", "C", "S", "c", "s"),
    ("è", "Λ", "¤", "4", "D", "T", "d", "t"),
    ("é", "Ω", "%", "5", "E", "U", "e", "u"),
    ("ù", "Π", "&", "6", "F", "V", "f", "v"),
    ("ì", "Ψ", "'", "7", "G", "W", "g", "w"),
    ("ò", "Σ", "(", "8", "H", "X", "h", "x"),
    ("Ç", "Θ", ")", "9", "I", "Y", "i", "y"),
    ("LF", "Ξ", "*", ":", "J", "Z", "j", "z"),
    ("Ø", "ESC", "+", ";", "K", "Ä", "k", "ä"),
    ("ø", "Æ", ",", "<", "L", "Ö", "l", "ö"),
    ("CR", "æ", "-", "=", "M", "Ñ", "m", "ñ"),
    ("Å", "ß", ".", ">", "N", "Ü", "n", "ü"),
    ("å", "É", "/", "?", "O", "§", "o", "à"),
)
_NAMED = {"SP": " ", "LF": "\n", "CR": "\r"}
ESCAPE = 0x1B

DEFAULT_TABLE: dict[str, int] = {
    _NAMED.get(entry, entry): column * 16 + row
    for row, entries in enumerate(_ROWS)
    for column, entry in enumerate(entries)
    if entry != "ESC"
}
"""Each character of the default alphabet and its code."""
EXTENSION_TABLE: dict[str, int] = {
    "\f": 0x0A,  # form feed (page break)
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
"""Each character of the extension table and its code after the escape."""

USER_DATA_OCTETS = 140
CONCATENATION_HEADER_OCTETS = 6
"""UDHL, then the 8-bit-reference concatenation element: identifier, length, reference,
number of parts, this part's number."""

_HEADER_SEPTETS = math.ceil(CONCATENATION_HEADER_OCTETS * 8 / 7)
"""The header's 48 bits, padded to the next septet boundary: 7 septets."""

SINGLE = {"gsm7": USER_DATA_OCTETS * 8 // 7, "ucs2": USER_DATA_OCTETS // 2}
"""Units in one SMS: 160 septets, 70 UTF-16 units."""
PART = {
    "gsm7": SINGLE["gsm7"] - _HEADER_SEPTETS,
    "ucs2": (USER_DATA_OCTETS - CONCATENATION_HEADER_OCTETS) // 2,
}
"""Units in each part of a long SMS: 153 septets, 67 UTF-16 units."""


@dataclass(frozen=True, slots=True)
class Bill:
    """How a text travels and how many SMS it costs per recipient."""

    encoding: str
    """``gsm7`` or ``ucs2``."""
    units: int
    """Septets (gsm7) or UTF-16 code units (ucs2)."""
    parts: int


def septets(text: str, *, cedilla: bool = False) -> list[int] | None:
    """``text`` encoded in GSM 03.38 (an extension character as the escape and its code).

    Args:
        text: the message.
        cedilla: write lowercase ``ç`` as code 0x09, the table's ``Ç`` (R28: what providers
            commonly do; the table itself has no lowercase ``ç``).

    Returns:
        The septets, or None when a character is in neither table.
    """
    encoded: list[int] = []
    for char in text:
        if cedilla and char == "ç":
            encoded.append(DEFAULT_TABLE["Ç"])
        elif (code := DEFAULT_TABLE.get(char)) is not None:
            encoded.append(code)
        elif (code := EXTENSION_TABLE.get(char)) is not None:
            encoded += (ESCAPE, code)
        else:
            return None
    return encoded


def utf16_units(text: str) -> list[int]:
    """``text`` as UCS-2 carries it: its UTF-16 code units (big-endian, as on the network)."""
    data = text.encode("utf-16-be", errors="surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def closest_gsm(text: str) -> str:
    """SMSFactor's conversion: each character outside GSM 03.38 becomes the closest one.

    The doc's example is "ë => e": a letter loses its accents (its canonical decomposition's
    first character) when that letter is in the default alphabet; anything else becomes "?".
    """
    converted: list[str] = []
    for char in text:
        if char in DEFAULT_TABLE or char in EXTENSION_TABLE:
            converted.append(char)
            continue
        base = unicodedata.normalize("NFD", char)[:1]
        converted.append(base if base in DEFAULT_TABLE else "?")
    return "".join(converted)


def _splits_a_pair(encoding: str, units: list[int], end: int) -> bool:
    """Whether a part ending before ``units[end]`` would cut an escape or a surrogate pair."""
    last = units[end - 1]
    if encoding == "gsm7":
        return last == ESCAPE
    return 0xD800 <= last <= 0xDBFF


def cut(encoding: str, units: list[int]) -> list[list[int]]:
    """``units`` cut into the SMS that carry them."""
    if len(units) <= SINGLE[encoding]:
        return [units]
    parts: list[list[int]] = []
    start, size = 0, PART[encoding]
    while start < len(units):
        end = min(start + size, len(units))
        if end < len(units) and _splits_a_pair(encoding, units, end):
            end -= 1
        parts.append(units[start:end])
        start = end
    return parts


def bill(text: str, *, gsm_only: bool = False, cedilla: bool = False) -> Bill:
    """The SMS ``text`` costs per recipient.

    Args:
        text: the message as the provider received it.
        gsm_only: the provider sends GSM 03.38 only and converts any other character to the
            closest one (SMSFactor's doc); otherwise such a text is sent in UCS-2.
        cedilla: the provider writes lowercase ``ç`` as the table's ``Ç`` (R28).
    """
    if gsm_only:
        text = closest_gsm(text)
    encoded = septets(text, cedilla=cedilla)
    encoding, units = ("gsm7", encoded) if encoded is not None else ("ucs2", utf16_units(text))
    return Bill(encoding, len(units), len(cut(encoding, units)))
