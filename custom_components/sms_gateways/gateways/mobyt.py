"""Mobyt HTTP integration: form fields in, ``OK...`` / ``KO|code|message`` text out.

Every call is a POST to ``api_url`` + ``Mobyt/...`` (sending and account) or ``OESRs/...``
(received messages), with the form fields ``login``, ``password`` and the call's own fields.
A reply starts ``OK`` or ``KO``; a table follows with records separated by ``;`` or by a newline
(the doc calls ``;`` its line separator) and fields by ``|``, each field URL-encoded
(``%2B33...``, ``hello+world``). Dates are ``yyyymmddhhmmss`` in Europe/Paris time.

Paths: the doc's own URLs spell the sending and account calls both ``Mobyt/...`` and
``Moby/...`` (the vendor's SDK uses ``Mobyt/``). A read (CREDITS, SMSSTATUS, SMSHISTORY) answered
HTTP 404 is asked once more under the other spelling. A call that changes something (SENDSMS,
REMOVE_DELAYED) is never repeated on another path: before the first one, the spelling is found
with a CREDITS read (which changes nothing), and the call is then made once, under it.

Message types: ``N`` (SMS Top, "expéditeur personnalisé") needs a sender; ``L`` (SMS Direct,
"expéditeur fixe") gets the sender too whenever there is one, because the doc lists ``Sender``
among the mandatory parameters of every send: Mobyt decides what it does with it. When the
caller chooses no type, a message with a sender goes as ``N`` and one without as ``L``.

Message ids: Mobyt knows an order (one send, many recipients) by its ``order_id``, which this
adapter generates so that a send whose reply was lost can still be looked up. One recipient's
message is ``"<order_id>:<E.164 number>"``; the send's ``batch_id`` is the ``order_id``.

KO error codes. The doc shows the form ``KO|<errorcode>|<errormessage>`` and says that "toutes les
requêtes non exécutées" answer it, but lists no code. The evidence for the two codes read here is
the vendor's own SDK (the client NOTES.md describes): it reads the code as an integer, and its
dummy connection answers 1 for a refused login or password and 2 for not enough credits. Nothing
else is known, so every other code is a generic ``GatewayError`` quoting Mobyt's words (not a
``GatewayResponseError``: the answer was read, and it says the request was not executed); the
words are never read for a meaning (a keyword that started a reauth would be our invention):

    1  login or password refused   AuthenticationError (the only code that starts a reauth)
    2  not enough credits          InsufficientCreditsError
    *  anything else               GatewayError with Mobyt's code and text

A KO to an order to several recipients (READINGS.md R23). The doc says that "toutes les requêtes
non exécutées" answer KO, not that a KO was not executed: Mobyt may have sent the order to the
good numbers and still answered KO for a bad one. So the recipients of a refused order are sent
again only when Mobyt's own records prove that it was not executed: every order carries an
``order_id`` of ours, and SMSHISTORY (the orders sent between two dates) is asked for it before
the order is split. An order the history lists, or cannot rule out (no readable answer, a row
without an id), may have been sent: its recipients are accepted with an unknown status and
their message id, never refused, never sent again. An order proven not executed is split in two
(a number the KO's text names apart), and each part is sent, until every recipient is sent,
refused alone, or may have been sent. At most ``MAX_APART_ORDERS`` orders follow the first: a KO
about the message itself (a sender Mobyt refuses) would otherwise cost 2n - 1 requests for n
recipients; the recipients not tried by then are refused with the KO of the last order they
were in, which the history showed was not executed. A recipient Mobyt refused is reported
``accepted=False``, status ``failed``, with Mobyt's words. Nothing that may have gone is sent
again: after an unreadable reply or a lost connection, those recipients are reported with an
unknown outcome and their order id.

A reply that echoes the request (a proxy, or a provider that quotes it in an error) would put
the password into an error or a log line: the password is taken out of every reply before it
is read (see ``_redacted``).

Every reader of Mobyt data is total: any text gives a model or a ``GatewayError``. Ids, counts
and dates are read with ASCII digits only (``str.isdigit`` takes ``²``, which ``int`` refuses).
A row of a table that cannot be read is left out (logged with its id, never its text); the others
are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
import os
import re
from types import MappingProxyType
from typing import Final, override
from urllib.parse import quote, quote_plus, unquote_plus
from zoneinfo import ZoneInfo

from .base import PreparedSms, SmsGateway
from .errors import (
    AuthenticationError,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidSenderError,
    MessageRejectedError,
    SendOutcomeUnknownError,
)
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    Credit,
    DeliveryReport,
    DeliveryStatus,
    HistoryEntry,
    InboundPage,
    InboundSms,
    OutgoingSms,
    RecipientResult,
    SendResult,
)
from .numbers import from_provider, mask_number, mask_numbers, region_of, to_e164
from .transport import FORM_HEADERS, form_body, post
from .xml import excerpt

_LOGGER = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
DATE_FORMAT = "%Y%m%d%H%M%S"

MESSAGE_TYPES: Final = MappingProxyType(
    {"N": "SMS Top: custom sender", "L": "SMS Direct: fixed sender"}
)
"""The message types Mobyt takes; without a choice, ``N`` with a sender and ``L`` without."""
CUSTOM_SENDER_TYPE = "N"
FIXED_SENDER_TYPE = "L"
ABROAD = "EE"
"""The credit type of sends abroad ("les crédits pour l'envoi à l'étranger (code EE)")."""

# The doc's URLs spell the sending and account calls both ways; the vendor's SDK uses the first.
SPELLINGS: Final = ("Mobyt/", "Moby/")
_NOT_FOUND = "HTTP 404"

DELIVERY_STATUSES: Final[Mapping[str, DeliveryStatus]] = MappingProxyType(
    {
        "SCHEDULED": DeliveryStatus.SCHEDULED,
        "WAITING": DeliveryStatus.QUEUED,
        "SENT": DeliveryStatus.SENT,  # sent, no delivery report will come
        "WAIT4DLVR": DeliveryStatus.SENT,  # sent, waiting for the delivery report
        "DLVRD": DeliveryStatus.DELIVERED,
        "ERROR": DeliveryStatus.FAILED,
        "TOOM4NUM": DeliveryStatus.FAILED,  # too many SMS to this number in 24 h
        "TOOM4USER": DeliveryStatus.FAILED,  # too many SMS from this account in 24 h
        "UNKNPFX": DeliveryStatus.FAILED,
        "UNKNRCPT": DeliveryStatus.FAILED,
        "BLACKLISTED": DeliveryStatus.FAILED,  # the recipient sent STOP
        "TIMEOUT": DeliveryStatus.EXPIRED,  # no report from the network after 48 h
        "UNKNOWN": DeliveryStatus.UNKNOWN,
    }
)
"""Mobyt's message statuses (SMSSTATUS and status pushes) in our words; others are UNKNOWN."""

