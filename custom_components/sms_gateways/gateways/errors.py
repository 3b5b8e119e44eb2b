"""Errors raised by the SMS gateway clients.

One shallow tree: callers catch ``GatewayError`` and act differently only where a subclass says so
(``AuthenticationError`` starts a reauth, ``GatewayConnectionError`` means "try later").
Every error carries the provider's own code and text when there is one.
"""

from __future__ import annotations

from datetime import datetime
import re
from typing import override


class GatewayError(Exception):
    """Base of every error the gateway clients raise."""

    def __init__(
        self,
        message: str,
        *,
        provider_code: str | None = None,
        provider_message: str | None = None,
    ) -> None:
        """Keep the provider's code and text beside our own message."""
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code
        self.provider_message = provider_message

    @override
    def __str__(self) -> str:
        """Say what went wrong, with the provider's code when there is one."""
        if self.provider_code is None:
            return self.message
        return f"{self.message} (provider code {self.provider_code})"


class AuthenticationError(GatewayError):
    """The provider refused the credentials."""


class AccessDeniedError(AuthenticationError):
    """The credentials are valid but the provider refuses this client (e.g. an IP not allowed)."""


class InsufficientCreditsError(GatewayError):
    """The account has not enough credits for this message."""


class InvalidRecipientError(GatewayError):
    """A recipient number is invalid or not allowed."""

    def __init__(self, message: str, *, number: str | None = None, **kwargs: str | None) -> None:
        """Name the number that is wrong."""
        super().__init__(message, **kwargs)
        self.number = number


class InvalidSenderError(GatewayError):
    """The sender is not allowed (length, characters, or not registered).

    A local check says which rule of the provider's doc the sender breaks (``reason``), so that
    the user reads it in their language: ``too_long`` (with ``limit``), ``not_alphanumeric``,
    or ``unprintable`` (a character no request can carry). A provider's refusal has none.
    """

    TOO_LONG = "too_long"
    NOT_ALPHANUMERIC = "not_alphanumeric"
    UNPRINTABLE = "unprintable"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        limit: int | None = None,
        **kwargs: str | None,
    ) -> None:
        """Say which rule the sender breaks, and the limit where it is a length."""
        super().__init__(message, **kwargs)
        self.reason = reason
        self.limit = limit


class MessageRejectedError(GatewayError):
    """The message itself was refused: empty, too long, blocked, duplicate, moderated."""


class SchedulingError(GatewayError):
    """The scheduled send time is invalid, or a scheduled message could not be cancelled."""


class SendTimeError(SchedulingError):
    """The send time falls in an hour the account's time zone repeats (autumn) or skips (spring).

    The provider reads a wall time without an offset: in a repeated hour it cannot tell which of
    the two instants is meant, and a skipped hour does not exist there.
    """

    def __init__(self, message: str, *, zone: str, skipped: bool) -> None:
        """Name the time zone, and whether the hour is skipped (else repeated)."""
        super().__init__(message)
        self.zone = zone
        self.skipped = skipped


class SendTimeRangeError(SchedulingError):
    """A time beyond the dates the library can convert and keep (year 1, or 9999 and later).

    Python's dates run from year 1 to 9999: an instant a time zone moves past either end cannot
    be converted, and the bookkeeping after a send (a time kept until, a time to ask again) needs
    room after it.
    """

    def __init__(
        self, message: str, *, when: datetime, earliest: datetime, latest: datetime
    ) -> None:
        """Name the time refused, the first instant taken and the first one refused after it."""
        super().__init__(message)
        self.when = when
        self.earliest = earliest
        self.latest = latest


class TooManyRecipientsError(GatewayError):
    """More recipients than one send of this provider may carry (refused before any request)."""

    def __init__(self, message: str, *, count: int, limit: int) -> None:
        """Say how many recipients there are and how many one send takes."""
        super().__init__(message)
        self.count = count
        self.limit = limit


class UnsupportedOperationError(GatewayError):
    """The provider has no such function."""


class GatewayConnectionError(GatewayError):
    """The provider could not be reached, or did not answer in time.

    ``request_sent`` is False only when the request certainly never left (connection refused, DNS,
    TLS, connect timeout). When it is True the provider may have acted on it: never re-send.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: str | None) -> None:
        """Record whether the request may have reached the provider."""
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class GatewayResponseError(GatewayError):
    """The provider answered something we cannot understand, or an undocumented error."""


class SendOutcomeUnknownError(GatewayResponseError):
    """A send (or cancel) reached the provider, but its answer does not say what became of it.

    The message may have been sent: it must never be sent again. ``reference`` is the message,
    order or batch id the answer did hold, if any, so that the user can check its status.
    """

    def __init__(self, message: str, *, reference: str | None = None, **kwargs: str | None) -> None:
        """Keep the id the answer held, if any."""
        super().__init__(message, **kwargs)
        self.reference = reference


class EmptyMessageError(MessageRejectedError):
    """The message has no text."""


class InvisibleMessageError(EmptyMessageError):
    """The message has characters, but none that shows (spaces, zero-width characters...)."""


class InvalidTextError(MessageRejectedError):
    """A text has a character no request can carry (a lone UTF-16 surrogate): nothing is sent."""

    def __init__(self, message: str, *, field: str, position: int, character: str) -> None:
        """Name the field (``message``, ``sender``...), the 1-based position and the character."""
        super().__init__(message)
        self.field = field
        self.position = position
        self.character = character


class MessageTooLongError(MessageRejectedError):
    """The message is longer than the provider accepts."""

    def __init__(self, message: str, *, length: int, limit: int) -> None:
        """Say how long the message is and what the limit is."""
        super().__init__(message)
        self.length = length
        self.limit = limit


# What this library adds to the cause of an outcome-unknown error, for a reader who gets its words
# alone (a recipient's ``error`` in a send's results).
_SAID_ALREADY = (
    (
        re.compile(
            r"[;:] ?the (?:message|request) may have been (?:sent|received)"
            r"(?:, so it is not sent again)?(?:: check Mobyt order \S+ before sending again)?"
        ),
        "",
    ),
    (re.compile(r": it may have been sent \((Mobyt order \S+)\); not sent again"), r" (\1)"),
    (re.compile(r" in a way that does not say whether it was sent"), ""),
)


def outcome_cause(text: str) -> str:
    """The cause alone in the text of a send whose outcome is unknown.

    A caller that says "it may have been sent, it was not sent again" in its own (translated)
    words quotes this, so that the user reads it once.
    """
    for said, replacement in _SAID_ALREADY:
        text = said.sub(replacement, text)
    return text
