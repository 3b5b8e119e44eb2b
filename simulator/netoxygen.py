"""Simulator of NetOxygen's XML-RPC gateway, served at ``POST /netoxygen/api2/``.

Where the doc is silent, this simulator chooses (and the adapter does not rely on the codes):

- Fault codes: ``401`` wrong user or password (methods whose doc does not say "or FALSE"),
  ``402`` not enough credits for the whole request (nothing is sent), and the usual XML-RPC
  interoperability codes ``-32700`` not well-formed / DOCTYPE / too large, ``-32600`` not an
  XML-RPC call or not ``text/xml``, ``-32601`` unknown method, ``-32602`` wrong parameter count
  or types.
- ``auth`` answers False for bad credentials; ``get_credits``, ``get_guid`` and
  ``account_status`` answer False too.
- A message longer than 10 parts (1530 GSM-7 septets, 670 UCS-2 units) is refused with error 8.
- A sender is 1 to 11 letters and digits, or a phone number (digits, optional ``+``, at most
  16); anything else is error 6.
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
from .provider import ProviderSim
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

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_SENDER = re.compile(r"^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{3,16})$")
_NUMBER_PUNCTUATION = frozenset(" /-.()")


class _FaultError(Exception):
    """An XML-RPC fault to answer."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


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


def _text(value: object, what: str) -> str:
    """A string parameter (the doc's Perl example sends text as base64)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _FaultError(FAULT_PARAMS, f"{what}: base64 that is not UTF-8") from None
    if isinstance(value, str):
        return value
    raise _FaultError(FAULT_PARAMS, f"{what} must be a string")


def _strings(value: object, what: str) -> list[str]:
    """A parameter that is a string or an array of strings (``dest``, identifiers)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _FaultError(FAULT_PARAMS, f"{what} is an empty array")
    return [
        str(item) if isinstance(item, int) and not isinstance(item, bool) else _text(item, what)
        for item in items
    ]


def _wire_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(ZURICH).strftime(DATE_FORMAT)


type Handler = Callable[[Account | None, str, list[Any]], Any]


class NetOxygenSim(ProviderSim):
    """NetOxygen's XML-RPC methods over the shared simulator state."""

    key = "netoxygen"

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
            answer = xmlrpc.client.dumps(xmlrpc.client.Fault(fault.code, fault.text))
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

    @staticmethod
    def _open(account: Account | None) -> Account:
        if account is None:
            raise _FaultError(FAULT_AUTH, "Authentication failed: wrong user or password")
        return account

    # --- the methods ---------------------------------------------------------------------------

    def _auth(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        return account is not None

    def _get_credits(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        return False if account is None else int(account.credits)

    def _account_status(self, account: Account | None, _user: str, _rest: list[Any]) -> Any:
        return False if account is None else str(account.extra.get("status", "regular"))

    def _get_guid(self, account: Account | None, user: str, _rest: list[Any]) -> Any:
        if account is None:
            return False
        default = uuid.uuid5(uuid.NAMESPACE_URL, f"netoxygen:{user}")
        return str(account.extra.get("group_id", default))

    def _clean_number(self, account: Account | None, _user: str, rest: list[Any]) -> Any:
        self._open(account)
        return clean_number(_text(rest[0], "number"))

    def _send_message(self, account: Account | None, user: str, rest: list[Any]) -> Any:
        opened = self._open(account)
        dest = _strings(rest[0], "dest")
        message = _text(rest[1], "message")
        sender = _text(rest[2], "sender").strip() if len(rest) > 2 else ""
        when = self._send_time(rest[3] if len(rest) > 3 else "")
        kind = _text(rest[4], "type") if len(rest) > 4 else ""
        if kind not in ("", "text", "flash"):
            raise _FaultError(FAULT_PARAMS, "type must be 'text' or 'flash'")
        info = bill(message)
        now = datetime.now(ZURICH)
        scheduled = when is not None and when > now
        rows: list[list[object]] = []
        accepted: list[tuple[int, str]] = []
        for given in dest:
            number = clean_number(given)
            error = self._refusal(number, given, sender, message, info.parts)
            if error:
                rows.append([number or given, 0, error])
            else:
                accepted.append((len(rows), number))
                rows.append([number, 9 if scheduled else 1, ""])
        cost = info.parts * len(accepted)
        if cost > opened.credits:
            raise _FaultError(FAULT_CREDITS, f"Not enough credits: {cost} needed")
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
                    sender=sender or None,
                    created_at=now,
                    status="scheduled" if scheduled else "queued",
                    scheduled_at=when if scheduled else None,
                    segments=info.parts,
                    extra={"type": kind or "text", "characters": len(message)},
                )
            )
        return rows

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

    @staticmethod
    def _refusal(number: str, given: str, sender: str, message: str, segments: int) -> int:
        """The error code of one recipient's row, or 0 when it is accepted."""
        if not number or is_refused(given):
            return 5
        if sender and not _SENDER.match(sender):
            return 6
        if not message.strip():
            return 7
        if segments > MAX_SEGMENTS:
            return 8
        return 0

    def _own(self, user: str, message_id: str) -> SimMessage | None:
        message = self.state.messages.get(message_id)
        if message is None or message.provider != self.key or message.username != user:
            return None
        return message

    def _get_status(self, account: Account | None, user: str, rest: list[Any]) -> Any:
        self._open(account)
        rows: list[list[object]] = []
        for message_id in _strings(rest[0], "identifier"):
            message = self._own(user, message_id)
            rows.append([message_id, False if message is None else self._status_of(message)])
        return rows

    @staticmethod
    def _status_of(message: SimMessage) -> dict[str, object]:
        sent, last = LIFECYCLE_CODES.get(message.status, (2, 7))
        sent_date = message.scheduled_at or message.created_at
        last_date = message.delivered_at or sent_date
        return {
            "from": message.sender or DEFAULT_SENDER,
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
        for message_id in _strings(rest[0], "identifier"):
            message = self._own(user, message_id)
            canceled = message is not None and message.status == "scheduled"
            if message is not None and canceled:
                message.status = "canceled"
                opened.credits += message.segments
            rows.append([message_id, canceled])
        return rows