LOGIN_REFUSED = "1"
NO_CREDITS = "2"
ERROR_CODES: Final[Mapping[str, type[GatewayError]]] = MappingProxyType(
    {LOGIN_REFUSED: AuthenticationError, NO_CREDITS: InsufficientCreditsError}
)
"""The only KO codes with evidence (the vendor's SDK, see the module docstring)."""
MAX_APART_ORDERS = 32
"""The most orders sent after a refused order to several recipients, to find who is refused:
enough to set apart two bad numbers among a hundred (about 2 log2 n orders each)."""
HISTORY_MARGIN = timedelta(days=1)
"""How far before the first order and after now SMSHISTORY is asked for a refused order."""

_ORDER_ID_LENGTH = 32
_RECORD_SEPARATOR = re.compile(r";|\r?\n")
# ASCII digits only: ``\d`` and ``str.isdigit`` also take ``²`` or ``٣``, which ``int`` refuses.
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{14}")
_AMOUNT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?")
_INBOUND_ID = re.compile(r"[1-9][0-9]{0,17}")
"""SRHISTORYBYID: "les identifiants sont des numéros entiers plus grands que zéro"."""
_NUMBER_IN_TEXT = re.compile(r"\+?[0-9]{6,17}")
_PUSH_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PUSH_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_PUSH_STATUS = re.compile(r"[A-Z0-9_]{1,20}")
_PUSH_NUMBER = re.compile(r"[^\x00-\x1f\x7f]{1,32}")
_PUSH_TEXT_MAX = 10_000
_CODE_MAX = 20
_CREDIT_TYPE = re.compile(r"[A-Z0-9]{1,4}")
_NATION = re.compile(r"[A-Z]{2}")
_PASSWORD_FIELD = re.compile(r"""(password["']?\s*[=:]\s*["']?)[^&\s"';|,<]*""", re.IGNORECASE)
_REDACT_FROM = 4
_TEXT_MAX = 500


def message_id(order_id: str, recipient: str) -> str:
    """The id of one recipient's message in an order."""
    return f"{order_id}:{recipient}"


def split_message_id(value: str) -> tuple[str, str]:
    """The order id and E.164 recipient of a message id.

    Raises:
        GatewayError: ``value`` is not a Mobyt message id.
    """
    order_id, _, recipient = value.partition(":")
    if not order_id or not recipient:
        raise GatewayError(
            f"Not a Mobyt message id: {excerpt(value)!r} (expected order_id:+number)"
        )
    return order_id, recipient


def format_date(when: datetime, zone: ZoneInfo = PARIS) -> str:
    """``when`` as Mobyt writes dates: ``yyyymmddhhmmss`` in the account's time (Paris)."""
    return when.astimezone(zone).strftime(DATE_FORMAT)


def parse_date(value: str, zone: ZoneInfo = PARIS) -> datetime | None:
    """A Mobyt date in the account's time (Paris), or None when the field is empty.

    Raises:
        GatewayResponseError: the field is not a ``yyyymmddhhmmss`` date.
    """
    return _to_datetime(value, zone) if value else None


def _to_datetime(value: str, zone: ZoneInfo) -> datetime:
    if not _DATE.fullmatch(value):
        raise GatewayResponseError(f"Mobyt sent an invalid date: {excerpt(value)!r}")
    try:
        # Fixed width, read by position (strptime costs ten times more, a push in a burst).
        moment = datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=zone,
        )
        moment.astimezone(UTC)  # year 1 or 9999 in Paris may not exist in UTC
    except (ValueError, OverflowError) as err:
        raise GatewayResponseError(f"Mobyt sent an invalid date: {value!r}") from err
    return moment


@dataclass(frozen=True, slots=True)
class Refusal:
    """A ``KO|code|message`` reply: the request was not executed."""

    code: str
    message: str

    def error(self) -> GatewayError:
        """The error this refusal stands for (see ``error_for``)."""
        return error_for(self.code, self.message)


def read_reply(text: str) -> list[list[str]] | Refusal:
    """The records of an ``OK`` reply (each a list of decoded fields), or its ``KO``.

    ``OK|a|b`` is one record; ``OK;a|b;c|d;`` is a table, and so is the same table with
    newlines between its records.

    Raises:
        GatewayResponseError: a reply that is neither ``OK`` nor ``KO``.
    """
    text = text.strip()
    head, body = text[:2], text[3:]
    separator = text[2:3]
    if head == "KO" and separator in {"", "|"}:
        code, _, message = body.partition("|")
        return Refusal(excerpt(code.strip(), _CODE_MAX), unquote_plus(message).strip())
    if head != "OK" or separator not in {"", "|", ";", "\r", "\n"}:
        raise GatewayResponseError(f"Unexpected reply from Mobyt: {excerpt(text)!r}")
    return [
        [_decoded(field) for field in record.split("|")]
        for record in (_RECORD_SEPARATOR.split(body) if ";" in body or "\n" in body else [body])
        if record
    ]


def _decoded(field: str) -> str:
    """``unquote_plus(field)``, which is the field itself when it has no ``+`` and no ``%``."""
    return unquote_plus(field) if "%" in field or "+" in field else field


