"""Simulator of NetOxygen's XML-RPC gateway, served at ``POST /netoxygen/api2/``.

Where the doc is silent, this simulator chooses (and the adapter does not rely on the codes):

What it plays by default is listed here; every point the doc leaves open (R1 to R8 of
``shared/providers/READINGS.md``) is a reading (``--variant netoxygen.<point>=<choice>``, see
``READINGS`` below) whose other choices play the other answers the doc allows.

- Fault codes: ``401`` wrong user or password (methods whose doc does not say "or FALSE"),
  ``402`` not enough credits for the whole request (nothing is sent), and the usual XML-RPC
  interoperability codes ``-32700`` not well-formed / DOCTYPE / too large, ``-32600`` not an
  XML-RPC call or not ``text/xml``, ``-32601`` unknown method, ``-32602`` wrong parameter count
  or types.
- ``auth`` answers False for bad credentials; ``get_credits``, ``get_guid`` and
  ``account_status`` answer False too.
- A message longer than 10 parts (1530 GSM-7 septets, 670 UCS-2 units) is refused with error 8.
- The sender, from the doc's own words: "If the field is empty or the current user is not
  allowed to change the sender the default sender for this user is used. Otherwise, if no
  default sender is set, "textobox.ch" is used." No limit is stated, so any text is taken as it
  is; an account whose ``extra["fixed_sender"]`` is set may not change it (its default, else
  ``textobox.ch``, is used). R27 (``sender``) plays a network that refuses long or non
  alphanumeric senders with error 6 "Invalid source number".
- A recipient whose number ends in ``2222`` meets "the current error code" 2 (Gateway error)
  with status 7 once sent (R31, ``current_error``): transient, it is delivered after; final, it
  stays so.
- ``clean_number`` answers an empty string when it cannot make a number of its argument.
- ``get_status`` and ``cancel_message`` answer ``[id, False]`` for an id the account does not own.
- A ``send_message`` row is ``[destination, 1, id]`` when sent now, ``[destination, 9, id]``
  (9 "Pending: the message is scheduled") when scheduled, and ``[destination, 0, error code]``
  when refused; the destination is written as international digits.
- ``sent_status`` is a code of the "Error codes" table (1 OK, 9 pending, 10 canceled),
  ``last_status`` one of the "Status codes" table, following the message's lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import re
from typing import Any
import uuid
import xmlrpc.client
from zoneinfo import ZoneInfo

from aiohttp import web

from .billing import bill
from .provider import CodedRefusalError, ProviderSim
from .readings import Reading
from .state import Account, SimMessage, is_refused

PATH = "/netoxygen/api2/"
ZURICH = ZoneInfo("Europe/Zurich")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_BODY_BYTES = 256 * 1024
MAX_SEGMENTS = 10
DEFAULT_SENDER = "textobox.ch"

FAULT_AUTH = 401
FAULT_CREDITS = 402
FAULT_PARSE = -32700
FAULT_REQUEST = -32600
FAULT_METHOD = -32601
FAULT_PARAMS = -32602

ERROR_TEXTS = {
    1: "OK",
    2: "Gateway error",
    3: "Message routing error",
    4: "Message format error",
    5: "Invalid destination number",
    6: "Invalid source number",
    7: "Empty message",
    8: "Max message length exceeded",
    9: "Pending",
    10: "Message canceled",
}
STATUS_TEXTS = {
    1: "Delivered to the recipient device",
    2: "Delivered to the recipient network",
    3: "Message submitted",
    4: "Message error, delivery failed",
    5: "Routing error, delivery failed",
    6: "Message expired, delivery cancelled",
    7: "Gateway error",
    8: "Message in queue",
    9: "Message scheduled",
}
# The simulator's lifecycle as (sent_status, last_status).
LIFECYCLE_CODES = {
    "scheduled": (9, 9),
    "queued": (1, 8),
    "sent": (1, 3),
    "delivered": (1, 1),
    "failed": (1, 5),
    "expired": (1, 6),
    "canceled": (10, 9),
}

READINGS = (
    Reading(
        "cedilla",
        ("ucs2", "gsm"),
        "R28: a lowercase ç (not in GSM 03.38's table, whose Ç is 0x09; NetOxygen's doc is "
        "silent). ucs2: the whole message is billed as UCS-2; gsm: ç is sent as the table's "
        "Ç, billed as GSM (100 of ç: 1 part).",
    ),
    Reading(
        "false_answer",
        ("bad_credentials", "no_value"),
        "R1: what FALSE from get_credits/get_guid means. bad_credentials: only wrong credentials "
        "get FALSE; no_value: a valid account gets FALSE too (no balance to show, no group id).",
    ),
    Reading(
        "fault_texts",
        ("plain", "misleading"),
        "R2: fault texts (none documented). plain: 'Authentication failed...', 'Not enough "
        "credits...'; misleading: wrong credentials say 'Error', other faults use words such as "
        "'login', 'auth', 'identifier' and 'credit' that say nothing about the credentials.",
    ),
    Reading(
        "send_status",
        ("zero_code", "code", "perl"),
        "R3: the status of a send_message row. zero_code: [dest, 1|9, id] or [dest, 0, error "
        "code]; code: a refused row is [dest, error code, ''] (the status is the code); perl: a "
        "sent or scheduled row is [dest, 2, id] (any true status is sent, id third).",
    ),
    Reading(
        "clean_number_failure",
        ("empty", "false", "fault", "echo"),
        "R4: clean_number of no number answers '' (empty), FALSE, a fault, or the input back "
        "(FALSE, whose reason the doc does not give, is R32 too).",
    ),
    Reading(
        "max_length",
        ("ten_parts", "unlimited", "one_part"),
        "R5: the longest message (none documented): more than ten parts, never, or more than "
        "one part is refused with error 8.",
    ),
    Reading(
        "unknown_id",
        ("false_row", "fault", "empty_struct", "no_row"),
        "R6: an id get_status/cancel_message does not know: [id, False], a fault for the whole "
        "call, [id, {}] (get_status; cancel answers [id, False]), or no row at all.",
    ),
    Reading(
        "string_encoding",
        ("utf8", "latin1"),
        "R7: how <string> values are read. utf8: decoded as UTF-8; latin1: as a server that "
        "does not decode UTF-8 reads them (each UTF-8 byte a Latin-1 character). <base64> is "
        "always UTF-8, as the doc's accent-safe example sends it.",
    ),
    Reading(
        "dest_type",
        ("string", "int"),
        "R8: how dest is read. string: its digits as written; int: as a number, so a leading 0 "
        "is lost (a national 0791234567 becomes 791234567, another number).",
    ),
    Reading(
        "sender",
        ("any", "network_rule"),
        "R27: the sender (the doc states no limit and names textobox.ch as its default). any: "
        "any text is taken as it is; network_rule: a sender of more than 11 characters, or "
        "other than letters and digits, and not a number (+ and up to 16 digits), is error 6.",
    ),
    Reading(
        "current_error",
        ("transient", "final"),
        'R31: the error codes 2-4 and status 7 ("the current error code"). A recipient ending '
        "in 2222 gets 2/7 Gateway error once sent; transient: it is delivered after; final: "
        "it stays 2/7.",
    ),
    Reading(
        "cancel_false",
        ("not_scheduled", "any_failure"),
        "R32: what FALSE from cancel_message means (the doc gives no reason). not_scheduled: "
        "the message is no longer scheduled (sent, or cancelled already); any_failure: the "
        "first cancel of a scheduled message answers FALSE and it stays scheduled.",
    ),
)

GATEWAY_ERROR_SUFFIX = "2222"
"""A recipient ending so meets NetOxygen's current error 2 / status 7 once sent (R31)."""

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NETWORK_SENDER = re.compile(r"^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,16})$")
"""R27 network_rule: what a network commonly takes (the doc sets no rule)."""
_NUMBER_PUNCTUATION = frozenset(" /-.()")


