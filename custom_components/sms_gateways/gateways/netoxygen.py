"""NetOxygen (Switzerland): XML-RPC over HTTPS, one endpoint for every method.

Every method takes ``user, pass`` first, positionally. Requests are built with the standard
library's ``xmlrpc.client.dumps`` and POSTed through ``transport.post`` (never the blocking
``ServerProxy``); replies are decoded by ``xml.loads_xmlrpc`` (bounded, DOCTYPE refused).

Numbers travel as international digits without ``+`` (``41791234567``), the form
``clean_number`` returns; dates as ``YYYY-MM-DD HH:MM:SS`` in Europe/Zurich. ``dest`` and
``message`` travel as ``<base64>`` of their UTF-8 bytes, as the doc's only example that "handles
accentuation" sends them.

What the doc leaves open (``shared/providers/READINGS.md`` R1 to R8), and how it is read here:

- Only ``auth`` decides the credentials. Any other FALSE answer, and any fault (neither fault
  codes nor texts are documented), is checked by asking ``auth``: FALSE there is an
  ``AuthenticationError``, otherwise the answer is a generic error quoting the provider's words.
- A ``send_message`` row is ``(destination, status, id or error code)`` as the doc's Perl client
  reads it: 0 or FALSE is refused with the error code third, 1 or TRUE sent and 9 scheduled with
  the id third; any other status is an unknown outcome with its id kept, never "refused".
- No message length limit is documented: the provider's error 8 says when a message is too long.

Every ``read_*`` function below is total: for any decoded XML-RPC value it returns a model or
raises a ``GatewayError``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
import logging
import math
import re
from types import MappingProxyType
from typing import Final, override
import xmlrpc.client
from zoneinfo import ZoneInfo

from . import transport
from .base import PreparedSms, SmsGateway, check_printable_sender
from .errors import (
    AuthenticationError,
    GatewayError,
    GatewayResponseError,
    InvalidRecipientError,
    SendOutcomeUnknownError,
)
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    DeliveryReport,
    DeliveryStatus,
    RecipientResult,
    SendResult,
)
from .numbers import e164_digits, from_provider
from .xml import excerpt, loads_xmlrpc

_LOGGER = logging.getLogger(__name__)

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
ZURICH = ZoneInfo("Europe/Zurich")

# The doc's "Error codes" table: what ``send_message`` answers for a refused recipient, and the
# ``sent_status`` of ``get_status``. Each maps to (text, normalised status); ``None`` for code 1
# (OK) means "look at ``last_status``". The doc calls them "the current error code" (R31): in
# ``get_status``, 2 to 4 (a gateway, routing or format problem, not "won't be received" as 5
# says) may still change, so they are shown as such and followed (``CURRENT_ERRORS``).
ERROR_CODES: dict[int, tuple[str, DeliveryStatus | None]] = {
    1: ("OK", None),
    2: ("Gateway error", DeliveryStatus.FAILED),
    3: ("Message routing error", DeliveryStatus.FAILED),
    4: ("Message format error", DeliveryStatus.FAILED),
    5: ("Invalid destination number", DeliveryStatus.FAILED),
    6: ("Invalid source number (sender)", DeliveryStatus.FAILED),
    7: ("Empty message", DeliveryStatus.FAILED),
    8: ("Max message length exceeded", DeliveryStatus.FAILED),
    9: ("Pending: the message is scheduled", DeliveryStatus.SCHEDULED),
    10: ("Message canceled", DeliveryStatus.CANCELED),
}

# The doc's "Status codes" table: the ``last_status`` of ``get_status``.
STATUS_CODES: dict[int, tuple[str, DeliveryStatus]] = {
    1: ("Delivered to the recipient device", DeliveryStatus.DELIVERED),
    2: ("Delivered to the recipient network", DeliveryStatus.SENT),
    3: ("Message submitted", DeliveryStatus.SENT),
    4: ("Message error, delivery failed", DeliveryStatus.FAILED),
    5: ("Routing error, delivery failed", DeliveryStatus.FAILED),
    6: ("Message expired, delivery cancelled", DeliveryStatus.EXPIRED),
    7: ("Gateway error", DeliveryStatus.FAILED),
    8: ("Message in queue", DeliveryStatus.QUEUED),
    9: ("Message scheduled", DeliveryStatus.SCHEDULED),
}

CURRENT_ERRORS: Final = frozenset({2, 3, 4})
"""``sent_status`` codes of ``get_status`` that may still change (R31)."""
CURRENT_STATUSES: Final = frozenset({7})
"""``last_status`` codes of ``get_status`` that may still change (R31: "Error from the gateway",
unlike 4 and 5, which say "delivery failed")."""
_MAY_CHANGE = " (the current state: it may still change)"

MAY_HAVE_BEEN_SENT = "the message may have been sent, so it is not sent again"

# Bounds on what is read from a reply: an id, a code, a text quoted back to the user.
_MAX_ID_LENGTH = 64
_MAX_CODE_DIGITS = 9
_MAX_TEXT_LENGTH = 120
_MAX_NUMBER_LENGTH = 32
_ASCII_DIGITS = re.compile(r"[0-9]+")
_ASCII_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Dates a status row may carry: anything outside is unreadable, not a moment.
_FIRST_YEAR = 1970
_LAST_YEAR = 9000
_MAX_WARNED = 1024


# --- reading values -----------------------------------------------------------------------------


def describe(value: object) -> str:
    """A short, safe description of a decoded value, for error messages and logs.

    Never recurses more than three levels, never converts a huge integer to text, and never
    shows more than a few items, nor more than 120 characters in all.
    """
    return excerpt(_describe(value, 0), _MAX_TEXT_LENGTH)


def _describe(value: object, depth: int) -> str:
    if isinstance(value, list):
        if depth >= 3:
            return "[...]"
        items = [_describe(item, depth + 1) for item in value[:4]]
        return f"[{', '.join(items)}{', ...' if len(value) > 4 else ''}]"
    if isinstance(value, dict):
        if depth >= 3:
            return "{...}"
        pairs = [
            f"{_describe(key, depth + 1)}: {_describe(item, depth + 1)}"
            for key, item in list(value.items())[:4]
        ]
        return f"{{{', '.join(pairs)}{', ...' if len(value) > 4 else ''}}}"
    if isinstance(value, str):
        return repr(excerpt(value, 40))
    if isinstance(value, bytes | bytearray | xmlrpc.client.Binary):
        data = value.data if isinstance(value, xmlrpc.client.Binary) else bytes(value)
        return f"<{len(data)} bytes>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "<a very long number>"
    return excerpt(repr(value), 40)


def read_code(value: object) -> int | None:
    """A status or error code as an int: an XML-RPC int or boolean, or ASCII digits.

    Unicode digits (``²``), signs, fractions and numbers of more than nine digits are no code.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if 0 <= value < 10**_MAX_CODE_DIGITS else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= _MAX_CODE_DIGITS and _ASCII_DIGITS.fullmatch(text):
            return int(text)
    return None