def parse_reply(text: str) -> list[list[str]]:
    """The records of an ``OK`` reply.

    Raises:
        GatewayError: a ``KO`` reply, mapped by its code (see ``error_for``).
        GatewayResponseError: a reply that is neither ``OK`` nor ``KO``.
    """
    reply = read_reply(text)
    if isinstance(reply, Refusal):
        raise reply.error()
    return reply


def error_for(code: str, message: str) -> GatewayError:
    """The error a ``KO|code|message`` reply stands for: only codes 1 and 2 have a meaning."""
    error_class = ERROR_CODES.get(code, GatewayError)
    words = excerpt(message, _TEXT_MAX)
    text = f"Mobyt refused the request: {words or 'no reason given'}"
    return error_class(text, provider_code=code or None, provider_message=words or None)


def parse_amount(value: str) -> float | None:
    """A credit count or amount written with ASCII digits, else None."""
    value = value.strip()
    digits = value.isascii() and value.isdigit() and len(value) <= 15  # str's test first
    return float(value) if digits or _AMOUNT.fullmatch(value) else None


def parse_count(value: str) -> int | None:
    """A whole count written with ASCII digits (at most 9), else None."""
    value = value.strip()
    return int(value) if _DIGITS.fullmatch(value) and len(value) <= 9 else None


def parse_credits(records: list[list[str]]) -> Balance:
    """The CREDITS table: one ``type|nation|amount`` line each, and their total.

    A line that cannot be read is kept with an unknown amount (and, when its type cannot be
    read either, no type): the other lines are still shown and judged, the total is unknown.
    Lines repeating a type and nation count once in the total, under the reading that gives
    less (see ``Balance.by_line``).
    """
    lines = [_credit_line(record) for record in records]
    by_line = Balance(total=None, lines=tuple(lines)).by_line()
    known = [amount for amount in by_line.values() if amount is not None]
    complete = len(known) == len(by_line) and not any(line.credit_type is None for line in lines)
    return Balance(total=float(sum(known)) if complete else None, lines=tuple(lines))


def _credit_line(record: list[str]) -> Credit:
    """One CREDITS line; what cannot be read of it is None (logged, never with its text)."""
    credit_type = record[0].strip().upper() if record else ""
    if not _CREDIT_TYPE.fullmatch(credit_type) or len(record) < 2:
        _LOGGER.warning(
            "Mobyt credit line of %d fields left unread: no type and nation", len(record)
        )
        return Credit(amount=None)
    nation = record[1].strip().upper()
    if nation and not _NATION.fullmatch(nation):
        _LOGGER.warning(
            "Mobyt %s credit line left unread: its nation is not a country code", credit_type
        )
        return Credit(amount=None)
    amount = parse_amount(record[2]) if len(record) > 2 else None
    if amount is None:
        _LOGGER.warning(
            "Mobyt credit line %s|%s: its amount cannot be read, shown unknown", credit_type, nation
        )
    return Credit(amount=amount, credit_type=credit_type, nation=nation or None)


def parse_history(records: list[list[str]], zone: ZoneInfo = PARIS) -> list[HistoryEntry]:
    """The SMSHISTORY table, one entry per order; a row that cannot be read is left out.

    Raises:
        GatewayResponseError: no row of a non-empty table could be read.
    """
    entries = []
    for record in records:
        try:
            entries.append(_history_entry(record, zone))
        except GatewayResponseError as err:
            order = excerpt(record[0], 40) if record else ""
            _LOGGER.warning("Mobyt history row of order %r left out: %s", order, mask_numbers(err))
    if records and not entries:
        raise GatewayResponseError(f"No Mobyt history row could be read ({len(records)} rows)")
    return entries


def listed_orders(records: list[list[str]]) -> set[str] | None:
    """The order ids an SMSHISTORY table lists (case folded), None if a row has none.

    Only the id column is read: a row whose other fields cannot be read still names its order.
    """
    listed: set[str] = set()
    for record in records:
        order_id = record[0].strip().casefold() if record else ""
        if not order_id:
            return None
        listed.add(order_id)
    return listed


def _history_entry(record: list[str], zone: ZoneInfo) -> HistoryEntry:
    count = parse_count(record[4]) if len(record) >= 5 else None
    if count is None:
        raise GatewayResponseError("the recipient count is missing or not a number")
    return HistoryEntry(
        order_id=record[0] or None,
        created_at=parse_date(record[1], zone),
        message_type=record[2],
        sender=record[3] or None,
        recipients=count,
        scheduled_at=parse_date(record[5], zone) if len(record) > 5 else None,
    )


def parse_status_rows(records: list[list[str]], region: str) -> dict[str, list[str]]:
    """The SMSSTATUS table by recipient (E.164); a row that cannot be read is left out."""
    rows: dict[str, list[str]] = {}
    for record in records:
        try:
            number = _provider_number(record[0], region) if record else ""
        except GatewayResponseError:
            _LOGGER.warning("Mobyt status row left out: its number cannot be read")
            continue
        if not number:
            continue
        if len(record) > 2 and record[2] and not _DATE.fullmatch(record[2]):
            _LOGGER.warning("Mobyt status row of %s left out: invalid date", mask_number(number))
            continue
        rows[number] = record
    return rows


def parse_inbound(records: list[list[str]], region: str, zone: ZoneInfo = PARIS) -> InboundPage:
    """A table of received messages (SRHISTORYBYID, SRNEWMESSAGES, SRHISTORY).

    A row that cannot be read is left out, its id (when it has one) listed in ``skipped`` and
    counted in ``last_id``, so that a poll moves past it.
    """
    messages: list[InboundSms] = []
    skipped: list[str] = []
    last_id: int | None = None
    for record in records:
        raw_id = record[0].strip() if record else ""
        valid_id = _INBOUND_ID.fullmatch(raw_id) is not None
        if valid_id:
            last_id = max(last_id or 0, int(raw_id))
        try:
            messages.append(_inbound_sms(record, region, zone, valid_id=valid_id))
        except GatewayResponseError as err:
            skipped.append(excerpt(raw_id, 40) or "(no id)")
            _LOGGER.debug("Mobyt received message %r left out: %s", excerpt(raw_id, 40), err)
    return InboundPage(messages=tuple(messages), skipped=tuple(skipped), last_id=last_id)