class _FaultError(CodedRefusalError):
    """An XML-RPC fault to answer."""


def clean_number(raw: str) -> str:
    """International digits, reading a national number as Swiss; '' when it is no number."""
    text = raw.strip()
    rest = text.removeprefix("+")
    if not rest or any(not ch.isdigit() and ch not in _NUMBER_PUNCTUATION for ch in rest):
        return ""
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = f"41{digits[1:]}"
    else:
        number = digits
    return number if 9 <= len(number) <= 15 and not number.startswith("0") else ""


def _text(value: object, what: str, *, latin1: bool = False) -> str:
    """A string parameter (the doc's Perl example sends text as base64 of UTF-8).

    With ``latin1``, a ``<string>`` is read as a server that does not decode UTF-8 would read
    it: each byte of its UTF-8 form is one Latin-1 character (``é`` becomes ``Ã©``).
    """
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _FaultError(FAULT_PARAMS, f"{what}: base64 that is not UTF-8") from None
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1") if latin1 else value
    raise _FaultError(FAULT_PARAMS, f"{what} must be a string")


def _strings(value: object, what: str, *, latin1: bool = False) -> list[str]:
    """A parameter that is a string or an array of strings (``dest``, identifiers)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _FaultError(FAULT_PARAMS, f"{what} is an empty array")
    return [
        str(item)
        if isinstance(item, int) and not isinstance(item, bool)
        else _text(item, what, latin1=latin1)
        for item in items
    ]


def _as_int(number: str) -> str:
    """A destination read as a number, as a server that stores it in an integer does."""
    digits = number.strip()
    return str(int(digits)) if digits.isascii() and digits.isdigit() else digits


def _wire_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(ZURICH).strftime(DATE_FORMAT)


type Handler = Callable[[Account | None, str, list[Any]], Any]


class NetOxygenSim(ProviderSim):
    """NetOxygen's XML-RPC methods over the shared simulator state."""

    key = "netoxygen"
    readings = READINGS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Register the methods and how many parameters each takes (user and pass included)."""
        super().__init__(*args, **kwargs)
        self._methods: dict[str, tuple[int, int, Handler]] = {
            "send_message": (4, 7, self._send_message),
            "auth": (2, 2, self._auth),
            "get_credits": (2, 2, self._get_credits),
            "account_status": (2, 2, self._account_status),
            "get_guid": (2, 2, self._get_guid),
            "clean_number": (3, 3, self._clean_number),
            "get_status": (3, 3, self._get_status),
            "cancel_message": (3, 3, self._cancel_message),
        }

    def routes(self) -> list[web.RouteDef]:
        """The single XML-RPC endpoint."""
        return [web.post(PATH, self._handle)]

    def demo_accounts(self) -> list[Account]:
        """A regular account, one without credits, and a free one."""
        return [
            Account(self.key, "demo", "demo-password", 100, extra={"status": "regular"}),
            Account(self.key, "empty", "empty-password", 0, extra={"status": "regular"}),
            Account(self.key, "free", "free-password", 100, extra={"status": "free"}),
        ]

    # --- the endpoint --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            value = self._dispatch(request.content_type, body)
        except _FaultError as fault:
            answer = xmlrpc.client.dumps(xmlrpc.client.Fault(fault.code, fault.message))
        else:
            answer = xmlrpc.client.dumps((value,), methodresponse=True, allow_none=False)
        return web.Response(body=answer.encode(), content_type="text/xml", charset="utf-8")

    def _dispatch(self, content_type: str, body: bytes) -> Any:
        if len(body) > MAX_BODY_BYTES:
            raise _FaultError(FAULT_PARSE, f"request larger than {MAX_BODY_BYTES} bytes")
        if content_type != "text/xml":
            raise _FaultError(FAULT_REQUEST, "Content-Type must be text/xml")
        if _DOCTYPE.search(body):
            raise _FaultError(FAULT_PARSE, "DOCTYPE and ENTITY declarations are refused")
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception as err:  # noqa: BLE001  # expat and xmlrpc raise many kinds
            raise _FaultError(FAULT_PARSE, f"parse error: not well formed ({err})") from None
        if method is None:
            raise _FaultError(FAULT_REQUEST, "not a methodCall")
        spec = self._methods.get(method)
        if spec is None:
            raise _FaultError(FAULT_METHOD, f"requested method {method} not found")
        low, high, handler = spec
        if not low <= len(params) <= high:
            raise _FaultError(FAULT_PARAMS, f"{method} takes {low} to {high} parameters")
        user, password, *rest = params
        if not isinstance(user, str) or not isinstance(password, str):
            raise _FaultError(FAULT_PARAMS, "user and pass must be strings")
        account = self.state.account(self.key, user, password)
        return handler(account, user, rest)

    def _open(self, account: Account | None) -> Account:
        if account is None:
            if self.reading("fault_texts") == "misleading":
                raise _FaultError(FAULT_AUTH, "Error")
            raise _FaultError(FAULT_AUTH, "Authentication failed: wrong user or password")
        return account

    def _misleading(self) -> bool:
        return self.reading("fault_texts") == "misleading"

    def _latin1(self) -> bool:
        return self.reading("string_encoding") == "latin1"

    # --- the methods ---------------------------------------------------------------------------

    def _auth(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        return account is not None

    def _get_credits(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        if account is None or self.reading("false_answer") == "no_value":
            return False
        return int(account.credits)

    def _account_status(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        return False if account is None else str(account.extra.get("status", "regular"))

    def _get_guid(self, account: Account | None, user: str, _rest: list[Any]) -> Any:
        if account is None or self.reading("false_answer") == "no_value":
            return False
        default = uuid.uuid5(uuid.NAMESPACE_URL, f"netoxygen:{user}")
        return str(account.extra.get("group_id", default))

    def _clean_number(self, account: Account | None, _user: str, rest: list[Any]) -> Any:
        self._open(account)
        given = _text(rest[0], "number", latin1=self._latin1())
        number = clean_number(given)
        if number:
            return number
        failure = self.reading("clean_number_failure")
        if failure == "false":
            return False
        if failure == "fault":
            text = "Invalid login number format" if self._misleading() else "Invalid number"
            raise _FaultError(FAULT_PARAMS, text)
        return given if failure == "echo" else ""

    def _send_message(self, account: Account | None, user: str, rest: list[Any]) -> Any:
        opened = self._open(account)
        latin1 = self._latin1()
        dest = _strings(rest[0], "dest", latin1=latin1)
        if self.reading("dest_type") == "int":
            dest = [_as_int(given) for given in dest]
        message = _text(rest[1], "message", latin1=latin1)
        sender = _text(rest[2], "sender", latin1=latin1).strip() if len(rest) > 2 else ""
        when = self._send_time(rest[3] if len(rest) > 3 else "")
        kind = _text(rest[4], "type") if len(rest) > 4 else ""
        if kind not in ("", "text", "flash"):
            raise _FaultError(FAULT_PARAMS, "type must be 'text' or 'flash'")
        info = bill(message, cedilla=self.reading("cedilla") == "gsm")
        now = datetime.now(ZURICH)
        scheduled = when is not None and when > now
        rows: list[list[object]] = []
        accepted: list[tuple[int, str]] = []
        send_status = self.reading("send_status")
        for given in dest:
            number = clean_number(given)
            error = self._refusal(number, given, sender, message, info.parts)
            if error and send_status == "code":
                rows.append([number or given, error, ""])
            elif error:
                rows.append([number or given, 0, error])
            else:
                accepted.append((len(rows), number))
                status = 2 if send_status == "perl" else 9 if scheduled else 1
                rows.append([number, status, ""])
        cost = info.parts * len(accepted)
        if cost > opened.credits:
            text = (
                "Authentication of the request failed: credit limit reached"
                if self._misleading()
                else f"Not enough credits: {cost} needed"
            )
            raise _FaultError(FAULT_CREDITS, text)
        opened.credits -= cost
        for index, number in accepted:
            message_id = str(self.state.next_id())
            rows[index][2] = message_id
            self.state.add_message(
                SimMessage(
                    message_id=message_id,
                    provider=self.key,
                    username=user,
                    recipient=number,
                    text=message,
                    sender=self._sender(opened, sender),
                    created_at=now,
                    status="scheduled" if scheduled else "queued",
                    scheduled_at=when if scheduled else None,
                    segments=info.parts,
                    extra={"type": kind or "text", "characters": len(message)},
                )
            )
        return rows

    @staticmethod
    def _sender(account: Account, given: str) -> str:
        """The sender the message goes with: the doc's words (see the module's docstring)."""
        default = str(account.extra.get("default_sender") or DEFAULT_SENDER)
        if not given or account.extra.get("fixed_sender"):
            return default
        return given

    @staticmethod
    def _send_time(value: object) -> datetime | None:
        """The 6th parameter; empty or invalid means now (the doc says so)."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=ZURICH) if value.tzinfo is None else value
        text = _text(value, "date").strip()
        try:
            return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=ZURICH)
        except ValueError:
            return None

    def _refusal(self, number: str, given: str, sender: str, message: str, segments: int) -> int:
        """The error code of one recipient's row, or 0 when it is accepted."""
        if not number or is_refused(given):
            return 5
        if (
            sender
            and self.reading("sender") == "network_rule"
            and not _NETWORK_SENDER.match(sender)
        ):
            return 6
        if not message.strip():
            return 7
        limit = {"ten_parts": MAX_SEGMENTS, "one_part": 1}.get(self.reading("max_length"))
        if limit is not None and segments > limit:
            return 8
        return 0

    def _own(self, user: str, message_id: str) -> SimMessage | None:
        message = self.state.messages.get(message_id)
        if message is None or message.provider != self.key or message.username != user:
            return None
        return message

    def _unknown_id(self, message_id: str, rows: list[list[object]], *, struct: bool) -> None:
        """The answer for an id the account does not own, as the ``unknown_id`` reading says."""
        unknown = self.reading("unknown_id")
        if unknown == "fault":
            text = "Unknown message identifier" if self._misleading() else "Unknown message"
            raise _FaultError(FAULT_PARAMS, f"{text}: {message_id}")
        if unknown == "no_row":
            return
        rows.append([message_id, {} if struct and unknown == "empty_struct" else False])

    def _get_status(self, account: Account | None, user: str, rest: list[Any]) -> Any:
        self._open(account)
        rows: list[list[object]] = []
        for message_id in _strings(rest[0], "identifier"):
            message = self._own(user, message_id)
            if message is None:
                self._unknown_id(message_id, rows, struct=True)
            else:
                rows.append([message_id, self._status_of(message)])
        return rows

    def _status_of(self, message: SimMessage) -> dict[str, object]:
        sent, last = LIFECYCLE_CODES.get(message.status, (2, 7))
        if message.recipient.endswith(GATEWAY_ERROR_SUFFIX):
            # R31: "the current error code", 2 (Gateway error), while sent; then delivered
            # (transient) or so for good (final).
            final = self.reading("current_error") == "final"
            if message.status == "sent" or (final and message.status == "delivered"):
                sent, last = 2, 7
        sent_date = message.scheduled_at or message.created_at
        last_date = message.delivered_at or sent_date
        return {
            "from": message.sender,
            "to": message.recipient,
            "length": int(message.extra.get("characters", len(message.text))),
            "sent_date": _wire_date(sent_date),
            "sent_status": sent,
            "sent_status_text": ERROR_TEXTS[sent],
            "last_date": _wire_date(last_date),
            "last_status": last,
            "last_status_text": STATUS_TEXTS[last],
        }

    def _cancel_message(self, account: Account | None, user: str, rest: list[Any]) -> Any:
        opened = self._open(account)
        rows: list[list[object]] = []
        ids = _strings(rest[0], "identifier")
        for message_id in ids:
            if self._own(user, message_id) is None:
                self._unknown_id(message_id, [], struct=False)  # a fault is raised before
        for message_id in ids:
            message = self._own(user, message_id)
            if message is None:
                self._unknown_id(message_id, rows, struct=False)
                continue
            canceled = message.status == "scheduled"
            if canceled and self.reading("cancel_false") == "any_failure":
                # R32: FALSE for a reason of the provider's; the message stays scheduled.
                canceled = bool(message.extra.get("cancel_failed_once"))
                message.extra["cancel_failed_once"] = True
            if canceled:
                message.status = "canceled"
                opened.credits += message.segments
            rows.append([message_id, canceled])
        return rows
