"""123-SMS.net (France): a JSON object POSTed to one URL per function under ``api_url``.

What the doc (16/12/2024) says, and what the vendor's own example clients add:
- Every call is a POST with ``Content-Type`` and ``Accept`` set to ``application/json``;
  the credentials travel in the body as ``user`` + ``cleAPI``, or as ``email`` + ``pass`` (the
  doc's other pair) when the username is an e-mail address.
- ``senderid`` "ne doit pas dépasser 11 caractères": a ``+`` counts as one of them.
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
from datetime import datetime
from functools import partial
import json
import logging
import re
from typing import override
from zoneinfo import ZoneInfo

from lxml import etree

from . import transport
from .base import PreparedSms, SmsGateway
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
)
from .numbers import e164_digits, to_e164
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
_TEST_SEND_OK = "92"
_REAL_SEND = frozenset({"80", "81"})
_CANCELED = "94"


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
    "-2": _Code("Technical error at 123-SMS; try again later", GatewayConnectionError),
    "80": _Code("Sent", status=DeliveryStatus.QUEUED),
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
    "101": _Code("The number is blocked or blacklisted"),
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
_BARE_CODE = re.compile(r"^-?[A-Za-z]?[0-9]+(?:[.,][0-9]+)?$")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a reply said, whatever its form: its values by lower-case name."""

    fields: Mapping[str, str]
    raw: str

    @property
    def code(self) -> str | None:
        """The return code, under the first name that holds one."""
        for key in _CODE_KEYS:
            value = self.fields.get(key, "").strip()
            if value and _BARE_CODE.match(value):
                return value
        return None

    @property
    def message(self) -> str | None:
        """The provider's text beside the code, if it sent one."""
        for key in _MESSAGE_KEYS:
            if self.fields.get(key):
                return self.fields[key]
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


