"""123-SMS.net (France): a JSON object POSTed to one URL per function under ``api_url``.

What the doc (16/12/2024) says, and what the vendor's own example clients add:
- Every call is a POST with ``Content-Type`` and ``Accept`` set to ``application/json``;
  the credentials travel in the body as ``user`` + ``cleAPI``, or as ``email`` + ``pass`` (the
  doc's other pair) when the username is an e-mail address.
- ``senderid`` "ne doit pas dépasser 11 caractères": a length only (a ``+`` counts as one of
  them); the characters are 123-SMS's to judge (97).
- Test mode: the doc says both "« o » ou vide" and "« 0 » ... code 92". We send ``o``; a reply
  of 80/81 to a test send means a real SMS left, which the result and the log say.
- ``contact/upd/`` takes ONE ``groupe`` (the one the contact is in); only ``contact/add/``
  takes several joined by ``--``.
- ``numero`` is one number, so a message to several recipients is one request each.
- Numbers travel as international digits without ``+`` (``33612345678``): the vendor's examples
  accept ``06...`` or ``336...`` and turn every number into the latter, which also carries the
  country code of overseas numbers (``262692...``) that a national ``0692...`` would lose.
- ``diff`` schedules a send at ``hhmmddmmyyyy`` (hour, minute, day, month, year) Paris time; the
  same request with ``s`` after the date deletes it. The provider gives no message id, so ours
  carries what that deletion needs (see ``encode_message_id``).
- The doc shows the return codes but not the reply body. The older ``http.php`` answered a bare
  code in plain text, so ``parse_reply`` reads a bare code, a JSON object or an XML element.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
import json
from json.encoder import encode_basestring_ascii as _json_text
import logging
import math
import os
import re
from typing import Any, NamedTuple, override
from zoneinfo import ZoneInfo

from lxml import etree

from . import transport
from .base import PreparedSms, SmsGateway, check_printable_sender
from .encoding import analyze
from .errors import (
    AccessDeniedError,
    AuthenticationError,
    EmptyMessageError,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
    InvalidSenderError,
    SchedulingError,
    SendOutcomeUnknownError,
    UnsupportedOperationError,
)
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    Contact,
    DeliveryStatus,
    RecipientResult,
    SendResult,
    stored_datetime,
)
from .numbers import e164_digits, mask_number, to_e164
from .xml import excerpt, parse_xml

_LOGGER = logging.getLogger(__name__)

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_CONCURRENCY = 4
"""Requests in flight at once when a message goes to several recipients."""
_DIFF_FORMAT = "%H%M%d%m%Y"
_DIFF = re.compile(r"^[0-9]{12}$")
_CANCEL_SUFFIX = "s"
_GROUP_SEPARATOR = "--"
_MESSAGE_ID_PREFIX = "sms123:"
_API_KEY_PAIR = ("user", "cleAPI")
_PASSWORD_PAIR = ("email", "pass")
_TEST_SEND_OK = "92"
_REAL_SEND = frozenset({"80", "81"})
_CANCELED = "94"
_INFO_BLOCKED = "101"
_MAY_HAVE_GONE = frozenset({"-2", _INFO_BLOCKED})
"""Send codes that do not say whether the message left: "Erreur technique", and "Info"."""


@dataclass(frozen=True, slots=True)
class _Code:
    """One documented return code and what it means to a caller.

    A code with ``status`` accepted the recipient; one with ``error`` refused the whole request
    (raised); one with neither refused this recipient alone (reported, the others are sent).
    """

    text: str
    error: type[GatewayError] | None = None
    status: DeliveryStatus | None = None


# ``send/`` (also used to cancel). 92 answers a test send: the provider checked the request and
# sent nothing, so the recipient is accepted with the final status ``canceled``: nothing will
# arrive and there is nothing to track or cancel (no message id).
SEND_CODES: dict[str, _Code] = {
    "-1": _Code("123-SMS could not read the request", GatewayResponseError),
    "-2": _Code("Technical error at 123-SMS", GatewayConnectionError),
    # 123-SMS has no delivery status call: "le message a été envoyé" is the last word on it.
    "80": _Code("Sent", status=DeliveryStatus.SENT),
    "81": _Code("Recorded for a scheduled send", status=DeliveryStatus.SCHEDULED),
    "82": _Code("The username or API key is not valid", AuthenticationError),
    "83": _Code("The account has no credits left", InsufficientCreditsError),
    "84": _Code("The mobile number is not valid"),
    "85": _Code("The scheduled send time is not valid", SchedulingError),
    "87": _Code("The username (user / email) is empty or not valid", AuthenticationError),
    "88": _Code("The API key (cleAPI / pass) is empty", AuthenticationError),
    "89": _Code("The recipient number (numero) is empty", InvalidRecipientError),
    "90": _Code("The message is empty", EmptyMessageError),
    "91": _Code("The same message was already sent to this number in the last 24 hours"),
    "92": _Code("Test send accepted: nothing was sent or billed", status=DeliveryStatus.CANCELED),
    "93": _Code(
        "Sending to the French overseas departments and territories (DOM-TOM) needs that "
        "option enabled in the 123-SMS customer area"
    ),
    "94": _Code("The scheduled message was deleted", status=DeliveryStatus.CANCELED),
    "95": _Code("The scheduled message could not be deleted", SchedulingError),
    "96": _Code("123-SMS refuses requests from this IP address", AccessDeniedError),
    "97": _Code("The sender (senderid) is not valid", InvalidSenderError),
    # "Info", neither "Succès" nor "Erreur": it does not say the message was not sent.
    "101": _Code("123-SMS says the number is blocked and/or blacklisted"),
    "102": _Code(
        "Changing the sender requires 'stop SMS au 36177' at the end of the message",
        InvalidSenderError,
    ),
}

# ``solde/``: on success the reply is the balance itself.
BALANCE_CODES: dict[str, _Code] = {
    "-1": _Code("123-SMS could not read the request", GatewayResponseError),
    "-2": _Code("Technical error at 123-SMS; try again later", GatewayConnectionError),
    "-3": _Code("123-SMS says the URL is not correct: check the API URL", GatewayResponseError),
    "E501": _Code("The username (user) is empty", AuthenticationError),
    "E502": _Code("The API key (cleAPI) is empty", AuthenticationError),
    "E505": _Code("The username or API key is not valid", AuthenticationError),
}

# ``group/...`` and ``contact/...`` share one numbering.
ADDRESS_BOOK_CODES: dict[str, _Code] = {
    "-1": _Code("123-SMS could not read the request", GatewayResponseError),
    "-2": _Code("Technical error at 123-SMS; try again later", GatewayConnectionError),
    "501": _Code("The username (user / email) is empty", AuthenticationError),
    "502": _Code("The API key (cleAPI / pass) is empty", AuthenticationError),
    "505": _Code("The username or API key is not valid", AuthenticationError),
    "506": _Code("This number is already a contact of the group", GatewayError),
    "507": _Code("The contact is saved"),
    "508": _Code("This number is not one of your contacts", GatewayError),
    "509": _Code("The contact is deleted"),
    "510": _Code("This number is not a contact of that group", GatewayError),
    "513": _Code("A group of that name already exists", GatewayError),
    "514": _Code("The group is saved"),
    "515": _Code("The group still has contacts and cannot be deleted", GatewayError),
    "516": _Code("The group is deleted"),
    "517": _Code("The group does not exist", GatewayError),
}

# Codes of ``send/`` that refuse the account rather than one message: a cancel stops there too.
_ACCOUNT_CODES = frozenset({"-1", "-2", "82", "87", "88", "96"})


def _error(code: str, spec: _Code, provider_message: str | None) -> GatewayError:
    """The exception a whole-request code stands for, with the provider's code and text."""
    if spec.error is GatewayConnectionError:
        return GatewayConnectionError(
            spec.text, request_sent=True, provider_code=code, provider_message=provider_message
        )
    error = spec.error or GatewayResponseError
    return error(spec.text, provider_code=code, provider_message=provider_message)