def read_text(value: object, limit: int = _MAX_TEXT_LENGTH) -> str:
    """A text of the provider's, quoted back: a string, on one line, within ``limit``."""
    if not isinstance(value, str):
        return ""
    return excerpt(_CONTROL.sub(" ", value), limit)


def read_id(value: object) -> str | None:
    """A message id (or error code) of a row as text; None when it holds none.

    An XML-RPC int, or a string of at most 64 printable characters.
    """
    if isinstance(value, str):  # the common case first (no str is a bool or an int)
        text = value.strip()
        if text and len(text) <= _MAX_ID_LENGTH and (text.isalnum() or not _CONTROL.search(text)):
            return text  # (letters and digits only have no control character)
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 10**20 else None
    return None


def read_date(value: object, timezone: tzinfo = ZURICH) -> datetime | None:
    """A date of a ``get_status`` row as an aware datetime in ``timezone``, or None.

    An XML-RPC ``dateTime`` or an ISO string; without an offset it is Zurich time. A date that
    cannot be read, or whose moment is outside 1970 to 9000, is None.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.isascii() and 0 < len(value.strip()) <= 40:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=timezone)
        instant = moment.astimezone(UTC)
        if not _FIRST_YEAR <= instant.year <= _LAST_YEAR:
            return None
        return instant.astimezone(timezone)
    except OverflowError, ValueError:
        return None


def read_auth(value: object) -> bool:
    """``auth``'s answer: TRUE (1) or FALSE (0).

    Raises:
        GatewayResponseError: anything else.
    """
    flag = read_code(value)
    if flag not in (0, 1):
        raise GatewayResponseError(f"Unexpected answer to auth: {describe(value)}")
    return flag == 1


def read_balance(value: object) -> Balance:
    """``get_credits``' answer: a number of credits (negative when the account allows it).

    Raises:
        GatewayResponseError: FALSE (the doc does not say why) or anything but a number.
    """
    if value is False:
        raise GatewayResponseError(
            "NetOxygen answered FALSE to get_credits (its doc does not say why): no balance to show"
        )
    total: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        total = float(value) if abs(value) < 10**15 else None
    elif isinstance(value, float):
        total = value if math.isfinite(value) and abs(value) < 1e15 else None
    elif isinstance(value, str) and _ASCII_DECIMAL.fullmatch(value.strip()):
        total = float(value.strip())
    if total is None:
        raise GatewayResponseError(f"Unexpected answer to get_credits: {describe(value)}")
    return Balance(total=total)


def read_account_status(value: object) -> str:
    """``account_status``' answer: ``regular`` or ``free`` (any short text is kept).

    Raises:
        GatewayResponseError: FALSE, or anything but a short text.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 32 or _CONTROL.search(text):
        raise GatewayResponseError(f"Unexpected answer to account_status: {describe(value)}")
    return text


