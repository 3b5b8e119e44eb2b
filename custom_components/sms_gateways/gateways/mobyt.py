"""Mobyt HTTP integration: form fields in, ``OK...`` / ``KO|code|message`` text out.

Every call is a POST to ``api_url`` + ``Mobyt/...`` (sending and account) or ``OESRs/...``
(received messages), with the form fields ``login``, ``password`` and the call's own fields.
The doc's own URLs also spell the first ``Moby/...``: a call that ``Mobyt/`` answers with
HTTP 404 (not handled, so nothing was sent) is made once more under ``Moby/``, and the spelling
that answered is tried first from then on.
A reply starts ``OK`` or ``KO``; a table follows with records separated by ``;`` or by a newline
(the doc calls ``;`` its line separator) and fields by ``|``, each field URL-encoded
(``%2B33...``, ``hello+world``). Dates are ``yyyymmddhhmmss`` in Europe/Paris time.

Message types: ``N`` (SMS Top) needs a sender, ``L`` (SMS Direct) takes none. When the caller
chooses no type, a message with a sender goes as ``N`` and one without as ``L``.

Message ids: Mobyt knows an order (one send, many recipients) by its ``order_id``, which this
adapter generates so that a send whose reply was lost can still be looked up. One recipient's
message is ``"<order_id>:<E.164 number>"``; the send's ``batch_id`` is the ``order_id``.

KO error codes: the doc shows the ``KO|<code>|<message>`` form but no code. The vendor's SDK reads
the code as an integer and its dummy connection uses 1 (bad login or password) and 2 (not enough
credits); the other codes below are our choice, shared with the simulator. A code not listed is
read from the words of its message, and failing that raised as ``GatewayResponseError``:

    1  login or password refused         AuthenticationError
    2  not enough credits                InsufficientCreditsError
    3  missing or invalid parameter      GatewayResponseError
    4  invalid or refused recipient(s)   InvalidRecipientError (the whole request is refused)
    5  invalid sender                    InvalidSenderError
    6  message too long                  MessageRejectedError
    7  invalid message type              MessageRejectedError
    8  invalid date                      SchedulingError
    9  order not found                   status UNKNOWN / not cancelled
    10 order not scheduled (any more)    not cancelled
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
import re
from types import MappingProxyType
from typing import Final, override
from urllib.parse import unquote_plus
import uuid
from zoneinfo import ZoneInfo

from .base import PreparedSms, SmsGateway
from .errors import (
    AuthenticationError,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
    InvalidSenderError,
    MessageRejectedError,
    SchedulingError,
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
    InboundSms,
    OutgoingSms,
    RecipientResult,
    SendResult,
)
from .numbers import from_provider
from .transport import post
from .xml import excerpt

PARIS = ZoneInfo("Europe/Paris")
DATE_FORMAT = "%Y%m%d%H%M%S"

MESSAGE_TYPES: Final = MappingProxyType(
    {"N": "SMS Top: custom sender", "L": "SMS Direct: fixed sender"}
)
"""The message types Mobyt takes; without a choice, ``N`` with a sender and ``L`` without."""
CUSTOM_SENDER_TYPE = "N"
FIXED_SENDER_TYPE = "L"

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

ERROR_CODES: Final[Mapping[str, type[GatewayError]]] = MappingProxyType(
    {
        "1": AuthenticationError,
        "2": InsufficientCreditsError,
        "3": GatewayResponseError,
        "4": InvalidRecipientError,
        "5": InvalidSenderError,
        "6": MessageRejectedError,
        "7": MessageRejectedError,
        "8": SchedulingError,
        "9": GatewayResponseError,
        "10": SchedulingError,
    }
)
"""The KO codes (see the module docstring) and the error each one raises."""
ORDER_NOT_FOUND = "9"
ORDER_NOT_SCHEDULED = "10"

# Read in order when a KO code is not in ERROR_CODES: the first match wins.
_ERROR_KEYWORDS: Final = (
    (("login", "password", "authenti", "mot de passe", "identifiant"), AuthenticationError),
    (("credit", "crédit"), InsufficientCreditsError),
    (("recipient", "destinataire", "number", "numéro"), InvalidRecipientError),
    (("sender", "expéditeur", "expediteur"), InvalidSenderError),
    (("too long", "trop long", "length", "longueur"), MessageRejectedError),
    (("schedul", "programm", "date"), SchedulingError),
)

_ORDER_ID_LENGTH = 32
_RECORD_SEPARATOR = re.compile(r";|\r?\n")
_NUMBER_IN_TEXT = re.compile(r"\+?[0-9]{6,}")
_PUSH_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PUSH_STATUS = re.compile(r"^[A-Z0-9_]{1,20}$")
_PUSH_ID_MAX = 64
_PUSH_NUMBER_MAX = 32
_PUSH_TEXT_MAX = 10_000


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
        raise GatewayError(f"Not a Mobyt message id: {value!r} (expected order_id:+number)")
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
    if len(value) != 14 or not value.isdigit():
        raise GatewayResponseError(f"Mobyt sent an invalid date: {excerpt(value)!r}")
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=zone)
    except ValueError as err:
        raise GatewayResponseError(f"Mobyt sent an invalid date: {value!r}") from err


def parse_reply(text: str) -> list[list[str]]:
    """The records of an ``OK`` reply, each a list of decoded fields.

    ``OK|a|b`` is one record; ``OK;a|b;c|d;`` is a table, and so is the same table with
    newlines between its records.

    Raises:
        GatewayError: a ``KO`` reply, mapped by its code (see ``error_for``).
        GatewayResponseError: a reply that is neither ``OK`` nor ``KO``.
    """
    text = text.strip()
    head, body = text[:2], text[3:]
    separator = text[2:3]
    if head == "KO" and separator in {"", "|"}:
        code, _, message = body.partition("|")
        raise error_for(code.strip(), unquote_plus(message).strip())
    if head != "OK" or separator not in {"", "|", ";", "\r", "\n"}:
        raise GatewayResponseError(f"Unexpected reply from Mobyt: {excerpt(text)!r}")
    return [
        [unquote_plus(field) for field in record.split("|")]
        for record in _RECORD_SEPARATOR.split(body)
        if record
    ]


def error_for(code: str, message: str) -> GatewayError:
    """The error a ``KO|code|message`` reply stands for: by its code, else by its words."""
    error_class = ERROR_CODES.get(code)
    if error_class is None:
        lowered = message.lower()
        error_class = next(
            (
                candidate
                for words, candidate in _ERROR_KEYWORDS
                if any(word in lowered for word in words)
            ),
            GatewayResponseError,
        )
    text = f"Mobyt refused the request: {message or 'no reason given'}"
    return error_class(text, provider_code=code or None, provider_message=message or None)


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
    _spellings: tuple[str, str] = SPELLINGS
    """The two spellings of ``Mobyt/...`` calls, in the order they are tried (see ``_call``)."""

    # --- the wire ------------------------------------------------------------------------------

    async def _call(self, path: str, fields: Mapping[str, str] | None = None) -> list[list[str]]:
        """POST one call with the credentials and return the records of its ``OK`` reply.

        A ``Mobyt/...`` call answered HTTP 404 was not handled, so it is made once more under
        the other spelling (``Moby/...``); the spelling that answered is tried first next time.
        """
        form = {"login": self._username, "password": self._password, **(fields or {})}
        call = path.removeprefix(SPELLINGS[0])
        if call == path:
            return await self._post(path, form)
        first, second = self._spellings
        try:
            return await self._post(first + call, form)
        except GatewayConnectionError as err:
            if err.provider_code != _NOT_FOUND:
                raise
        records = await self._post(second + call, form)
        self._spellings = (second, first)
        return records

    async def _post(self, path: str, form: Mapping[str, str]) -> list[list[str]]:
        reply = await post(self._session, self.url(path), data=form, timeout=self._timeout)
        return parse_reply(reply.text)

    # --- sending -------------------------------------------------------------------------------

    @override
    def _check_options(self, sms: OutgoingSms) -> None:
        """Refuse a message type Mobyt does not have, and a type without its kind of sender."""
        super()._check_options(sms)
        message_type = self._message_type(sms)
        if message_type not in MESSAGE_TYPES:
            raise MessageRejectedError(
                f"Unknown Mobyt message type {sms.message_type!r}: "
                "use N (custom sender) or L (fixed sender)"
            )
        if message_type == FIXED_SENDER_TYPE and _has_sender(sms):
            raise InvalidSenderError(
                "Mobyt SMS Direct (message type L) always uses its fixed sender: "
                "leave the sender out, or send with message type N"
            )
        if message_type == CUSTOM_SENDER_TYPE and not _has_sender(sms):
            raise InvalidSenderError(
                "Mobyt SMS Top (message type N) needs a sender: "
                "give one, or send with message type L (fixed sender)"
            )

    @staticmethod
    def _message_type(sms: OutgoingSms) -> str:
        """The type asked for; without one, N for a custom sender and L for the fixed one."""
        if sms.message_type:
            return sms.message_type.strip().upper()
        return CUSTOM_SENDER_TYPE if _has_sender(sms) else FIXED_SENDER_TYPE

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """One SENDSMS for every recipient, under an order id generated here."""
        order_id = uuid.uuid4().hex[:_ORDER_ID_LENGTH]
        fields = {
            "message_type": self._message_type(prepared.sms),
            "recipient": ",".join(prepared.recipients),
            "message": prepared.sms.message,
            "order_id": order_id,
            "returnCredits": "true",
        }
        if prepared.sender:
            fields["sender"] = prepared.sender
        if prepared.sms.send_at is not None:
            fields["scheduled_delivery_time"] = format_date(prepared.sms.send_at, self.timezone)
        try:
            records = await self._call("Mobyt/SENDSMS", fields)
        except GatewayConnectionError as err:
            if not err.request_sent:
                raise
            raise GatewayConnectionError(
                f"{err.message}; check Mobyt order {order_id} before sending again",
                request_sent=True,
                provider_code=err.provider_code,
            ) from err
        except InvalidRecipientError as err:
            named = {
                token.lstrip("+").removeprefix("00")
                for token in _NUMBER_IN_TEXT.findall(err.provider_message or "")
            }
            refused = [n for n in prepared.recipients if n.removeprefix("+") in named]
            raise InvalidRecipientError(
                err.message,
                number=", ".join(refused) or None,
                provider_code=err.provider_code,
                provider_message=err.provider_message,
            ) from err
        reply = records[0] if records else []
        order_id = reply[0] if reply and reply[0] else order_id
        status = DeliveryStatus.SCHEDULED if prepared.sms.send_at else DeliveryStatus.QUEUED
        return SendResult(
            messages=tuple(
                RecipientResult(
                    recipient=number,
                    accepted=True,
                    message_id=message_id(order_id, number),
                    status=status,
                )
                for number in prepared.recipients
            ),
            info=prepared.info,
            batch_id=order_id,
            credits_used=_number(reply[1]) if len(reply) > 1 else None,
        )

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
        lines: list[Credit] = []
        for record in await self._call("Mobyt/CREDITS"):
            if len(record) < 3:
                raise GatewayResponseError(f"Unexpected Mobyt credit line: {record!r}")
            amount = _number(record[2])
            if amount is None:
                raise GatewayResponseError(f"Unexpected Mobyt credit amount: {record[2]!r}")
            lines.append(Credit(amount=amount, credit_type=record[0], nation=record[1] or None))
        return Balance(total=sum(line.amount for line in lines), lines=tuple(lines))

    # --- following sent messages ------------------------------------------------------------

    @override
    def status_request_key(self, message_id: str) -> str:
        """One ``SMSSTATUS`` request per order."""
        return message_id.partition(":")[0]

    @override
    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """One SMSSTATUS per order, one report per id asked, in the order asked.

        A recipient the order's table does not list (or an order Mobyt does not know, or one
        that was cancelled) is reported ``unknown``.

        Raises:
            GatewayError: an id is not a Mobyt message id, or the provider refused the call.
        """
        wanted = [split_message_id(value) for value in message_ids]
        rows_by_order: dict[str, dict[str, list[str]]] = {}
        for order_id in dict.fromkeys(order for order, _ in wanted):
            try:
                records = await self._call("Mobyt/SMSSTATUS", {"order_id": order_id})
            except GatewayError as err:
                if err.provider_code != ORDER_NOT_FOUND:
                    raise
                records = []
            rows_by_order[order_id] = {
                from_provider(record[0], self.region): record for record in records if record
            }
        reports = []
        for value, (order_id, recipient) in zip(message_ids, wanted, strict=True):
            row = rows_by_order[order_id].get(from_provider(recipient, self.region))
            if row is None:
                reports.append(
                    DeliveryReport(
                        message_id=value,
                        status=DeliveryStatus.UNKNOWN,
                        provider_status="UNKNOWN",
                        recipient=recipient,
                    )
                )
                continue
            provider_status = row[1] if len(row) > 1 else ""
            delivered_at = parse_date(row[2], self.timezone) if len(row) > 2 else None
            reports.append(_report(value, recipient, provider_status, delivered_at))
        return reports

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """REMOVE_DELAYED once per order, one result per id asked.

        Mobyt cancels a whole order: cancelling one recipient's message cancels the messages to
        every recipient of that send.

        Raises:
            GatewayError: an id is not a Mobyt message id, or the provider refused the call
                for another reason than the order being unknown or no longer scheduled.
        """
        orders = [split_message_id(value)[0] for value in message_ids]
        outcome: dict[str, str | None] = {}
        for order_id in dict.fromkeys(orders):
            try:
                await self._call("Mobyt/REMOVE_DELAYED", {"order_id": order_id})
            except GatewayError as err:
                if err.provider_code not in {ORDER_NOT_FOUND, ORDER_NOT_SCHEDULED}:
                    raise
                outcome[order_id] = err.provider_message or err.message
            else:
                outcome[order_id] = None
        return [
            CancelResult(message_id=value, canceled=outcome[order] is None, error=outcome[order])
            for value, order in zip(message_ids, orders, strict=True)
        ]

    @override
    async def get_history(self, start: datetime, end: datetime) -> list[HistoryEntry]:
        """The sends between two dates (SMSHISTORY), one entry per order.

        Raises:
            SchedulingError: a date has no time zone.
            GatewayResponseError: a row is not the documented table.
        """
        records = await self._call(
            "Mobyt/SMSHISTORY",
            {
                "from": format_date(self.local_time(start), self.timezone),
                "to": format_date(self.local_time(end), self.timezone),
            },
        )
        entries = []
        for record in records:
            if len(record) < 5 or not record[4].isdigit():
                raise GatewayResponseError(f"Unexpected Mobyt history row: {record!r}")
            entries.append(
                HistoryEntry(
                    order_id=record[0] or None,
                    created_at=parse_date(record[1], self.timezone),
                    message_type=record[2],
                    sender=record[3] or None,
                    recipients=int(record[4]),
                    scheduled_at=parse_date(record[5], self.timezone) if len(record) > 5 else None,
                )
            )
        return entries

    # --- received messages ------------------------------------------------------------------

    @override
    async def get_inbound(self, *, after_id: int = 0) -> list[InboundSms]:
        """The received messages with an id greater than ``after_id`` (SRHISTORYBYID).

        Raises:
            GatewayResponseError: a row is not the documented table.
        """
        if after_id < 0:
            raise GatewayError("after_id must be 0 or more")
        return self._inbound(await self._call("OESRs/SRHISTORYBYID", {"id": str(after_id)}))

    async def get_new_inbound(self) -> list[InboundSms]:
        """The messages received since the last call of this method (SRNEWMESSAGES).

        Mobyt must enable this call on the account; each message is returned once.

        Raises:
            GatewayResponseError: a row is not the documented table.
        """
        return self._inbound(await self._call("OESRs/SRNEWMESSAGES"))

    async def get_inbound_history(self, start: datetime, end: datetime) -> list[InboundSms]:
        """The messages received between two dates (SRHISTORY).

        Raises:
            SchedulingError: a date has no time zone.
            GatewayResponseError: a row is not the documented table.
        """
        fields = {
            "date_from": format_date(self.local_time(start), self.timezone),
            "date_to": format_date(self.local_time(end), self.timezone),
        }
        return self._inbound(await self._call("OESRs/SRHISTORY", fields))

    def _inbound(self, records: list[list[str]]) -> list[InboundSms]:
        messages = []
        for record in records:
            received_at = parse_date(record[4], self.timezone) if len(record) >= 5 else None
            if received_at is None or not record[0]:
                raise GatewayResponseError(f"Unexpected Mobyt received message: {record!r}")
            messages.append(
                InboundSms(
                    message_id=record[0],
                    recipient=from_provider(record[1], self.region),
                    sender=from_provider(record[2], self.region),
                    message=record[3],
                    received_at=received_at,
                    keyword=(record[5] or None) if len(record) > 5 else None,
                )
            )
        return messages

    # --- pushes to our webhook --------------------------------------------------------------

    @override
    def parse_inbound_push(self, form: Mapping[str, str]) -> list[InboundSms]:
        """Read a received message Mobyt posted.

        The form has ``id``, ``sender`` and ``recipient`` (required), ``text`` (empty for an
        empty SMS) and ``delivery_date`` (when it is missing, the time the push arrived).

        Raises:
            GatewayResponseError: a required field is missing, or a field is too long or invalid.
        """
        message_id_ = _field(form, "id", _PUSH_ID_MAX)
        sender = _field(form, "sender", _PUSH_NUMBER_MAX)
        recipient = _field(form, "recipient", _PUSH_NUMBER_MAX)
        text = _field(form, "text", _PUSH_TEXT_MAX, required=False)
        received_at = parse_date(_field(form, "delivery_date", 14, required=False), self.timezone)
        return [
            InboundSms(
                message_id=message_id_,
                sender=from_provider(sender, self.region),
                recipient=from_provider(recipient, self.region),
                message=text,
                received_at=received_at or datetime.now(self.timezone).replace(microsecond=0),
            )
        ]

    @override
    def parse_status_push(self, form: Mapping[str, str]) -> list[DeliveryReport]:
        """Read a delivery report Mobyt posted.

        The form has ``order_id``, ``recipient`` and ``status`` (required), and
        ``delivery_date`` only for a delivered message (DLVRD), as the doc says.

        Raises:
            GatewayResponseError: a required field is missing, or a field is invalid.
        """
        order_id = _field(form, "order_id", _ORDER_ID_LENGTH)
        if not _PUSH_ORDER_ID.match(order_id):
            raise GatewayResponseError(f"Invalid order_id in Mobyt push: {order_id!r}")
        recipient = from_provider(_field(form, "recipient", _PUSH_NUMBER_MAX), self.region)
        if not recipient.startswith("+"):
            raise GatewayResponseError(f"Invalid recipient in Mobyt push: {recipient!r}")
        status = _field(form, "status", 20)
        if not _PUSH_STATUS.match(status):
            raise GatewayResponseError(f"Invalid status in Mobyt push: {status!r}")
        delivered_at = parse_date(_field(form, "delivery_date", 14, required=False), self.timezone)
        return [_report(message_id(order_id, recipient), recipient, status, delivered_at)]


def _has_sender(sms: OutgoingSms) -> bool:
    return bool((sms.sender or "").strip())


def _report(
    message_id_: str, recipient: str, provider_status: str, delivered_at: datetime | None
) -> DeliveryReport:
    """One recipient's report, its Mobyt status mapped by ``DELIVERY_STATUSES``."""
    return DeliveryReport(
        message_id=message_id_,
        status=DELIVERY_STATUSES.get(provider_status, DeliveryStatus.UNKNOWN),
        provider_status=provider_status,
        recipient=recipient,
        updated_at=delivered_at,
        delivered_at=delivered_at,
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _field(form: Mapping[str, str], name: str, limit: int, *, required: bool = True) -> str:
    """One field of a push, within ``limit`` characters; an optional one may be absent ("")."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise GatewayResponseError(f"Mobyt push with a {name} that is not text")
    value = value.strip()
    if required and not value:
        raise GatewayResponseError(f"Mobyt push without {name}")
    if len(value) > limit:
        raise GatewayResponseError(f"Mobyt push with a {name} longer than {limit} characters")
    return value