def _scalar(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _json_fields(text: str) -> dict[str, str]:
    """The scalar values of a JSON object (``text`` starts with ``{``)."""
    try:
        data: dict[str, object] = json.loads(text)
    except ValueError as err:
        raise GatewayResponseError(f"Malformed JSON reply: {excerpt(text)!r}") from err
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
    return {
        etree.QName(element).localname.lower(): (element.text or "").strip() for element in leaves
    }


def parse_reply(body: bytes) -> Reply:
    """Read a reply in whichever form it comes: a bare code, a JSON object, an XML document.

    Raises:
        GatewayResponseError: the reply is empty or none of these (with a short excerpt).
    """
    text = body.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if not text:
        raise GatewayResponseError("Empty reply from 123-SMS")
    if text.startswith("{"):
        fields = _json_fields(text)
    elif text.startswith("<"):
        fields = _xml_fields(body.strip())
    else:
        bare = text.strip("\"'")
        if not _BARE_CODE.match(bare):
            raise GatewayResponseError(f"Unreadable reply: {excerpt(text)!r}")
        fields = {"code": bare}
    return Reply(fields, text)


def _balance(reply: Reply) -> float:
    """The balance a ``solde/`` reply holds.

    Raises:
        GatewayError: the reply is a documented error code, or holds no number.
    """
    code = reply.code
    if code is not None and code in BALANCE_CODES:
        raise _error(code, BALANCE_CODES[code], reply.message)
    value = next((reply.fields[key] for key in _BALANCE_KEYS if key in reply.fields), code)
    try:
        return float((value or "").replace(",", "."))
    except ValueError:
        raise GatewayResponseError(
            f"No balance in the reply: {excerpt(reply.raw)!r}", provider_code=code
        ) from None


# --- the message id ----------------------------------------------------------------------------


def encode_message_id(number: str, diff: str | None, message: str) -> str:
    """An opaque id holding what a cancel must send again: the number, the date and the text.

    123-SMS identifies a scheduled message by that triple alone and returns no id of its own.
    """
    payload = json.dumps([number, diff, message], separators=(",", ":"), ensure_ascii=False)
    token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{_MESSAGE_ID_PREFIX}{token}"


def decode_message_id(message_id: str) -> tuple[str, str | None, str]:
    """The number, date (or None) and text an id of ``encode_message_id`` holds.

    Raises:
        ValueError: the id was not made by ``encode_message_id``.
    """
    if not message_id.startswith(_MESSAGE_ID_PREFIX):
        raise ValueError("not a 123-SMS message id")
    token = message_id.removeprefix(_MESSAGE_ID_PREFIX)
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    match data:
        case [str(number), str(diff), str(message)] if _DIFF.match(diff):
            return number, diff, message
        case [str(number), None, str(message)]:
            return number, None, message
    raise ValueError("not a 123-SMS message id")


async def _bounded[T](calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run ``calls`` a few at a time, results in their order."""
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
        recipient,
    )
    return (
        f"A real SMS was sent ({SEND_CODES[code].text}, code {code}) although test mode was "
        "asked; it is not sent again"
    )


def _unknown_outcome(error: GatewayError) -> str:
    return f"{error}: the message may have been sent, so it is not sent again"


class Sms123Gateway(SmsGateway):
    """A 123-SMS.net account.

    ``username`` is the account's ``user`` and ``password`` its API key (``cleAPI``), or, when
    the username is an e-mail address, the account's ``email`` and its ``pass``word: the doc
    takes either pair.
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

    async def _call(self, path: str, fields: Mapping[str, str]) -> Reply:
        """POST ``fields`` with the credentials to one documented path and read the reply."""
        body = {**self._credentials(), **fields}
        reply = await transport.post(
            self._session,
            self.url(path),
            data=json.dumps(body).encode(),
            headers=_HEADERS,
            timeout=self._timeout,
        )
        return parse_reply(reply.body)

    def _credentials(self) -> dict[str, str]:
        """``email`` + ``pass`` for an e-mail address, else ``user`` + ``cleAPI``."""
        if "@" in self._username:
            return {"email": self._username, "pass": self._password}
        return {"user": self._username, "cleAPI": self._password}

    @override
    def validate_sender(self, sender: str) -> str:
        """Check a sender as the base does, and that it has at most 11 characters, ``+`` included.

        Raises:
            InvalidSenderError: the sender is too long or has characters 123-SMS refuses.
        """
        sender = super().validate_sender(sender)
        if len(sender) > self.max_sender_length:
            raise InvalidSenderError(
                f"The sender {sender!r} has {len(sender)} characters; 123-SMS takes at most "
                f"{self.max_sender_length}, a leading '+' included"
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
        results = [await self._send_to(first, fields, first=True)]
        results += await _bounded(
            [partial(self._send_to, recipient, fields, first=False) for recipient in others]
        )
        return SendResult(messages=tuple(results), info=prepared.info)

    async def _send_to(
        self, recipient: str, fields: Mapping[str, str], *, first: bool
    ) -> RecipientResult:
        """Send to one recipient; only the first raises, and only for a whole-account refusal."""
        numero = e164_digits(recipient)
        try:
            reply = await self._call("send/", {**fields, "numero": numero})
            code = reply.require_code()
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
            return RecipientResult(
                recipient=recipient,
                accepted=False,
                status=DeliveryStatus.UNKNOWN,
                error=_unknown_outcome(err),
                error_code=err.provider_code,
            )
        except GatewayResponseError as err:
            return RecipientResult(
                recipient=recipient,
                accepted=False,
                status=DeliveryStatus.UNKNOWN,
                error=_unknown_outcome(err),
            )
        spec = SEND_CODES.get(code)
        if spec is None:
            return RecipientResult(
                recipient=recipient,
                accepted=False,
                status=DeliveryStatus.UNKNOWN,
                error=_unknown_outcome(GatewayResponseError(f"Undocumented return code {code}")),
                error_code=code,
            )
        if spec.status is not None:
            message_id = (
                None
                if code == _TEST_SEND_OK
                else encode_message_id(numero, fields.get("diff"), fields["message"])
            )
            test_ignored = "test" in fields and code in _REAL_SEND
            return RecipientResult(
                recipient=recipient,
                accepted=True,
                message_id=message_id,
                status=spec.status,
                error=_test_mode_ignored(recipient, code) if test_ignored else None,
                error_code=code if test_ignored else None,
            )
        if first and spec.error is not None:
            raise _error(code, spec, reply.message)
        return RecipientResult(
            recipient=recipient,
            accepted=False,
            status=DeliveryStatus.FAILED,
            error=spec.text,
            error_code=code,
        )

    # --- cancelling --------------------------------------------------------------------------

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Delete scheduled messages by sending each again with ``diff`` + ``s``.

        Args:
            message_ids: ids from ``send`` of scheduled messages.

        Returns:
            One result per id, in order (94: deleted; 95: could not be deleted).

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
        try:
            numero, diff, message = decode_message_id(message_id)
        except ValueError:
            return CancelResult(
                message_id=message_id, canceled=False, error="Not a 123-SMS message id"
            )
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
            if first and not err.request_sent:
                raise
            return CancelResult(message_id=message_id, canceled=False, error=str(err))
        except GatewayResponseError as err:
            return CancelResult(message_id=message_id, canceled=False, error=str(err))
        if code == _CANCELED:
            return CancelResult(message_id=message_id, canceled=True)
        spec = SEND_CODES.get(code, _Code(f"Undocumented return code {code}"))
        if first and code in _ACCOUNT_CODES:
            raise _error(code, spec, reply.message)
        return CancelResult(message_id=message_id, canceled=False, error=f"{spec.text} ({code})")

    # --- the account -------------------------------------------------------------------------

    @override
    async def get_balance(self) -> Balance:
        """The credits left (``solde/``).

        Raises:
            AuthenticationError: the credentials were refused (E501, E502, E505).
            GatewayConnectionError: the provider could not be reached or failed (-2).
            GatewayResponseError: the reply holds no balance.
        """
        return Balance(total=_balance(await self._call("solde/", {})))

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