def read_group_id(value: object) -> str | None:
    """``get_guid``'s answer: the account's group id, or None (FALSE: the doc says not why)."""
    return read_id(value) if isinstance(value, str) else None


def read_number(value: object, number: str) -> str:
    """``clean_number``'s answer as E.164 (``+41223648000``).

    "Returns: a number": a string of ASCII digits (with or without ``+``), an int or an integral
    double, of 7 to 15 digits not starting with 0. Anything else, such as ``""``, FALSE or the
    input given back, is no number.

    FALSE (R32) is a failure the doc gives no reason for, not a verdict on the number: it is
    quoted as NetOxygen's answer.

    Raises:
        InvalidRecipientError: the provider made no number of ``number``.
        GatewayError: the provider answered FALSE.
    """
    if value is False:
        raise GatewayError(
            "NetOxygen answered FALSE to clean_number (its documentation does not say why)",
            provider_message="FALSE",
        )
    cleaned = ""
    if isinstance(value, float) and value.is_integer() and 0 < value < 1e16:
        cleaned = f"{value:.0f}"
    elif isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**16:
        cleaned = str(value)
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_LENGTH:
        cleaned = value.strip().removeprefix("+")
    if (
        not _ASCII_DIGITS.fullmatch(cleaned)
        or cleaned.startswith("0")
        or not 7 <= len(cleaned) <= 15
    ):
        raise InvalidRecipientError(f"Invalid phone number: {number}", number=number)
    return f"+{cleaned}"


def delivery_status(sent_status: int | None, last_status: int | None) -> DeliveryStatus:
    """The normalised status of a ``get_status`` row.

    An error code other than OK decides (a refusal, pending or canceled message); with OK the
    status code of the last notification decides, and none yet means the message is queued.
    A code the doc calls current, not final (``may_change``), is ``unknown``.
    """
    if may_change(sent_status, last_status):
        return DeliveryStatus.UNKNOWN
    if sent_status is not None and sent_status != 1:
        entry = ERROR_CODES.get(sent_status)
        return (entry[1] if entry else None) or DeliveryStatus.UNKNOWN
    if last_status is None or last_status == 0:
        return DeliveryStatus.QUEUED if sent_status == 1 else DeliveryStatus.UNKNOWN
    status = STATUS_CODES.get(last_status)
    return status[1] if status else DeliveryStatus.UNKNOWN


def may_change(sent_status: int | None, last_status: int | None) -> bool:
    """Whether a ``get_status`` row names a state the doc calls current (R31)."""
    if sent_status in CURRENT_ERRORS:
        return True
    return (sent_status is None or sent_status == 1) and last_status in CURRENT_STATUSES


def _status_report(
    message_id: str,
    sent: int | None,
    last: int | None,
    text: str,
    *,
    recipient: str | None = None,
    updated_at: datetime | None = None,
) -> DeliveryReport:
    """A report whose ``provider_status`` is ``"<sent>/<last> <text of the deciding code>"``."""
    status = delivery_status(sent, last)
    raw = f"{'' if sent is None else sent}/{'' if last is None else last}"
    text = text.strip()
    current = may_change(sent, last)
    provider_status = f"{raw} {text}" if text else raw
    return DeliveryReport(
        message_id=message_id,
        status=status,
        provider_status=f"{provider_status}{_MAY_CHANGE}" if current else provider_status,
        recipient=recipient,
        updated_at=updated_at,
        delivered_at=updated_at if status is DeliveryStatus.DELIVERED else None,
        may_change=current,
    )


def _recipient_of(value: object, region: str) -> str | None:
    """The ``to`` of a status row in E.164 when it reads as a number; None when it is not text."""
    text = read_id(value)
    if text is None or len(text) > _MAX_NUMBER_LENGTH:
        return None
    return from_provider(text, region)