def _inbound_sms(record: list[str], region: str, zone: ZoneInfo, *, valid_id: bool) -> InboundSms:
    if not valid_id:
        raise GatewayResponseError("its id is not a whole number above zero")
    received_at = parse_date(record[4], zone) if len(record) >= 5 else None
    if received_at is None:
        raise GatewayResponseError("it has no date")
    return InboundSms(
        message_id=record[0].strip(),
        recipient=_provider_number(record[1], region),
        sender=_provider_number(record[2], region),
        message=record[3],
        received_at=received_at,
        keyword=(record[5] or None) if len(record) > 5 else None,
    )


def _provider_number(number: str, region: str) -> str:
    """A number Mobyt sent, in E.164 where it is one; anything else as it came, bounded."""
    if len(number) > 64:
        raise GatewayResponseError("a number is too long")
    try:
        return from_provider(number, region)
    except Exception as err:  # phonenumbers on hostile text
        raise GatewayResponseError("a number cannot be read") from err


def parse_inbound_push(form: Mapping[str, str], region: str, zone: ZoneInfo = PARIS) -> InboundSms:
    """A received message Mobyt posted: ``id``, ``text``, ``sender``, ``recipient``, a date.

    Raises:
        GatewayResponseError: a required field is missing, or a field is too long or invalid.
    """
    message_id_ = _field(form, "id", _PUSH_ID)
    sender = _field(form, "sender", _PUSH_NUMBER)
    recipient = _field(form, "recipient", _PUSH_NUMBER)
    text = _text_field(form, "text", _PUSH_TEXT_MAX)
    received_at = parse_date(_field(form, "delivery_date", _DATE, required=False), zone)
    return InboundSms(
        message_id=message_id_,
        sender=_provider_number(sender, region),
        recipient=_provider_number(recipient, region),
        message=text,
        received_at=received_at or datetime.now(zone).replace(microsecond=0),
    )


def parse_status_push(
    form: Mapping[str, str], region: str, zone: ZoneInfo = PARIS
) -> DeliveryReport:
    """A delivery report Mobyt posted (``order_id``, ``recipient``, ``status``, ``delivery_date``).

    Raises:
        GatewayResponseError: a required field is missing, or a field is invalid.
    """
    order_id = _field(form, "order_id", _PUSH_ORDER_ID)
    recipient = _provider_number(_field(form, "recipient", _PUSH_NUMBER), region)
    if not recipient.startswith("+"):
        raise GatewayResponseError(f"Invalid recipient in Mobyt push: {excerpt(recipient)!r}")
    status = _field(form, "status", _PUSH_STATUS)
    delivered_at = parse_date(_field(form, "delivery_date", _DATE, required=False), zone)
    return _report(message_id(order_id, recipient), recipient, status, delivered_at)