# --- the reply ---------------------------------------------------------------------------------

_CODE_KEYS = (
    "code",
    "code_retour",
    "coderetour",
    "retour",
    "status",
    "statut",
    "result",
    "resultat",
    "reponse",
    "response",
)
_MESSAGE_KEYS = ("message", "msg", "description", "libelle", "detail")
_BALANCE_KEYS = ("solde", "balance", "credits", "credit")
_BARE_CODE = re.compile(r"^-?[A-Za-z]?[0-9]{1,12}(?:[.,][0-9]{1,6})?$")
_AMOUNT = re.compile(r"^-?[0-9]{1,12}(?:[.,][0-9]{1,6})?$")
_MAX_JSON_DEPTH = 16
"""Deeper JSON is refused before it is parsed (``json`` recurses once per level)."""
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(r"[^\[\]{}]+")
_JSON_DECODER = json.JSONDecoder()
_JSON_BLANKS = " \t\n\r"
"""What JSON takes for blanks between values."""
# Codes that, wherever they come from, say the credentials were refused: send/'s 82, 87, 88,
# solde/'s E501, E502, E505, and the address book's 501, 502, 505.
_CREDENTIAL_CODES = frozenset({"82", "87", "88", "501", "502", "505", "E501", "E502", "E505"})


class Reply(NamedTuple):
    """What a reply said, whatever its form: its values by lower-case name.

    A named tuple: made at every request, in a third of a frozen dataclass's steps.
    """

    fields: Mapping[str, str]
    raw: str
    form: str = "json"
    """``bare`` (a code in plain text), ``json`` or ``xml``."""

    @property
    def code(self) -> str | None:
        """The return code, under the first name that holds one."""
        for key in _CODE_KEYS:
            value = self.fields.get(key, "").strip()
            # ASCII digits (str's own test) or what the regular expression takes.
            if value and (_short_digits(value) or _BARE_CODE.match(value)):
                return value
        return None

    @property
    def message(self) -> str | None:
        """The provider's text beside the code, if it sent one."""
        for key in _MESSAGE_KEYS:
            if self.fields.get(key):
                return excerpt(self.fields[key], 200)
        return None

    def require_code(self) -> str:
        """The return code.

        Raises:
            GatewayResponseError: the reply holds no code.
        """
        code = self.code
        if code is None:
            raise GatewayResponseError(f"No return code in the reply: {excerpt(self.raw)!r}")
        return code