def read_status_row(
    row: object, *, region: str = "CH", timezone: tzinfo = ZURICH
) -> DeliveryReport:
    """One ``get_status`` row: ``[id, {from, to, sent_status, ...}]`` or ``[id, sent, last]``.

    The doc only says a row gives "error code and status code"; public clients show the first
    form, and a row of the two bare codes is read as well. A row ``[id, FALSE]`` (or anything
    else after the id) is an id the provider does not know: UNKNOWN.

    Raises:
        GatewayResponseError: the row is not a list, or has no readable id.
    """
    if not isinstance(row, list) or len(row) < 2:
        raise GatewayResponseError(f"Unexpected get_status row: {describe(row)}")
    message_id = read_id(row[0])
    if message_id is None:
        raise GatewayResponseError(f"A get_status row without an id: {describe(row)}")
    details = row[1]
    if isinstance(details, dict):
        sent = read_code(details.get("sent_status"))
        last = read_code(details.get("last_status"))
        deciding = "sent_status_text" if sent not in (None, 1) else "last_status_text"
        return _status_report(
            message_id,
            sent,
            last,
            read_text(details.get(deciding)),
            recipient=_recipient_of(details.get("to"), region),
            updated_at=read_date(details.get("last_date"), timezone)
            or read_date(details.get("sent_date"), timezone),
        )
    sent = None if isinstance(details, bool) else read_code(details)
    if sent is None or len(row) < 3:
        return DeliveryReport(
            message_id=message_id,
            status=DeliveryStatus.UNKNOWN,
            provider_status=f"not found ({describe(details)})",
        )
    last = read_code(row[2])
    if sent != 1:
        text = ERROR_CODES.get(sent, ("", None))[0]
    else:
        text = STATUS_CODES.get(last or 0, ("", DeliveryStatus.UNKNOWN))[0]
    return _status_report(message_id, sent, last, text)


def read_status_rows(
    answer: object,
    *,
    region: str = "CH",
    timezone: tzinfo = ZURICH,
    skipped: list[str | None] | None = None,
) -> list[DeliveryReport]:
    """Every readable row of a ``get_status`` answer (an array of arrays).

    One unreadable row never blocks the others: it is skipped, and its id (None when it has none)
    is appended to ``skipped`` so that the caller can log it. Ids the answer does not mention are
    simply not reported.

    Raises:
        GatewayResponseError: the answer is not an array (FALSE included).
    """
    if not isinstance(answer, list):
        raise GatewayResponseError(f"Unexpected answer to get_status: {describe(answer)}")
    reports: list[DeliveryReport] = []
    for row in answer:
        try:
            reports.append(read_status_row(row, region=region, timezone=timezone))
        except GatewayError:
            if skipped is not None:
                skipped.append(read_id(row[0]) if isinstance(row, list) and row else None)
    return reports


def read_cancel_rows(answer: object, message_ids: Sequence[str]) -> list[CancelResult]:
    """A ``cancel_message`` answer: one ``[id, boolean]`` row per id asked for.

    TRUE is cancelled; FALSE is not, for a reason the doc does not give (too late, already
    cancelled, not a scheduled message...: R32), so none is made up. Anything else, an id the
    answer does not mention, or an answer that is not an array, does not say: ``canceled`` is
    None (it may have been cancelled), never "not cancelled". Rows for ids not asked are ignored.
    """
    if not isinstance(answer, list):
        error = (
            f"NetOxygen's answer to cancel_message cannot be read ({describe(answer)}); it may "
            "have been cancelled"
        )
        return [CancelResult(message_id=i, canceled=None, error=error) for i in message_ids]
    asked = set(message_ids)
    results: dict[str, CancelResult] = {}
    for row in answer:
        if not isinstance(row, list) or len(row) < 2:
            continue
        message_id = read_id(row[0])
        if message_id is None or message_id in results or message_id not in asked:
            continue
        flag = read_code(row[1])
        if flag == 1:
            results[message_id] = CancelResult(message_id=message_id, canceled=True)
        elif flag == 0:
            results[message_id] = CancelResult(
                message_id=message_id,
                canceled=False,
                error="NetOxygen answered FALSE: not cancelled (its documentation gives no reason)",
            )
        else:
            results[message_id] = CancelResult(
                message_id=message_id,
                canceled=None,
                error=(
                    f"NetOxygen answered {describe(row[1])}, which does not say whether it was "
                    "cancelled"
                ),
            )
    return [
        results.get(message_id)
        or CancelResult(
            message_id=message_id,
            canceled=None,
            error="NetOxygen's answer does not mention this message: it may have been cancelled",
        )
        for message_id in dict.fromkeys(message_ids)
    ]


def _destination_digits(destination: object, region: str) -> str | None:
    """A destination the provider wrote, as international digits (national read as ours)."""
    text = read_id(destination)
    if text is None or len(text) > _MAX_NUMBER_LENGTH or not text.isascii():
        return None
    number = from_provider(text, region)
    digits = "".join(char for char in number if "0" <= char <= "9")
    if not number.startswith("+"):
        digits = digits.removeprefix("00")
    return digits or None


def _is_key(value: object, by_digits: Mapping[str, str]) -> bool:
    return isinstance(value, str) and value in by_digits


def _rows_by_recipient(
    recipients: Sequence[str], rows: list[object], region: str
) -> dict[str, list[object]]:
    """Each recipient's row of a ``send_message`` answer, found by its destination.

    The provider may write a destination as it was sent (``41792223344``) or in another form
    (``0792223344``, ``+41...``). Rows whose destination names no recipient are matched by
    position only when the answer has exactly one row per recipient.
    """
    if len(rows) == 1 and len(recipients) == 1 and isinstance(rows[0], list):
        # One row for one recipient is its row, by destination or else by position.
        return {recipients[0]: rows[0]}
    return _rows_matched(recipients, rows, region)