class MobytGateway(SmsGateway):
    """A client for one Mobyt account (HTTP integration)."""

    provider = "mobyt"
    title = "Mobyt"
    default_api_url = "https://api.moby.fr/"
    default_region = "FR"
    timezone = PARIS
    capabilities = frozenset(
        {
            Capability.BALANCE,
            Capability.SCHEDULE,
            Capability.CANCEL,
            Capability.DELIVERY_STATUS,
            Capability.STATUS_PUSH,
            Capability.INBOUND_PUSH,
            Capability.INBOUND_POLL,
            Capability.HISTORY,
            Capability.MESSAGE_TYPE,
        }
    )
    max_length = 1000
    cancels_whole_batch = True
    _spelling: str | None = None
    _login_form: bytes | None = None
    """The login and password as a form (see ``_form``)."""
    """The spelling of ``Mobyt/...`` calls that answered last (see ``_request``)."""

    # --- the wire ------------------------------------------------------------------------------

    async def _request(
        self, path: str, fields: Mapping[str, str] | None = None, *, changes: bool = False
    ) -> list[list[str]] | Refusal:
        """POST one call with the credentials: the records of its ``OK`` reply, or its ``KO``.

        A read under ``Mobyt/`` answered HTTP 404 is asked once more under the other spelling;
        a call that ``changes`` something is made once, under the spelling a read found.

        Raises:
            GatewayConnectionError: no answer, or an HTTP error status.
            GatewayResponseError: a reply that is neither ``OK`` nor ``KO``.
        """
        form = self._form(fields)
        call = path.removeprefix(SPELLINGS[0])
        if call == path:
            return await self._post(path, form)
        if changes:
            return await self._post(await self._spelling_for_changes() + call, form)
        first = self._spelling or SPELLINGS[0]
        second = SPELLINGS[1] if first == SPELLINGS[0] else SPELLINGS[0]
        try:
            return await self._post(first + call, form)
        except GatewayConnectionError as err:
            if err.provider_code != _NOT_FOUND:
                raise
        return await self._post(second + call, form)

    async def _spelling_for_changes(self) -> str:
        """The spelling of the ``Mobyt/`` calls, found with a CREDITS read when not yet known.

        Raises:
            AuthenticationError: Mobyt refused the login while we looked.
            GatewayConnectionError: Mobyt could not be asked (nothing was sent).
            GatewayResponseError: CREDITS answered something unreadable (nothing was sent).
        """
        if self._spelling is None:
            try:
                reply = await self._request("Mobyt/CREDITS")
            except GatewayConnectionError as err:
                raise GatewayConnectionError(
                    f"Mobyt's path could not be found ({err.message}); nothing was sent",
                    request_sent=False,
                    provider_code=err.provider_code,
                ) from err
            if isinstance(reply, Refusal) and reply.code == LOGIN_REFUSED:
                raise reply.error()
        return self._spelling or SPELLINGS[0]

    def _form(self, fields: Mapping[str, str] | None) -> bytes:
        """``form_body({"login": ..., "password": ..., **fields})``, the login quoted once.

        A test proves the bytes equal.
        """
        if fields and ("login" in fields or "password" in fields):
            return form_body({"login": self._username, "password": self._password, **fields})
        login = self._login_form
        if login is None:
            login = self._login_form = form_body(
                {"login": self._username, "password": self._password}
            )
        return b"&".join((login, form_body(fields))) if fields else login

    async def _post(self, path: str, form: bytes) -> list[list[str]] | Refusal:
        reply = read_reply(
            self._redacted(
                (
                    await post(
                        self._session,
                        self.url(path),
                        data=form,
                        headers=FORM_HEADERS,
                        timeout=self._timeout,
                    )
                ).text
            )
        )
        for spelling in SPELLINGS:
            if path.startswith(spelling):
                self._spelling = spelling
        return reply

    def _redacted(self, text: str) -> str:
        """``text`` without the password, so that no excerpt of a reply can show it.

        Mobyt's answers never hold it, but one that echoes the request (a proxy's error page,
        a provider quoting the form) does: a ``password=`` or ``"password": ...`` field loses
        its value, and the password itself (as typed or URL-encoded, from 4 characters: a
        shorter one would blank digits of real data) becomes ``***``. A field that held it
        is then unreadable, never read as something else.
        """
        if "assword" in text:
            text = _PASSWORD_FIELD.sub(r"\g<1>***", text)
        password = self._password
        if len(password) >= _REDACT_FROM:
            forms = {password, quote_plus(password), quote(password, safe="")}
            # Each pass shortens the text: a password next to "***" may form again, not forever.
            while found := [form for form in forms if form in text]:
                for form in found:
                    text = text.replace(form, "***")
        return text

    async def _call(self, path: str, fields: Mapping[str, str] | None = None) -> list[list[str]]:
        """A read: the records of its ``OK`` reply.

        Raises:
            GatewayError: its ``KO`` (see ``error_for``), no answer, or an unreadable one.
        """
        reply = await self._request(path, fields)
        if isinstance(reply, Refusal):
            raise reply.error()
        return reply

    # --- sending -------------------------------------------------------------------------------

    @override
    def _check_options(self, sms: OutgoingSms) -> None:
        """Refuse a message type Mobyt does not have, and type N without a sender."""
        super()._check_options(sms)
        message_type = self._message_type(sms)
        if message_type not in MESSAGE_TYPES:
            raise MessageRejectedError(
                f"Unknown Mobyt message type {sms.message_type!r}: "
                "use N (custom sender) or L (fixed sender)"
            )
        if message_type == CUSTOM_SENDER_TYPE and not _has_sender(sms.sender):
            raise InvalidSenderError(
                "Mobyt SMS Top (message type N) needs a sender: "
                "give one, or send with message type L (fixed sender)"
            )

    @staticmethod
    def _message_type(sms: OutgoingSms) -> str:
        """The type asked for; without one, N for a custom sender and L for the fixed one."""
        return resolve_message_type(sms.message_type, sms.sender)

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """One SENDSMS for every recipient, under an order id generated here.

        When Mobyt answers KO to an order to several recipients, or "not enough credits" (which
        hands the message to a fallback account), SMSHISTORY is asked whether the order was
        executed all the same (see ``_after_refusal``).

        Raises:
            AuthenticationError: the login was refused.
            InsufficientCreditsError: not enough credits, and Mobyt's history shows that the
                order was not executed.
            GatewayError: the order to one recipient was refused (Mobyt's words): nothing sent.
            GatewayConnectionError: no answer (the message may have been sent if request_sent).
            SendOutcomeUnknownError: the reply could not be read; it may have been sent.
        """
        recipients = prepared.recipients
        order_id = _new_order_id()
        started = datetime.now(UTC)
        reply = await self._send_order(prepared, recipients, order_id)
        if isinstance(reply, Refusal):
            # A refused login executes nothing. Not enough credits is checked in the history
            # even for one recipient: it sends the message through the fallback account.
            if reply.code == LOGIN_REFUSED or (len(recipients) == 1 and reply.code != NO_CREDITS):
                raise reply.error()
            return await self._after_refusal(prepared, Order(order_id, recipients, reply), started)
        sent, credits_used = _sent_order(reply, order_id)
        status = _initial_status(prepared)
        return SendResult(
            messages=tuple(
                RecipientResult(
                    recipient=number,
                    accepted=True,
                    message_id=message_id(sent, number),
                    status=status,
                )
                for number in recipients
            ),
            info=prepared.info,
            batch_id=sent,
            credits_used=credits_used,
        )

    async def _send_order(
        self, prepared: PreparedSms, recipients: Sequence[str], order_id: str
    ) -> list[list[str]] | Refusal:
        """POST one SENDSMS; its records or its KO.

        Raises:
            GatewayConnectionError: no answer (the order id is in the message if it may have gone).
            SendOutcomeUnknownError: the reply could not be read (``reference`` is the order id).
        """
        fields = {
            "message_type": self._message_type(prepared.sms),
            "recipient": ",".join(recipients),
            "message": prepared.sms.message,
            "order_id": order_id,
            "returnCredits": "true",
        }
        if prepared.sender:
            fields["sender"] = prepared.sender
        if prepared.sms.send_at is not None:
            fields["scheduled_delivery_time"] = format_date(prepared.sms.send_at, self.timezone)
        try:
            return await self._request("Mobyt/SENDSMS", fields, changes=True)
        except GatewayConnectionError as err:
            if not err.request_sent:
                raise
            raise GatewayConnectionError(
                f"{err.message}; check Mobyt order {order_id} before sending again",
                request_sent=True,
                provider_code=err.provider_code,
            ) from err
        except SendOutcomeUnknownError:
            raise
        except GatewayResponseError as err:
            raise SendOutcomeUnknownError(
                f"{err.message}; the message may have been sent: check Mobyt order {order_id} "
                "before sending again",
                reference=order_id,
            ) from err

    async def _after_refusal(
        self, prepared: PreparedSms, first: Order, started: datetime
    ) -> SendResult:
        """What became of the recipients of a refused order to several of them.

        The doc says that a request not executed answers KO, not that a KO was not executed:
        the order may have gone to the good numbers. So a recipient is sent again only when
        SMSHISTORY, asked for every order of a round at once, does not list the order that
        held it; the recipients of an order it lists, or of one it cannot rule out, may have
        been sent: accepted with an unknown status and their order id, never sent again.
        A refused order proven not executed is split in two (the numbers its KO names apart),
        until each recipient is sent or refused alone; at most ``MAX_APART_ORDERS`` orders
        follow the first, and a recipient not tried by then is refused with the KO of the
        last order it was in, which was not executed.
        """
        results: dict[str, RecipientResult] = {}
        orders: list[str] = []
        costs: list[float | None] = []
        status = _initial_status(prepared)
        refused = [first]
        budget = MAX_APART_ORDERS
        while refused:
            executed = await self._executed_orders(
                [order.order_id for order in refused], started, prepared.sms.send_at
            )
            parts: list[tuple[tuple[str, ...], Refusal]] = []
            for order in refused:
                if executed is None or order.order_id in executed:
                    _may_have_gone(results, order, proven=executed is not None)
                    orders.append(order.order_id)
                    costs.append(None)
                elif order.refusal.code in ERROR_CODES:
                    if order is first:
                        raise order.refusal.error()
                    _refuse(results, order.recipients, order.refusal)
                else:
                    parts.extend((part, order.refusal) for part in _split(order))
            refused = []
            for group, refused_in in parts:
                if budget == 0:
                    # Not tried: refused, like the order it was last in (not executed).
                    _refuse(results, group, refused_in)
                    continue
                budget -= 1
                order_id = _new_order_id()
                try:
                    reply = await self._send_order(prepared, group, order_id)
                except GatewayError as err:
                    may_have_gone = not (
                        isinstance(err, GatewayConnectionError) and not err.request_sent
                    )
                    # An order that never left was not sent: failed, never "queued".
                    for number in group:
                        results[number] = RecipientResult(
                            recipient=number,
                            accepted=may_have_gone,
                            message_id=message_id(order_id, number) if may_have_gone else None,
                            status=(
                                DeliveryStatus.UNKNOWN if may_have_gone else DeliveryStatus.FAILED
                            ),
                            error=str(err),
                        )
                    if may_have_gone:
                        orders.append(order_id)
                        costs.append(None)
                    continue
                if isinstance(reply, Refusal):
                    if len(group) == 1 or reply.code == LOGIN_REFUSED:
                        _refuse(results, group, reply)
                    else:
                        refused.append(Order(order_id, group, reply))
                    continue
                sent, used = _sent_order(reply, order_id)
                orders.append(sent)
                costs.append(used)
                for number in group:
                    results[number] = RecipientResult(
                        recipient=number,
                        accepted=True,
                        message_id=message_id(sent, number),
                        status=status,
                    )
        known_credits = [used for used in costs if used is not None]
        return SendResult(
            messages=tuple(results[number] for number in prepared.recipients),
            info=prepared.info,
            batch_id=orders[0] if len(orders) == 1 else None,
            credits_used=sum(known_credits) if len(known_credits) == len(costs) and costs else None,
        )

    async def _executed_orders(
        self, order_ids: Sequence[str], started: datetime, send_at: datetime | None
    ) -> set[str] | None:
        """Which of ``order_ids`` SMSHISTORY lists; None when it cannot rule any out.

        The history is asked from a day before the first order to a day after now (or after
        the scheduled time, in case Mobyt lists an order by when it leaves), so that a clock
        or a time zone that is off by hours still finds it. It cannot rule an order out when
        it does not answer readably, or lists a row without an order id (the doc's example
        has such rows): that row may be ours.
        """
        now = datetime.now(UTC)
        end = max(now, send_at or now) + HISTORY_MARGIN
        fields = {
            "from": format_date(started - HISTORY_MARGIN, self.timezone),
            "to": format_date(end, self.timezone),
        }
        try:
            reply = await self._request("Mobyt/SMSHISTORY", fields)
        except GatewayError as err:
            _LOGGER.warning("Mobyt's history could not be read after a refused order: %s", err)
            return None
        if isinstance(reply, Refusal):
            _LOGGER.warning(
                "Mobyt refused its history after a refused order: %s", reply.error().message
            )
            return None
        listed = listed_orders(reply)
        if listed is None:
            _LOGGER.warning("Mobyt's history lists an order without an id: it may be ours")
            return None
        return {order_id for order_id in order_ids if order_id.casefold() in listed}

    # --- account ------------------------------------------------------------------------------

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the login with CREDITS, which changes nothing."""
        return AccountInfo(account_id=self.account_id, balance=await self.get_balance())

    @override
    async def get_balance(self) -> Balance:
        """The credit lines (type, country, amount) and their total, from CREDITS.

        Raises:
            AuthenticationError: the login or password was refused.
            GatewayResponseError: a line is not ``type|nation|amount``.
        """
        return parse_credits(await self._call("Mobyt/CREDITS"))

    @override
    def credits_for(
        self,
        balance: Balance,
        *,
        recipients: Sequence[str],
        sender: str | None,
        message_type: str | None,
    ) -> float | None:
        """The credits of the line the sends draw from: their type and the recipient's nation.

        A send to a nation the account has a line of that type for is paid from it, any other
        from the ``EE`` (abroad) line; with several nations, the lowest of their lines. Lines
        that repeat a type and nation count under the reading that gives less (R25). Without
        recipients, the account's own country. None when a line that may pay is unknown: its
        amount could not be read, or a line whose type could not be read may be the one.
        """
        if not balance.lines:
            return balance.total
        kind = resolve_message_type(message_type, sender)
        amounts = {
            (credit_type.upper(), (nation or "").upper()): amount
            for (credit_type, nation), amount in balance.by_line().items()
        }
        abroad_lines = [amount for (kind_, _), amount in amounts.items() if kind_ == ABROAD]
        abroad: float | None = 0.0
        if None in abroad_lines:
            abroad = None
        elif abroad_lines:
            abroad = min(amount for amount in abroad_lines if amount is not None)
        nations = set(_nations(recipients, self.region)) or {self.region}
        available: list[float] = []
        for nation in nations:
            if (kind, nation) in amounts:
                amount = amounts[kind, nation]
            elif balance.has_unattributed:
                amount = None  # the unreadable line may be this one
            else:
                amount = abroad
            if amount is None:
                return None
            available.append(amount)
        return min(available)

    # --- following sent messages ------------------------------------------------------------

    @override
    def status_request_key(self, message_id: str) -> str:
        """One ``SMSSTATUS`` request per order."""
        return message_id.partition(":")[0]

    @override
    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """One SMSSTATUS per order, one report per id asked, in the order asked.

        A recipient the order's table does not list (or whose row cannot be read) is reported
        ``unknown``; so is every recipient of an order Mobyt answers with a KO (other than a
        refused login), with Mobyt's own words as its provider status.

        Raises:
            AuthenticationError: the login was refused.
            GatewayError: an id is not a Mobyt message id, or Mobyt did not answer readably.
        """
        wanted = [split_message_id(value) for value in message_ids]
        rows_by_order: dict[str, dict[str, list[str]]] = {}
        refused: dict[str, str] = {}
        for order_id in dict.fromkeys(order for order, _ in wanted):
            reply = await self._request("Mobyt/SMSSTATUS", {"order_id": order_id})
            if isinstance(reply, Refusal):
                if reply.code == LOGIN_REFUSED:
                    raise reply.error()
                refused[order_id] = excerpt(f"KO|{reply.code}|{reply.message}", 100)
                reply = []
            rows_by_order[order_id] = parse_status_rows(reply, self.region)
        reports = []
        for value, (order_id, recipient) in zip(message_ids, wanted, strict=True):
            row = rows_by_order[order_id].get(_lookup_number(recipient, self.region))
            if row is None:
                reports.append(
                    DeliveryReport(
                        message_id=value,
                        status=DeliveryStatus.UNKNOWN,
                        provider_status=refused.get(order_id, "UNKNOWN"),
                        recipient=recipient,
                    )
                )
                continue
            provider_status = row[1].strip() if len(row) > 1 else ""
            delivered_at = parse_date(row[2], self.timezone) if len(row) > 2 else None
            reports.append(_report(value, recipient, provider_status, delivered_at))
        return reports

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """REMOVE_DELAYED once per order, one result per id asked.

        Mobyt cancels a whole order: cancelling one recipient's message cancels the messages to
        every recipient of that send. A KO (other than a refused login) means not cancelled,
        with Mobyt's words.

        Raises:
            AuthenticationError: the login was refused.
            SendOutcomeUnknownError: Mobyt's reply cannot be read: the order may be cancelled.
            GatewayError: an id is not a Mobyt message id, or Mobyt did not answer.
        """
        orders = [split_message_id(value)[0] for value in message_ids]
        outcome: dict[str, str | None] = {}
        for order_id in dict.fromkeys(orders):
            try:
                reply = await self._request(
                    "Mobyt/REMOVE_DELAYED", {"order_id": order_id}, changes=True
                )
            except SendOutcomeUnknownError:
                raise
            except GatewayResponseError as err:
                raise SendOutcomeUnknownError(
                    f"{err.message}; Mobyt order {order_id} may have been cancelled",
                    reference=order_id,
                ) from err
            if isinstance(reply, Refusal):
                if reply.code == LOGIN_REFUSED:
                    raise reply.error()
                outcome[order_id] = reply.error().message
            else:
                outcome[order_id] = None
        return [
            CancelResult(message_id=value, canceled=outcome[order] is None, error=outcome[order])
            for value, order in zip(message_ids, orders, strict=True)
        ]

    @override
    async def get_history(self, start: datetime, end: datetime) -> list[HistoryEntry]:
        """The sends between two dates (SMSHISTORY), one entry per order.

        A row that cannot be read is left out.

        Raises:
            SchedulingError: a date has no time zone.
            GatewayResponseError: no row of the table could be read.
        """
        records = await self._call(
            "Mobyt/SMSHISTORY",
            {
                "from": format_date(self.local_time(start), self.timezone),
                "to": format_date(self.local_time(end), self.timezone),
            },
        )
        return parse_history(records, self.timezone)

    # --- received messages ------------------------------------------------------------------

    @override
    async def get_inbound(self, *, after_id: int = 0) -> list[InboundSms]:
        """The received messages with an id greater than ``after_id`` (SRHISTORYBYID).

        A row that cannot be read is left out (see ``poll_inbound``).
        """
        return list((await self.poll_inbound(after_id=after_id)).messages)

    @override
    async def poll_inbound(self, *, after_id: int = 0) -> InboundPage:
        """The received messages after ``after_id``, the rows left out, and the last id seen.

        Raises:
            GatewayError: ``after_id`` is negative, or the provider refused the call.
        """
        if after_id < 0:
            raise GatewayError("after_id must be 0 or more")
        records = await self._call("OESRs/SRHISTORYBYID", {"id": str(after_id)})
        return parse_inbound(records, self.region, self.timezone)

    async def get_new_inbound(self) -> list[InboundSms]:
        """The messages received since the last call of this method (SRNEWMESSAGES).

        Mobyt must enable this call on the account; each message is returned once.
        """
        return list(
            parse_inbound(
                await self._call("OESRs/SRNEWMESSAGES"), self.region, self.timezone
            ).messages
        )

    async def get_inbound_history(self, start: datetime, end: datetime) -> list[InboundSms]:
        """The messages received between two dates (SRHISTORY).

        Raises:
            SchedulingError: a date has no time zone.
        """
        fields = {
            "date_from": format_date(self.local_time(start), self.timezone),
            "date_to": format_date(self.local_time(end), self.timezone),
        }
        records = await self._call("OESRs/SRHISTORY", fields)
        return list(parse_inbound(records, self.region, self.timezone).messages)

    # --- pushes to our webhook --------------------------------------------------------------

    @override
    def is_status_push(self, form: Mapping[str, str]) -> bool:
        """A delivery report has ``order_id`` and ``status``; a received message has neither."""
        return "order_id" in form and "status" in form

    @override
    def parse_inbound_push(self, form: Mapping[str, str]) -> list[InboundSms]:
        """Read a received message Mobyt posted.

        The form has ``id``, ``sender`` and ``recipient`` (required), ``text`` (empty for an
        empty SMS) and ``delivery_date`` (when it is missing, the time the push arrived).

        Raises:
            GatewayResponseError: a required field is missing, or a field is too long or invalid.
        """
        return [parse_inbound_push(form, self.region, self.timezone)]

    @override
    def parse_status_push(self, form: Mapping[str, str]) -> list[DeliveryReport]:
        """Read a delivery report Mobyt posted.

        The form has ``order_id``, ``recipient`` and ``status`` (required), and
        ``delivery_date`` only for a delivered message (DLVRD), as the doc says.

        Raises:
            GatewayResponseError: a required field is missing, or a field is invalid.
        """
        return [parse_status_push(form, self.region, self.timezone)]


def resolve_message_type(message_type: str | None, sender: str | None) -> str:
    """The message type asked for (``n``/``N``, ``l``/``L``); without one, by the sender."""
    if message_type and message_type.strip():
        return message_type.strip().upper()
    return CUSTOM_SENDER_TYPE if _has_sender(sender) else FIXED_SENDER_TYPE


def _has_sender(sender: str | None) -> bool:
    return bool((sender or "").strip())


def _new_order_id() -> str:
    """32 random hexadecimal digits (128 bits from the system's random source)."""
    return os.urandom(_ORDER_ID_LENGTH // 2).hex()


def _initial_status(prepared: PreparedSms) -> DeliveryStatus:
    return DeliveryStatus.SCHEDULED if prepared.sms.send_at else DeliveryStatus.QUEUED


def _sent_order(records: list[list[str]], order_id: str) -> tuple[str, float | None]:
    """The order id and credits of an ``OK|order_id|count`` reply (ours when it has none)."""
    reply = records[0] if records else []
    sent = reply[0].strip() if reply and reply[0].strip() else order_id
    if not (
        (sent.isascii() and sent.isalnum() and len(sent) <= 32) or _PUSH_ORDER_ID.fullmatch(sent)
    ):
        sent = order_id
    return sent, parse_amount(reply[1]) if len(reply) > 1 else None


@dataclass(frozen=True, slots=True)
class Order:
    """A SENDSMS answered KO: its id, its recipients and Mobyt's words."""

    order_id: str
    recipients: tuple[str, ...]
    refusal: Refusal


def _refuse(results: dict[str, RecipientResult], group: Sequence[str], refusal: Refusal) -> None:
    """Every recipient of ``group`` refused, with the words of the KO of its order."""
    error = refusal.error()
    for number in group:
        results[number] = RecipientResult(
            recipient=number,
            accepted=False,
            status=DeliveryStatus.FAILED,
            error=error.message,
            error_code=refusal.code or None,
        )


def _may_have_gone(results: dict[str, RecipientResult], order: Order, *, proven: bool) -> None:
    """Every recipient of a refused ``order`` that may have been executed: never sent again."""
    why = (
        "Mobyt's history lists it"
        if proven
        else "Mobyt's history cannot show that it was not executed"
    )
    text = (
        f"{order.refusal.error().message}, yet {why}: it may have been sent "
        f"(Mobyt order {order.order_id}); not sent again"
    )
    for number in order.recipients:
        results[number] = RecipientResult(
            recipient=number,
            accepted=True,
            message_id=message_id(order.order_id, number),
            status=DeliveryStatus.UNKNOWN,
            error=text,
            error_code=order.refusal.code or None,
        )


def _split(order: Order) -> list[tuple[str, ...]]:
    """A refused order's recipients in two: the numbers the KO names apart, else two halves."""
    group, refusal = order.recipients, order.refusal
    named = {
        token.lstrip("+").removeprefix("00") for token in _NUMBER_IN_TEXT.findall(refusal.message)
    }
    apart = tuple(number for number in group if number.removeprefix("+") in named)
    rest = tuple(number for number in group if number not in apart)
    if apart and rest:
        return [rest, *((number,) for number in apart)]
    middle = len(group) // 2
    return [tuple(group[:middle]), tuple(group[middle:])]


def _nations(numbers: Iterable[str], region: str) -> Iterable[str]:
    for number in numbers:
        try:
            nation = region_of(to_e164(number, region))
        except GatewayError:
            continue
        if nation:
            yield nation


def _lookup_number(recipient: str, region: str) -> str:
    try:
        return _provider_number(recipient, region)
    except GatewayResponseError:
        return recipient


def _report(
    message_id_: str, recipient: str, provider_status: str, delivered_at: datetime | None
) -> DeliveryReport:
    """One recipient's report, its Mobyt status mapped by ``DELIVERY_STATUSES``."""
    return DeliveryReport(
        message_id=message_id_,
        status=DELIVERY_STATUSES.get(provider_status, DeliveryStatus.UNKNOWN),
        provider_status=excerpt(provider_status, 40),
        recipient=recipient,
        updated_at=delivered_at,
        delivered_at=delivered_at,
    )


def _text_field(form: Mapping[str, str], name: str, limit: int) -> str:
    """A free-text field of a push (may be absent or empty), within ``limit`` characters."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise GatewayResponseError(f"Mobyt push with a {name} that is not text")
    if len(value) > limit:
        raise GatewayResponseError(f"Mobyt push with a {name} longer than {limit} characters")
    return value.strip()


def _field(
    form: Mapping[str, str], name: str, pattern: re.Pattern[str], *, required: bool = True
) -> str:
    """One field of a push, matching ``pattern``; an optional one may be absent ("")."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise GatewayResponseError(f"Mobyt push with a {name} that is not text")
    value = value.strip()
    if not value:
        if required:
            raise GatewayResponseError(f"Mobyt push without {name}")
        return value
    if not pattern.fullmatch(value):
        raise GatewayResponseError(f"Mobyt push with an invalid {name}: {excerpt(value, 40)!r}")
    return value
