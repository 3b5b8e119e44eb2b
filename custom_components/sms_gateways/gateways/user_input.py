"""What a user types, checked before any request is built: total for any text and any date.

A lone UTF-16 surrogate cannot be written in UTF-8 (the form, JSON and XML of every provider), a
text of invisible characters only reaches its reader as an empty SMS, and a date near the end of
Python's calendar cannot be converted to the provider's time zone. Each is refused here with the
library's own error, so that no caller ever sees a raw ``UnicodeEncodeError`` or
``OverflowError``, nor a request that may have left half-written.
"""

from __future__ import annotations

from datetime import UTC, datetime
import unicodedata

from .errors import EmptyMessageError, InvalidTextError, InvisibleMessageError, SendTimeRangeError

EARLIEST_TIME = datetime(2, 1, 1, tzinfo=UTC)
"""The first instant taken: year 1 is left as room for any time zone's offset."""
LATEST_TIME = datetime(9999, 1, 1, tzinfo=UTC)
"""The first instant refused: the year 9999 is left as room for what is computed after a send
(a time kept until, a time to ask for the status again) and for any time zone's offset."""

# Categories that show nothing: controls, format characters (zero-width space and joiners,
# BOM, direction marks), and separators (spaces, line and paragraph separators).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Unicode's other Default_Ignorable_Code_Point characters (DerivedCoreProperties.txt) that are
# assigned and not in the categories above: the combining grapheme joiner, the Hangul fillers,
# the Khmer inherent vowels, the Mongolian variation selectors and the variation selectors.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)


def _shows(char: str) -> bool:
    """Whether ``char`` puts something on the screen."""
    if "!" <= char <= "~":  # printable ASCII, nearly every first character: no table looked up
        return True
    code = ord(char)
    if code < 0x80 or unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return False
    return not any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def check_visible(message: str) -> None:
    """Refuse a message with no character that shows.

    Raises:
        InvisibleMessageError: every character is a space, a control or an invisible one.
    """
    if not any(map(_shows, message)):
        raise InvisibleMessageError("The message has no visible character")


def check_message(message: str) -> None:
    """Refuse a message that cannot be sent whatever the provider.

    Raises:
        InvalidTextError: a lone surrogate.
        EmptyMessageError: nothing but blanks (``InvisibleMessageError``: nothing that shows).
    """
    check_encodable("message", message)
    if not message.strip():
        raise EmptyMessageError("The message is empty")
    check_visible(message)


def check_encodable(field: str, text: str) -> None:
    """Refuse a text with a lone surrogate, which no UTF-8 request can carry.

    A character beyond the BMP is one code point in a Python string: any code point between
    U+D800 and U+DFFF is half of a pair, left alone.

    Raises:
        InvalidTextError: naming the field, the 1-based position and the code point.
    """
    if text.isascii():
        return
    for position, char in enumerate(text, start=1):
        if "\ud800" <= char <= "\udfff":
            code = f"U+{ord(char):04X}"
            raise InvalidTextError(
                f"The {field} has a character that cannot be sent at position {position} "
                f"({code}, half of a surrogate pair)",
                field=field,
                position=position,
                character=code,
            )


def instant(when: datetime) -> datetime:
    """``when`` in UTC, refused outside the years that any time zone can convert and keep.

    Args:
        when: a date and time with a time zone.

    Raises:
        SendTimeRangeError: ``when`` is before year 2 or in year 9999 or later (in UTC), where
            a time zone's offset or the bookkeeping after a send would leave Python's calendar.
    """
    try:
        moment = when.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_TIME <= moment < LATEST_TIME:
        raise SendTimeRangeError(
            f"The time {when.isoformat()} is out of range: it must be from "
            f"{EARLIEST_TIME.date().isoformat()} and before {LATEST_TIME.date().isoformat()}",
            when=when,
            earliest=EARLIEST_TIME,
            latest=LATEST_TIME,
        )
    return moment