def _rows_matched(
    recipients: Sequence[str], rows: list[object], region: str
) -> dict[str, list[object]]:
    """``_rows_by_recipient``, each row matched by its destination, then by position."""
    by_digits = {e164_digits(recipient): recipient for recipient in recipients}
    found: dict[str, list[object]] = {}
    unmatched: list[object] = []
    for row in rows:
        # The destination as we sent it is the recipient itself (from_provider would read it
        # back to that very number); any other form is read as the provider may write it.
        key = (
            (row[0] if _is_key(row[0], by_digits) else _destination_digits(row[0], region))
            if isinstance(row, list) and row
            else None
        )
        recipient = by_digits.get(key) if key else None
        if recipient is None or recipient in found or not isinstance(row, list):
            unmatched.append(row)
        else:
            found[recipient] = row
    if unmatched and len(rows) == len(recipients):
        missing = [recipient for recipient in recipients if recipient not in found]
        found.update(
            (recipient, row)
            for recipient, row in zip(missing, unmatched, strict=True)
            if isinstance(row, list)
        )
    return found


def _refused(recipient: str, code: object) -> RecipientResult:
    """A recipient the provider refused, with an error code of its table (or none)."""
    number = read_code(code)
    entry = ERROR_CODES.get(number) if number is not None else None
    status = entry[1] if entry else None
    if status is not DeliveryStatus.CANCELED:
        status = DeliveryStatus.FAILED
    error_code = read_id(code)
    return RecipientResult(
        recipient=recipient,
        accepted=False,
        status=status,
        error=entry[0] if entry else f"Refused by NetOxygen (error {error_code or 'not given'})",
        error_code=error_code,
    )


_INT_FLAGS: Final[Mapping[int, bool | int]] = MappingProxyType({0: False, 1: True, 9: 9})


def _send_flag(value: object) -> bool | int | None:
    """A ``send_message`` status: False (0, FALSE), True (1, TRUE), 9, or None (any other)."""
    if value is False or value is True:
        return value
    if type(value) is int:  # the answer read_code and the tests below give an int, at once
        return _INT_FLAGS.get(value)
    code = read_code(value)
    if code == 0:
        return False
    if code == 1:
        return True
    return 9 if code == 9 else None


def read_send_row(recipient: str, row: list[object] | None, *, scheduled: bool) -> RecipientResult:
    """One row ``(destination, status, id_or_error_code)``, read as the doc's Perl client does.

    0 or FALSE is a refusal with the error code third; 1 or TRUE is sent and 9 scheduled, with
    the id third. Any other status (another code of the error table, a text, nothing) is true
    for the Perl client and an error code for another reading: the outcome is unknown, so the
    message counts as taken (never sent again, never "refused") and its id, if any, is kept.
    """
    status = row[1] if row is not None and len(row) > 1 else None
    third = row[2] if row is not None and len(row) > 2 else None
    flag = _send_flag(status)
    if flag is False:
        return _refused(recipient, third)
    if flag is not None:
        return RecipientResult(
            recipient=recipient,
            accepted=True,
            # Without an id the message went out but cannot be followed.
            message_id=read_id(third),
            status=DeliveryStatus.SCHEDULED if flag == 9 or scheduled else DeliveryStatus.QUEUED,
        )
    if row is None:
        error = f"NetOxygen's answer does not mention this recipient; {MAY_HAVE_BEEN_SENT}"
    else:
        error = (
            f"NetOxygen answered the status {describe(status)}, which does not say what became "
            f"of this recipient; {MAY_HAVE_BEEN_SENT}"
        )
    return RecipientResult(
        recipient=recipient,
        accepted=True,
        message_id=read_id(third),
        status=DeliveryStatus.UNKNOWN,
        error=error,
        error_code=read_id(status),
    )


def read_send_answer(
    answer: object, recipients: Sequence[str], *, region: str = "CH", scheduled: bool = False
) -> tuple[RecipientResult, ...]:
    """Every recipient's result of a ``send_message`` answer ("an array of arrays").

    Raises:
        SendOutcomeUnknownError: the answer names none of the recipients (not an array, no
            readable row): the message may have been sent; the ids the answer held, if any, are
            the error's ``reference``.
    """
    rows = answer if isinstance(answer, list) else []
    found = _rows_by_recipient(recipients, rows, region)
    if not found:
        ids = [
            message_id
            for row in rows
            if isinstance(row, list) and len(row) > 2
            for message_id in [read_id(row[2])]
            if message_id is not None
        ]
        raise SendOutcomeUnknownError(
            f"NetOxygen's answer to send_message cannot be read ({describe(answer)}); "
            f"{MAY_HAVE_BEEN_SENT}",
            reference=", ".join(ids[:20]) or None,
        )
    return tuple(
        read_send_row(recipient, found.get(recipient), scheduled=scheduled)
        for recipient in recipients
    )