def json_body(fields: Mapping[str, str]) -> bytes:
    """The bytes of ``json.dumps(fields)``, written with its own string encoder directly.

    Tests prove them equal for any text.
    """
    pairs: list[str] = []
    for key, value in fields.items():
        if type(key) is not str or type(value) is not str:
            return json.dumps(fields).encode()
        pairs.append(f"{_json_text(key)}: {_json_text(value)}")
    return f"{{{', '.join(pairs)}}}".encode()


def _short_digits(value: str) -> bool:
    """1 to 12 ASCII digits (``_BARE_CODE``'s commonest case, without a regular expression)."""
    return value.isascii() and value.isdigit() and len(value) <= 12


def _scalar(value: object) -> str | None:
    if isinstance(value, str):  # the common case first (no str is a bool or None)
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        # A number of more digits than any code or balance is not one (and int -> str is bounded).
        return str(value) if -(10**15) < value < 10**15 else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def _json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings left out), without parsing it."""
    brackets = _JSON_BRACKETS.sub("", _JSON_STRING.sub('""', text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > _MAX_JSON_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


def _json_value(text: str) -> object:
    """``text`` parsed as JSON, within the depth bound.

    Raises:
        GatewayResponseError: not JSON, or nested deeper than any reply is.
    """
    # Text with no more opening brackets than the bound (a reply's one object) cannot nest deeper
    # than it: only the others are measured.
    too_many = text.count("{") + text.count("[") > _MAX_JSON_DEPTH
    if too_many and _json_depth(text) > _MAX_JSON_DEPTH:
        raise GatewayResponseError(f"JSON nested too deeply: {excerpt(text)!r}")
    try:
        # json.loads(text), without its layers: blanks around the value, nothing else after it.
        start = len(text) - len(text.lstrip(_JSON_BLANKS))
        value, end = _JSON_DECODER.raw_decode(text, start)
    except (ValueError, RecursionError) as err:
        raise GatewayResponseError(f"Malformed JSON reply: {excerpt(text)!r}") from err
    if text[end:].strip(_JSON_BLANKS):
        raise GatewayResponseError(f"Malformed JSON reply: {excerpt(text)!r}")
    return value


def _json_fields(text: str) -> dict[str, str]:
    """The scalar values of a JSON object (``text`` starts with ``{``)."""
    data = _json_value(text)
    if not isinstance(data, dict):
        raise GatewayResponseError(f"Malformed JSON reply: {excerpt(text)!r}")
    fields: dict[str, str] = {}
    for key, value in data.items():
        # One level of nesting ({"reponse": {"code": ...}}) is read as if it were flat.
        inner = value.items() if isinstance(value, dict) else [(key, value)]
        for name, item in inner:
            scalar = _scalar(item)
            if scalar is not None:
                fields.setdefault(str(name).lower(), scalar)
    return fields


def _xml_fields(body: bytes) -> dict[str, str]:
    root = parse_xml(body)
    leaves = [
        element
        for element in root.iter()
        if isinstance(element.tag, str) and len(element) == 0 and element is not root
    ]
    if not leaves:
        return {"code": (root.text or "").strip()}
    fields: dict[str, str] = {}
    for element in leaves:
        fields.setdefault(etree.QName(element).localname.lower(), (element.text or "").strip())
    return fields


def parse_reply(body: bytes) -> Reply:
    """Read a reply in whichever form it comes: a bare code, a JSON object, an XML document.

    Raises:
        GatewayResponseError: the reply is empty or none of these (with a short excerpt).
    """
    text = body.decode("utf-8", errors="replace").strip().lstrip("\ufeff").strip()
    if not text:
        raise GatewayResponseError("Empty reply from 123-SMS")
    if text.startswith("{"):
        return Reply(_json_fields(text), text, "json")
    if text.startswith("<"):
        try:
            return Reply(_xml_fields(text.encode()), text, "xml")
        except ValueError as err:  # lxml refuses some strings (e.g. control characters)
            raise GatewayResponseError(f"Malformed XML reply: {excerpt(text)!r}") from err
    bare = text.strip("\"'")
    if not _BARE_CODE.match(bare):
        raise GatewayResponseError(f"Unreadable reply: {excerpt(text)!r}")
    return Reply({"code": bare}, text, "bare")


def _amount(value: str) -> float | None:
    """A balance written in ASCII digits (``12``, ``12.5``, ``12,5``), or None."""
    value = value.strip()
    if not _AMOUNT.match(value):
        return None
    return float(value.replace(",", "."))


def _balance(reply: Reply) -> float:
    """The balance a ``solde/`` reply holds; an error is never read as a number.

    The doc calls the balance the "valeur retour" but shows no reply. A balance is read from a
    field named like one (``solde``...), or from a reply holding nothing but a number: then it is
    the balance even when it equals another function's code (82, 505...: R33), since solde/'s
    own codes are -1, -2, -3 and E501, E502, E505. A code next to a message and no balance
    (``{"code": "505", "message": "..."}``) is a return code, never a balance.

    Raises:
        AuthenticationError: the reply is a code that refuses the credentials.
        GatewayError: the reply is another documented error, or holds no balance.
    """
    code = reply.code
    if code in BALANCE_CODES:
        raise _error(code, BALANCE_CODES[code], reply.message)
    alone = reply.form == "bare" or set(reply.fields) <= {"code"}
    raw = next((reply.fields[key] for key in _BALANCE_KEYS if key in reply.fields), None)
    if raw is None and alone and code is not None:
        raw = code
    if raw is None and code in _CREDENTIAL_CODES:
        raise AuthenticationError(
            "The username or API key is not valid",
            provider_code=code,
            provider_message=reply.message,
        )
    amount = _amount(raw) if raw is not None else None
    if amount is None:
        raise GatewayResponseError(
            f"No balance in the reply: {excerpt(reply.raw)!r}",
            provider_code=code,
            provider_message=reply.message,
        )
    return amount


def parse_balance(body: bytes) -> float:
    """The balance of a ``solde/`` reply (for the fuzz and property tests: bytes in).

    Raises:
        GatewayError: see ``parse_reply`` and ``_balance``.
    """
    return _balance(parse_reply(body))


def parse_send_code(body: bytes) -> str:
    """The return code of a ``send/`` reply, checked to be one.

    Raises:
        GatewayResponseError: no code can be read from the reply.
    """
    return parse_reply(body).require_code()


# --- the message id ----------------------------------------------------------------------------
#
# 123-SMS returns no message id: a scheduled message is cancelled by sending its number, date
# and text again. Those stay in the integration's own store (``SmsGateway.message_store``, kept
# by delivery tracking), and the id the user sees is a short random one. Ids made before that
# carried the triple in base64 (``encode_message_id``); they still cancel.

_MAX_LEGACY_ID = 4096
_KEEP_AFTER = timedelta(days=1)
"""How long what a cancel needs is kept after the scheduled time (then it cannot be cancelled)."""
_PRUNE_EVERY = timedelta(minutes=1)
"""How often the store is scanned for what is past its day."""


def new_message_id() -> str:
    """A short id that says nothing of the message."""
    # What secrets.token_hex(6) gives (the system's random source), without its two calls.
    return f"{_MESSAGE_ID_PREFIX}{os.urandom(6).hex()}"


def encode_message_id(number: str, diff: str | None, message: str) -> str:
    """The long id of earlier versions, holding the number, the date and the text.

    Only kept to read ids already in users' stores and automations; new ids are short.
    """
    payload = json.dumps([number, diff, message], separators=(",", ":"), ensure_ascii=False)
    token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{_MESSAGE_ID_PREFIX}{token}"


def decode_message_id(message_id: str) -> tuple[str, str | None, str]:
    """The number, date (or None) and text a long id of ``encode_message_id`` holds.

    Raises:
        ValueError: the id was not made by ``encode_message_id`` (whatever it holds).
    """
    if not message_id.startswith(_MESSAGE_ID_PREFIX) or len(message_id) > _MAX_LEGACY_ID:
        raise ValueError("not a 123-SMS message id")
    token = message_id.removeprefix(_MESSAGE_ID_PREFIX)
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        data = _json_value(text)
    except (ValueError, GatewayResponseError) as err:
        raise ValueError("not a 123-SMS message id") from err
    match data:
        case [str(number), str(diff), str(message)] if _DIFF.fullmatch(diff):
            return number, diff, message
        case [str(number), None, str(message)]:
            return number, None, message
    raise ValueError("not a 123-SMS message id")


async def _bounded[T](calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run ``calls`` a few at a time, results in their order."""
    if len(calls) <= 1:  # most sends: no task, no semaphore
        return [await call() for call in calls]
    semaphore = asyncio.Semaphore(_CONCURRENCY)

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await call()

    return list(await asyncio.gather(*(run(call) for call in calls)))


def _test_mode_ignored(recipient: str, code: str) -> str:
    """Say, and log, that a send in test mode was answered as a real one (80 or 81).

    The doc also spells the test value ``0``: an account that reads it so sends for real.
    """
    _LOGGER.warning(
        "123-SMS answered %s (%s) to a send in test mode: a real SMS to %s was sent and billed",
        code,
        SEND_CODES[code].text,
        mask_number(recipient),
    )
    return (
        f"A real SMS was sent ({SEND_CODES[code].text}, code {code}) although test mode was "
        "asked; it is not sent again"
    )


def _diff_time(diff: str, timezone: ZoneInfo) -> datetime | None:
    """The moment a ``diff`` (``hhmmddmmyyyy`` in the account's zone) names, or None."""
    if not _DIFF.fullmatch(diff):
        return None
    try:
        return datetime.strptime(diff, _DIFF_FORMAT).replace(tzinfo=timezone)
    except ValueError:
        return None


def _unknown_outcome(error: GatewayError) -> str:
    words = f" («{error.provider_message}»)" if error.provider_message else ""
    return f"{error}{words}: the message may have been sent, so it is not sent again"


def _cancel_unknown(message_id: str, error: GatewayError) -> CancelResult:
    """A cancel whose answer does not say whether the message was deleted (R26)."""
    words = f" («{error.provider_message}»)" if error.provider_message else ""
    return CancelResult(
        message_id=message_id,
        canceled=None,
        error=f"{error}{words}: 123-SMS's answer does not say whether it was cancelled",
    )


def _may_have_been_sent(
    recipient: str, error: str, code: str | None, message_id: str | None = None
) -> RecipientResult:
    """A recipient whose outcome is unknown: taken as far as sending again goes (models.py)."""
    return RecipientResult(
        recipient=recipient,
        accepted=True,
        message_id=message_id,
        status=DeliveryStatus.UNKNOWN,
        error=error,
        error_code=code,
    )


class Sms123Gateway(SmsGateway):
    """A 123-SMS.net account.

    The doc takes two pairs of credentials, ``user`` + ``cleAPI`` (the API key) and ``email`` +
    ``pass`` (the account's password), without saying which the sign-up gives. ``username`` and
    ``password`` are tried as ``user`` + ``cleAPI`` first, on the read-only ``solde/``, then as
    ``email`` + ``pass`` if that pair was refused and the username is an e-mail address; the pair
    that opens the account is kept for every later call. Nothing is sent before one has.
    """

    provider = "sms123"
    title = "123-SMS.net"
    default_api_url = "https://www.123-sms.net/api/"
    default_region = "FR"
    timezone = ZoneInfo("Europe/Paris")
    capabilities = frozenset(
        {
            Capability.BALANCE,
            Capability.SCHEDULE,
            Capability.CANCEL,
            Capability.FLASH,
            Capability.TTS,
            Capability.TEST_MODE,
            Capability.CONTACTS,
        }
    )
    # The doc's 160-character limit holds only for accounts without the long-SMS option.
    max_length = None
    max_recipients = 29
    """One request per recipient, the first alone and then ``_CONCURRENCY`` at a time. When
    every request waits its whole timeout (``transport.DEFAULT_TIMEOUT``: 30 s, after a connect
    attempt of up to 5 s), and the first recipient also waits for the two ``solde/`` requests that
    find the pair of credentials, 29 recipients take 3 + 7 rounds of 35 s: under six minutes,
    the longest a send may keep its caller waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The pair of credentials is not known until the provider took one."""
        super().__init__(*args, **kwargs)
        self._pair: tuple[str, str] | None = None
        self._pair_lock = asyncio.Lock()
        self._pruned_at: datetime | None = None

    @property
    def credential_pair(self) -> tuple[str, str] | None:
        """The names the credentials travel under (``("user", "cleAPI")``...), once known."""
        return self._pair

    def _pairs(self) -> list[tuple[str, str]]:
        if "@" in self._username:
            return [_API_KEY_PAIR, _PASSWORD_PAIR]
        return [_API_KEY_PAIR]

    async def _post(self, path: str, pair: tuple[str, str], fields: Mapping[str, str]) -> Reply:
        """POST ``fields`` with the credentials under ``pair`` to one path and read the reply."""
        login, secret = pair
        body = {login: self._username, secret: self._password, **fields}
        reply = await transport.post(
            self._session,
            self.url(path),
            data=json_body(body),
            headers=_HEADERS,
            timeout=self._timeout,
        )
        return parse_reply(reply.body)

    async def _find_pair(self) -> float:
        """Ask ``solde/`` with each pair until one opens the account; keep it.

        Returns:
            The balance that reply held.

        Raises:
            AuthenticationError: every pair was refused (the first refusal is raised).
            GatewayError: the provider failed or answered something else (no pair is kept).
        """
        async with self._pair_lock:
            refused: AuthenticationError | None = None
            for pair in self._pairs():
                if self._pair is not None and pair != self._pair:
                    continue
                try:
                    balance = _balance(await self._post("solde/", pair, {}))
                except AccessDeniedError:
                    raise
                except AuthenticationError as err:
                    refused = refused or err
                    continue
                if self._pair is None:
                    _LOGGER.debug("123-SMS takes the credentials as %s + %s", *pair)
                self._pair = pair
                return balance
            self._pair = None
            raise refused or AuthenticationError("No pair of credentials to try")

    async def _call(self, path: str, fields: Mapping[str, str]) -> Reply:
        """POST ``fields`` with the credentials to one documented path and read the reply.

        The first call of an account finds which pair of credentials it takes (on ``solde/``).

        Raises:
            GatewayConnectionError: with ``request_sent`` False when only the search for the
                pair failed: the call itself was never made.
        """
        if self._pair is None:
            try:
                await self._find_pair()
            except GatewayConnectionError as err:
                raise GatewayConnectionError(
                    f"{err.message}; the request was not made",
                    request_sent=False,
                    provider_code=err.provider_code,
                    provider_message=err.provider_message,
                ) from err
            except GatewayResponseError:
                # solde/ gave no balance: the pair is not known; the first one is used.
                pass
        return await self._post(path, self._pair or _API_KEY_PAIR, fields)

    @override
    def validate_sender(self, sender: str) -> str:
        """Check a sender as the doc does: "il ne doit pas dépasser 11 caractères" (R27).

        A length only, every character counting (a ``+`` too); which characters 123-SMS takes
        it does not say, so it decides (97 "le SENDER ID n'est pas valide").

        Raises:
            InvalidSenderError: more than 11 characters, or one no request can carry.
        """
        sender = sender.strip()
        check_printable_sender(sender)
        limit = self.max_sender_length or 0
        if len(sender) > limit:
            raise InvalidSenderError(
                f"The sender {sender!r} has {len(sender)} characters; 123-SMS takes at most "
                f"{limit}, a leading '+' included",
                reason=InvalidSenderError.TOO_LONG,
                limit=limit,
            )
        return sender

    def _wire_number(self, number: str) -> str:
        """A number as ``numero`` carries it: international digits without ``+``."""
        return e164_digits(to_e164(number, self.region))

    def _diff(self, when: datetime) -> str:
        """``when`` as ``diff`` carries it: ``hhmmddmmyyyy`` in Paris time (seconds dropped).

        Raises:
            SchedulingError: ``when`` has no time zone.
        """
        return self.local_time(when).strftime(_DIFF_FORMAT)

    # --- what a cancel needs ------------------------------------------------------------------

    def _remember(self, numero: str, diff: str | None, message: str) -> str:
        """A new short id; for a scheduled message, what its cancel sends is kept with it.

        Entries are dropped a day after their scheduled time (a day after the send for a
        message sent at once, which keeps no text: only that it cannot be cancelled).
        """
        now = datetime.now(UTC)
        self._forget_expired(now)
        message_id = new_message_id()
        when = _diff_time(diff, self.timezone) if diff is not None else None
        until = (when or now) + _KEEP_AFTER
        entry: dict[str, Any] = {"diff": None, "until": until.astimezone(UTC).isoformat()}
        if diff is not None:
            entry.update(numero=numero, diff=diff, message=message)
        self.message_store[message_id] = entry
        return message_id

    def _forget_expired(self, now: datetime) -> None:
        """Drop the entries past their day, at most once a minute.

        Scanning the whole store at every send made a busy account's sends quadratic.
        """
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        for known, stored in list(self.message_store.items()):
            until = stored_datetime(stored.get("until")) if isinstance(stored, dict) else None
            if until is None or until < now:
                del self.message_store[known]

    def _recall(self, message_id: str) -> tuple[str, str | None, str] | None:
        """The number, date and text a cancel of ``message_id`` sends; None if unknown."""
        entry = self.message_store.get(message_id)
        if isinstance(entry, dict):
            match entry.get("numero"), entry.get("diff"), entry.get("message"):
                case str(numero), str(diff), str(message) if _DIFF.fullmatch(diff):
                    return numero, diff, message
                case _, None, _:
                    return "", None, ""
        try:
            return decode_message_id(message_id)
        except ValueError:
            return None

    # --- sending -----------------------------------------------------------------------------

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """One request per recipient: the first alone, then the others a few at a time.

        The first request shows whether the account can send at all; if it cannot, that error is
        raised and nobody else is tried. After that every recipient gets its own result.
        """
        sms = prepared.sms
        fields = {"message": sms.message}
        if sms.send_at is not None:
            fields["diff"] = self._diff(sms.send_at)
        if sms.flash:
            fields["flash"] = "o"
        if prepared.sender:
            fields["senderid"] = prepared.sender
        if sms.tts:
            fields["TTS"] = "o"
        if sms.test:
            fields["test"] = "o"
        first, *others = prepared.recipients
        results = [await self._send_to(first, fields, first=True, others=len(others))]
        if others:
            results += await _bounded(
                [partial(self._send_to, recipient, fields, first=False) for recipient in others]
            )
        return SendResult(messages=tuple(results), info=prepared.info)

    def _unknown(
        self,
        recipient: str,
        numero: str,
        fields: Mapping[str, str],
        error: GatewayError,
        *,
        first: bool,
        others: int,
    ) -> RecipientResult:
        """The request reached 123-SMS but its answer says nothing readable of the message.

        A scheduled one gets an id all the same, so that it can be cancelled if it was taken.

        Raises:
            SendOutcomeUnknownError: for the first recipient (the others are not tried).
        """
        diff = fields.get("diff")
        reference = self._remember(numero, diff, fields["message"]) if diff else None
        text = _unknown_outcome(error)
        if reference:
            text += f"; if it was scheduled, it can be cancelled as {reference}"
        if first:
            if others:
                text += f"; the {others} other recipient(s) were not tried"
            raise SendOutcomeUnknownError(
                f"123-SMS answered the send to {recipient} in a way that does not say whether "
                f"it was sent ({text})",
                reference=reference,
                provider_code=error.provider_code,
                provider_message=error.provider_message,
            ) from error
        return _may_have_been_sent(recipient, text, error.provider_code, reference)

    async def _send_to(
        self, recipient: str, fields: Mapping[str, str], *, first: bool, others: int = 0
    ) -> RecipientResult:
        """Send to one recipient; only the first raises, and only for a whole-account refusal."""
        numero = e164_digits(recipient)
        try:
            reply = await self._call("send/", {**fields, "numero": numero})
        except GatewayConnectionError as err:
            if not err.request_sent:
                if first:
                    raise
                return RecipientResult(
                    recipient=recipient,
                    accepted=False,
                    status=DeliveryStatus.FAILED,
                    error=f"Not sent: {err}",
                    error_code=err.provider_code,
                )
            if first:
                raise
            return _may_have_been_sent(recipient, _unknown_outcome(err), err.provider_code)
        except GatewayResponseError as err:
            return self._unknown(recipient, numero, fields, err, first=first, others=others)
        code = reply.code
        spec = SEND_CODES.get(code) if code is not None else None
        if code is None or spec is None:
            error = GatewayResponseError(
                f"Undocumented return code {code}" if code else "No return code in the reply",
                provider_code=code,
                provider_message=reply.message or excerpt(reply.raw),
            )
            return self._unknown(recipient, numero, fields, error, first=first, others=others)
        if spec.status is not None:
            return self._accepted(recipient, numero, fields, code, spec.status)
        if code in _MAY_HAVE_GONE:
            # -2 "Erreur technique" and 101 "Info : ..." do not say whether the message left
            # (R24, R33): never refused, never sent again. After -2 the others are not tried.
            said = _error(code, spec, reply.message)
            if code == _INFO_BLOCKED:
                return _may_have_been_sent(recipient, _unknown_outcome(said), code)
            return self._unknown(recipient, numero, fields, said, first=first, others=others)
        if first and spec.error is not None:
            raise _error(code, spec, reply.message)
        return RecipientResult(
            recipient=recipient,
            accepted=False,
            status=DeliveryStatus.FAILED,
            error=spec.text,
            error_code=code,
        )

    def _accepted(
        self,
        recipient: str,
        numero: str,
        fields: Mapping[str, str],
        code: str,
        status: DeliveryStatus,
    ) -> RecipientResult:
        """A recipient the provider took, with a short id (none for a test send)."""
        diff = fields.get("diff") if code == "81" else None
        message_id = (
            None if code == _TEST_SEND_OK else self._remember(numero, diff, fields["message"])
        )
        test_ignored = "test" in fields and code in _REAL_SEND
        return RecipientResult(
            recipient=recipient,
            accepted=True,
            message_id=message_id,
            status=status,
            error=_test_mode_ignored(recipient, code) if test_ignored else None,
            error_code=code if test_ignored else None,
        )

    # --- cancelling --------------------------------------------------------------------------

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Delete scheduled messages by sending each again with ``diff`` + ``s``.

        Args:
            message_ids: ids from ``send`` of scheduled messages.

        Returns:
            One result per id, in order (94: deleted; 95: could not be deleted; an answer that
            does not say, ``canceled`` None). A cancel is a send: answered 80 or 81, it made a
            new message, which the result's ``created`` holds.

        Raises:
            AuthenticationError: the account was refused (on the first request; nothing else
                is tried).
            GatewayConnectionError: the provider could not be reached at all.
        """
        if not message_ids:
            return []
        first, *others = message_ids
        results = [await self._cancel_one(first, first=True)]
        results += await _bounded(
            [partial(self._cancel_one, message_id, first=False) for message_id in others]
        )
        return results

    async def _cancel_one(self, message_id: str, *, first: bool) -> CancelResult:
        known = self._recall(message_id)
        if known is None:
            return CancelResult(
                message_id=message_id,
                canceled=False,
                error="Not a 123-SMS message id, or one this account no longer knows",
            )
        numero, diff, message = known
        if diff is None:
            return CancelResult(
                message_id=message_id,
                canceled=False,
                error="The message was sent at once, not scheduled: nothing to cancel",
            )
        fields = {"numero": numero, "message": message, "diff": f"{diff}{_CANCEL_SUFFIX}"}
        try:
            reply = await self._call("send/", fields)
            code = reply.require_code()
        except GatewayConnectionError as err:
            if not err.request_sent:
                if first:
                    raise
                return CancelResult(message_id=message_id, canceled=False, error=str(err))
            return _cancel_unknown(message_id, err)
        except GatewayResponseError as err:
            return _cancel_unknown(message_id, err)  # R26: it may have been read either way
        if code == _CANCELED:
            self.message_store.pop(message_id, None)
            return CancelResult(message_id=message_id, canceled=True)
        if code in _REAL_SEND:
            return self._cancel_made_a_message(message_id, numero, diff, message, code)
        spec = SEND_CODES.get(code)
        if spec is None or code in _MAY_HAVE_GONE:
            # Undocumented, "Erreur technique" or "Info": the answer does not say (R26).
            text = spec.text if spec else f"Undocumented return code {code}"
            error = GatewayResponseError(text, provider_code=code, provider_message=reply.message)
            return _cancel_unknown(message_id, error)
        if first and code in _ACCOUNT_CODES:
            raise _error(code, spec, reply.message)
        return CancelResult(message_id=message_id, canceled=False, error=f"{spec.text} ({code})")

    def _cancel_made_a_message(
        self, message_id: str, numero: str, diff: str, message: str, code: str
    ) -> CancelResult:
        """123-SMS read the cancel as a send (80: sent now; 81: scheduled): a second message."""
        recipient = f"+{numero}"
        status = SEND_CODES[code].status or DeliveryStatus.UNKNOWN
        fields = {"message": message, "diff": diff}
        created = self._accepted(recipient, numero, fields, code, status)
        when = _diff_time(diff, self.timezone) if code == "81" else None
        what = (
            f"scheduled a new message for {when:%Y-%m-%d %H:%M} ({self.timezone.key})"
            if when
            else "sent a new message now"
        )
        _LOGGER.warning(
            "123-SMS answered %s to the cancel of %s: it %s (%s) instead of deleting it",
            code,
            message_id,
            what,
            created.message_id,
        )
        error = (
            f"123-SMS did not delete it: it read the cancel as a send and {what} to {recipient} "
            f"(code {code}), id {created.message_id}"
        )
        if code == "81":
            error += "; cancel that one too"
        return CancelResult(
            message_id=message_id,
            canceled=False,
            error=error,
            created=SendResult(messages=(created,), info=analyze(message), send_at=when),
        )

    # --- the account -------------------------------------------------------------------------

    @override
    async def get_balance(self) -> Balance:
        """The credits left (``solde/``); the first call also finds the pair of credentials.

        Raises:
            AuthenticationError: the credentials were refused (E501, E502, E505...).
            GatewayConnectionError: the provider could not be reached or failed (-2).
            GatewayResponseError: the reply holds no balance (an error is never one).
        """
        if self._pair is None:
            return Balance(total=await self._find_pair())
        return Balance(total=_balance(await self._post("solde/", self._pair, {})))

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials by asking for the balance; nothing is sent.

        Raises:
            AuthenticationError: the provider refused them.
            GatewayConnectionError: the provider could not be reached.
        """
        return AccountInfo(account_id=self.account_id, balance=await self.get_balance())

    # --- the address book --------------------------------------------------------------------

    async def _address_book(self, path: str, fields: Mapping[str, str], success: str) -> None:
        reply = await self._call(path, fields)
        code = reply.require_code()
        if code == success:
            return
        spec = ADDRESS_BOOK_CODES.get(code)
        if spec is None or spec.error is None:
            raise GatewayResponseError(
                f"Unexpected return code {code} from {path}",
                provider_code=code,
                provider_message=reply.message,
            )
        raise _error(code, spec, reply.message)

    @override
    async def add_group(self, group: str) -> None:
        """Create a contact group (``group/add/``).

        Raises:
            GatewayError: the group exists already (513), or the call failed.
        """
        await self._address_book("group/add/", {"groupe": _group_name(group)}, "514")

    @override
    async def rename_group(self, group: str, new_name: str) -> None:
        """Rename a contact group (``group/upd/``).

        Raises:
            GatewayError: a group has the new name already (513), or the call failed.
        """
        fields = {"groupe": _group_name(group), "groupe_upd": _group_name(new_name)}
        await self._address_book("group/upd/", fields, "514")

    @override
    async def delete_group(self, group: str) -> None:
        """Delete an empty contact group (``group/del/``).

        Raises:
            GatewayError: the group still has contacts (515) or does not exist (517).
        """
        await self._address_book("group/del/", {"groupe": _group_name(group)}, "516")

    def _contact_fields(self, contact: Contact) -> dict[str, str]:
        """The contact's fields, its groups joined by ``--`` as ``contact/add/`` takes them."""
        if not contact.groups:
            raise GatewayError("A contact needs at least one group")
        fields = {
            "groupe": _GROUP_SEPARATOR.join(_group_name(group) for group in contact.groups),
            "numero": self._wire_number(contact.number),
        }
        optional = {
            "nom": contact.last_name,
            "prenom": contact.first_name,
            "societe": contact.company,
            "datea": contact.birthday.strftime("%d%m%y") if contact.birthday else None,
            "v1": contact.variables[0],
            "v2": contact.variables[1],
            "v3": contact.variables[2],
        }
        fields.update({key: value for key, value in optional.items() if value})
        return fields

    @override
    async def add_contact(self, contact: Contact) -> None:
        """Add a contact to one or more groups (``contact/add/``).

        Raises:
            InvalidRecipientError: the number is not valid.
            GatewayError: the number is in the group already (506), or the call failed.
        """
        await self._address_book("contact/add/", self._contact_fields(contact), "507")

    @override
    async def update_contact(self, number: str, contact: Contact) -> None:
        """Change the contact whose number is ``number`` in its group (``contact/upd/``).

        The doc's ``groupe`` is here the ONE group the contact is in, so ``contact.groups``
        must name exactly one; change a contact of several groups once per group.

        Raises:
            UnsupportedOperationError: ``contact.groups`` names more than one group (nothing
                is sent).
            InvalidRecipientError: a number is not valid.
            GatewayError: no group is named, or the call failed.
        """
        if len(contact.groups) > 1:
            raise UnsupportedOperationError(
                f"123-SMS changes a contact in one group at a time, not {len(contact.groups)} "
                f"({', '.join(contact.groups)}): update it once per group"
            )
        fields = {"numeroa": self._wire_number(number), **self._contact_fields(contact)}
        await self._address_book("contact/upd/", fields, "507")

    @override
    async def delete_contact(self, number: str, *, group: str | None = None) -> None:
        """Delete a contact from ``group``, or from every group (``contact/del/``).

        Raises:
            InvalidRecipientError: the number is not valid.
            GatewayError: no such contact (508), or not in that group (510).
        """
        fields = {"numero": self._wire_number(number)}
        if group is not None:
            fields["groupe"] = _group_name(group)
        await self._address_book("contact/del/", fields, "509")


def _group_name(name: str) -> str:
    """A group name as sent; ``--`` separates several groups, so it cannot be part of one.

    Raises:
        GatewayError: the name is empty or holds ``--``.
    """
    cleaned = name.strip()
    if not cleaned:
        raise GatewayError("A group name cannot be empty")
    if _GROUP_SEPARATOR in cleaned:
        raise GatewayError(f"A group name cannot contain {_GROUP_SEPARATOR!r}: {cleaned!r}")
    return cleaned