type _Param = str | xmlrpc.client.Binary | list[str] | list[xmlrpc.client.Binary]


_BASE64_LINE = 57
"""The bytes ``base64.encodebytes`` puts on one line."""


def _value_text(value: _Param) -> str:
    if isinstance(value, str):
        return f"<value><string>{xmlrpc.client.escape(value)}</string></value>\n"
    if isinstance(value, xmlrpc.client.Binary):
        data = value.data
        # One line: what encodebytes gives, without its loop (it writes nothing for no bytes).
        line = binascii.b2a_base64(data) if 0 < len(data) <= _BASE64_LINE else None
        encoded = (line or base64.encodebytes(data)).decode("ascii")
        return f"<value><base64>\n{encoded}</base64></value>\n"
    items = "".join(map(_value_text, value))
    return f"<value><array><data>\n{items}</data></array></value>\n"


def call_body(method: str, params: Sequence[_Param]) -> str:
    """The text ``xmlrpc.client.dumps(params, method)`` writes, without its marshaller's dispatch.

    Tests prove the two equal for any text, bytes and arrays of them.
    """
    return (
        f"<?xml version='1.0'?>\n<methodCall>\n<methodName>{xmlrpc.client.escape(method)}"
        f"</methodName>\n<params>\n{_params_text(params)}{_CALL_END}"
    )


def _params_text(params: Sequence[_Param]) -> str:
    """The ``<param>`` elements of a call, each as ``xmlrpc.client`` writes it."""
    return "".join([f"<param>\n{_value_text(param)}</param>\n" for param in params])


_CALL_END = "</params>\n</methodCall>\n"


class _FaultError(GatewayResponseError):
    """NetOxygen answered an XML-RPC fault: its code and text, of no documented meaning."""


def parse_reply(method: str, body: bytes) -> object:
    """The single value of an XML-RPC reply.

    Raises:
        GatewayResponseError: the reply is not XML-RPC, or holds not exactly one value; a
            ``_FaultError`` (a ``GatewayResponseError``) quoting a fault's code and text.
    """
    try:
        result = loads_xmlrpc(body)
    except xmlrpc.client.Fault as fault:
        code = read_id(fault.faultCode) or describe(fault.faultCode)
        text = read_text(fault.faultString) or describe(fault.faultString)
        raise _FaultError(
            f"NetOxygen answered {method} with the fault {code}: {text}",
            provider_code=code,
            provider_message=text,
        ) from None
    if len(result) != 1:
        raise GatewayResponseError(
            f"NetOxygen answered {method} with {len(result)} values: {excerpt(body)!r}"
        )
    return result[0]


ONE_BY_ONE = 10
"""How many ids of a batch that answered a fault are asked again one at a time."""


class NetOxygenGateway(SmsGateway):
    """A NetOxygen account, spoken to in XML-RPC."""

    provider = "netoxygen"
    title = "NetOxygen"
    default_api_url = "https://sms.netoxygen.ch/api2/"
    default_region = "CH"
    timezone = ZURICH
    capabilities = frozenset(
        {
            Capability.BALANCE,
            Capability.ACCOUNT_STATUS,
            Capability.SCHEDULE,
            Capability.CANCEL,
            Capability.FLASH,
            Capability.DELIVERY_STATUS,
            Capability.REMOTE_NORMALIZE,
        }
    )
    # The doc gives no limit: the provider's error 8 ("Max message length exceeded") says it.
    max_length = None
    # Nor for the sender, whose default is "textobox.ch": error 6 says what it refuses.
    max_sender_length = None

    # The ids of unreadable status rows already logged (created at the first one).
    _warned: set[str | None] | None = None
    # The start of each method's call, the credentials in it (see ``_call_text``).
    _heads: dict[str, str] | None = None

    # --- the wire --------------------------------------------------------------------------

    async def _call(self, method: str, *params: _Param) -> object:
        """Call one XML-RPC method with the credentials first and return its single result.

        Raises:
            GatewayConnectionError: the request failed or may not have been answered.
            GatewayResponseError: the reply is not XML-RPC, or is a fault (``_FaultError``).
        """
        body = self._call_text(method, params)
        reply = await transport.post(
            self._session,
            self.api_url,
            data=body.encode("utf-8"),
            headers=_HEADERS,
            timeout=self._timeout,
        )
        return parse_reply(method, reply.body)

    def _call_text(self, method: str, params: Sequence[_Param]) -> str:
        """``call_body(method, (username, password, *params))``, its start written once a method.

        Tests prove the two equal.
        """
        heads = self._heads
        if heads is None:
            heads = self._heads = {}
        head = heads.get(method)
        if head is None:
            credentials = call_body(method, (self._username, self._password))
            head = heads[method] = credentials.removesuffix(_CALL_END)
        return f"{head}{_params_text(params)}{_CALL_END}"

    async def _ask(self, method: str, *params: _Param) -> object:
        """``_call``, where a fault or a FALSE answer is first checked against ``auth``.

        Only ``auth`` decides the credentials: when it answers FALSE the original answer was a
        refusal of them. Otherwise the fault is raised, or FALSE returned, for the caller to word.

        Raises:
            AuthenticationError: the answer was FALSE or a fault, and ``auth`` answers FALSE.
            GatewayConnectionError, GatewayResponseError: as ``_call``.
        """
        try:
            value = await self._call(method, *params)
        except _FaultError:
            await self._check_credentials(method)
            raise
        if value is False:
            await self._check_credentials(method)
        return value

    async def _check_credentials(self, method: str) -> None:
        """Ask ``auth`` whether the credentials are refused; nothing is raised if it cannot say."""
        try:
            accepted = read_auth(await self._call("auth"))
        except GatewayError as err:
            _LOGGER.debug("NetOxygen's auth could not tell why %s failed: %s", method, err)
            return
        if not accepted:
            raise AuthenticationError(
                f"NetOxygen refused the user name or password (auth answered FALSE after {method})"
            )

    def _wire_date(self, when: datetime) -> str:
        return self.local_time(when).strftime(_DATE_FORMAT)

    @override
    def validate_sender(self, sender: str) -> str:
        """Any sender: the doc states no limit and names ``textobox.ch`` as its default (R27).

        NetOxygen uses the account's default sender when the account may not choose one, and
        answers error 6 ("Invalid source number") for one it refuses.

        Raises:
            InvalidSenderError: a character no request can carry (a control character).
        """
        sender = sender.strip()
        check_printable_sender(sender)
        return sender

    # --- the calls -------------------------------------------------------------------------

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """Send to every recipient in one ``send_message`` call.

        ``dest`` and ``message`` are ``<base64>`` of UTF-8, as in the doc's accent-safe example
        (one recipient: a single value, as there; several: an array of them). A skipped
        optional argument is an empty string when a later one is given, and trailing ones are
        left out. Once the call is answered the SMS may have gone: a recipient the answer says
        nothing certain about is an unknown outcome, never safe to send again.

        Raises:
            AuthenticationError: the answer was FALSE or a fault, and ``auth`` answers FALSE.
            SendOutcomeUnknownError: any other fault, FALSE, or an answer that cannot be read.
        """
        sms = prepared.sms
        optional: list[str] = [
            prepared.sender or "",
            self._wire_date(sms.send_at) if sms.send_at is not None else "",
            "flash" if sms.flash else "",
        ]
        while optional and not optional[-1]:
            optional.pop()
        numbers = [
            xmlrpc.client.Binary(e164_digits(number).encode()) for number in prepared.recipients
        ]
        dest: _Param = numbers[0] if len(numbers) == 1 else numbers
        message = xmlrpc.client.Binary(sms.message.encode("utf-8"))
        try:
            answer = await self._ask("send_message", dest, message, *optional)
        except SendOutcomeUnknownError:
            raise
        except GatewayResponseError as err:
            raise SendOutcomeUnknownError(
                f"{err.message}; {MAY_HAVE_BEEN_SENT}",
                provider_code=err.provider_code,
                provider_message=err.provider_message,
            ) from err
        scheduled = sms.send_at is not None and sms.send_at > datetime.now(UTC)
        results = read_send_answer(
            answer, prepared.recipients, region=self.region, scheduled=scheduled
        )
        unknown = [result for result in results if result.status is DeliveryStatus.UNKNOWN]
        if unknown:
            _LOGGER.warning(
                "NetOxygen's answer to send_message does not say what became of %d of %d "
                "recipients (ids %s); they are not sent again",
                len(unknown),
                len(results),
                ", ".join(result.message_id or "none" for result in unknown),
            )
        return SendResult(messages=results, info=prepared.info)

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials with ``auth``, then read the group id and account status.

        The group id and the status only describe the account: an account whose ``get_guid``
        answers FALSE (or a fault), or whose status cannot be read, is still set up without them.

        Returns:
            The account, its status (``regular`` or ``free``) and its group id, when known.

        Raises:
            AuthenticationError: ``auth`` answered FALSE.
            GatewayConnectionError: the provider could not be reached.
            GatewayResponseError: ``auth`` answered something else.
        """
        if not read_auth(await self._call("auth")):
            raise AuthenticationError("NetOxygen refused the user name or password")
        group_id: str | None = None
        status: str | None = None
        try:
            group_id = read_group_id(await self._ask("get_guid"))
        except GatewayResponseError as err:
            _LOGGER.debug("NetOxygen's get_guid gave no group id: %s", err)
        try:
            status = await self.get_account_status()
        except GatewayResponseError as err:
            _LOGGER.debug("NetOxygen's account_status could not be read: %s", err)
        return AccountInfo(account_id=self.account_id, status=status, group_id=group_id)

    @override
    async def get_balance(self) -> Balance:
        """The credits left, from ``get_credits`` (negative when the account allows it).

        Raises:
            AuthenticationError: ``get_credits`` failed and ``auth`` answers FALSE.
            GatewayResponseError: FALSE or a fault otherwise, or not a number.
        """
        return read_balance(await self._ask("get_credits"))

    @override
    async def get_account_status(self) -> str:
        """The account's status, ``regular`` or ``free``, from ``account_status``.

        Raises:
            AuthenticationError: ``account_status`` failed and ``auth`` answers FALSE.
            GatewayResponseError: FALSE or a fault otherwise, or not a text.
        """
        return read_account_status(await self._ask("account_status"))

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Cancel scheduled messages with one ``cancel_message`` call.

        Returns:
            One result per id, in the order asked (see ``read_cancel_rows``).

        Raises:
            AuthenticationError: the call failed and ``auth`` answers FALSE.
            GatewayResponseError: a fault (quoted): the cancel may have happened.
        """
        if not message_ids:
            return []
        ids = [str(message_id) for message_id in message_ids]
        return read_cancel_rows(await self._ask("cancel_message", ids), ids)

    @override
    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """The delivery status of messages, with one ``get_status`` call.

        ``provider_status`` is ``"<sent_status>/<last_status>"`` followed by the provider's
        text of the code that decided the normalised status. An unreadable row is skipped and
        logged once with its id (never its content); the others are returned. When the call
        answers a fault (an unknown id may do that), the first ``ONE_BY_ONE`` ids are asked on
        their own; an id that still answers a fault, or that was not asked, is reported UNKNOWN
        with the fault's words (and asked again at its next check). So one bad id in a batch of
        thousands costs a few requests, not thousands.

        Raises:
            AuthenticationError: the call failed and ``auth`` answers FALSE.
            GatewayResponseError: the answer is not an array of rows.
        """
        if not message_ids:
            return []
        ids = [str(message_id) for message_id in message_ids]
        try:
            answer = await self._ask("get_status", ids)
        except _FaultError as fault:
            return await self._status_one_by_one(ids, fault)
        return self._read_rows(answer)

    async def _status_one_by_one(
        self, ids: Sequence[str], fault: _FaultError
    ) -> list[DeliveryReport]:
        reports: list[DeliveryReport] = []
        for index, message_id in enumerate(ids):
            if len(ids) > 1 and index < ONE_BY_ONE:
                try:
                    reports.extend(self._read_rows(await self._call("get_status", [message_id])))
                    continue
                except _FaultError as err:
                    fault = err
            reports.append(
                DeliveryReport(
                    message_id=message_id,
                    status=DeliveryStatus.UNKNOWN,
                    provider_status=excerpt(
                        f"fault {fault.provider_code}: {fault.provider_message}", 100
                    ),
                )
            )
        return reports

    def _read_rows(self, answer: object) -> list[DeliveryReport]:
        skipped: list[str | None] = []
        reports = read_status_rows(
            answer, region=self.region, timezone=self.timezone, skipped=skipped
        )
        if not skipped:
            return reports
        warned = self._warned = self._warned if self._warned is not None else set()
        for message_id in skipped:
            if message_id in warned:
                _LOGGER.debug("Unreadable get_status row skipped again (id %s)", message_id)
                continue
            if len(warned) < _MAX_WARNED:
                warned.add(message_id)
            _LOGGER.warning(
                "NetOxygen's get_status answered a row that cannot be read (id %s); it is "
                "skipped, the other rows are kept",
                message_id or "not given",
            )
        return reports

    @override
    async def normalize_number(self, number: str) -> str:
        """Ask ``clean_number`` for the provider's form of a number.

        Returns:
            The number in E.164 (``+41223648000``).

        Raises:
            InvalidRecipientError: the provider made no number of it (``""``, the input back,
                or anything but 7 to 15 digits).
            GatewayError: it answered FALSE, for a reason its doc does not give (quoted).
            AuthenticationError: the call failed and ``auth`` answers FALSE.
            GatewayResponseError: a fault (quoted).
        """
        return read_number(await self._ask("clean_number", number), number)


__all__ = [
    "ERROR_CODES",
    "STATUS_CODES",
    "NetOxygenGateway",
    "delivery_status",
    "may_change",
    "parse_reply",
    "read_account_status",
    "read_auth",
    "read_balance",
    "read_cancel_rows",
    "read_code",
    "read_date",
    "read_group_id",
    "read_number",
    "read_send_answer",
    "read_send_row",
    "read_status_row",
    "read_status_rows",
]
