"""SMSFactor API v2.2: XML documents POSTed to ``apiV2.php`` (send) and ``getDr.php`` (reports).

Every request is one XML document in the form field ``XML``; every answer is HTTP 200 with a
``<response>`` whose ``<status>`` is 1 or a negative error code. All the recipients of a message
go in one request; each gets a reference of ours (``gsmsmsid``), and the provider answers with
one ``ticket`` for the whole send. A message id is therefore ``"{ticket}:{gsmsmsid}"``: the ticket
finds the send, the reference finds the recipient in the delivery report.

Received SMS are pushed to our webhook as the form field ``XML`` holding an ``<inbox>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
import logging
import secrets
from types import MappingProxyType
from typing import Final, override
from zoneinfo import ZoneInfo

from lxml import etree

from . import transport
from .base import PreparedSms, SmsGateway
from .encoding import analyze, is_gsm7
from .errors import (
    AuthenticationError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
    MessageRejectedError,
    SchedulingError,
)
from .models import (
    AccountInfo,
    Capability,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    InboundSms,
    MessageInfo,
    RecipientResult,
    SendResult,
)
from .numbers import e164_digits, from_provider
from .xml import excerpt, parse_xml

_LOGGER = logging.getLogger(__name__)

_SEND_PATH = "apiV2.php"
_REPORT_PATH = "getDr.php"
_OK = 1
_LOGIN_REFUSED = -1
_DELAY_FORMAT = "%Y-%m-%dT%H:%M:%S"
_INBOUND_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_NO_SUCH_TICKET = "0"
"""Tickets are positive numbers: asking for this one (and this reference) checks the login and
reads nothing."""
_REPORT_REQUESTS_AT_ONCE = 4
"""``getDr.php`` answers for one recipient per request: ask for a few at a time, not hundreds."""
_MAX_PUSH_BYTES = 64 * 1024
"""Far above a real inbox push, far below what Home Assistant would let through."""

DELIVERY_STATUSES: Final[Mapping[str, DeliveryStatus]] = MappingProxyType(
    {
        "NOT_SENT": DeliveryStatus.QUEUED,  # stored by SMSFactor, sent as soon as possible
        "SENT": DeliveryStatus.SENT,  # sent, no report from the network (yet)
        "DELIVERED": DeliveryStatus.DELIVERED,
        "NOT_DELIVERED": DeliveryStatus.FAILED,
        "NOT_ALLOWED": DeliveryStatus.FAILED,  # no message may go to this number
        "INVALID_DESTINATION_ADDRESS": DeliveryStatus.FAILED,
    }
)
"""The delivery statuses of ``getDr.php``; an empty or other value is ``unknown``."""

_SEND_ERRORS: Final[Mapping[int, tuple[type[GatewayError], str]]] = MappingProxyType(
    {
        -1: (AuthenticationError, "SMSFactor refused the username or password"),
        # Our document is built by lxml, so an "XML error" means the schema refused a value.
        -2: (MessageRejectedError, "SMSFactor refused the message as invalid"),
        -3: (InsufficientCreditsError, "Not enough SMSFactor credits for this message"),
        -4: (SchedulingError, "SMSFactor refused the send time"),
        -5: (InvalidRecipientError, "SMSFactor refused the list of recipients"),
        # -6 to -8 come from SMSFactor's newer API (see providers/NOTES.md).
        -6: (MessageRejectedError, "SMSFactor refused the message's format"),
        -7: (MessageRejectedError, "SMSFactor refused the message's data"),
        -8: (
            MessageRejectedError,
            "SMSFactor holds the message for moderation; do not send it again",
        ),
    }
)
_REPORT_ERRORS: Final[Mapping[int, tuple[type[GatewayError], str]]] = MappingProxyType(
    {
        -1: (AuthenticationError, "SMSFactor refused the username or password"),
        -2: (GatewayResponseError, "SMSFactor refused the delivery report request"),
    }
)


class SmsFactorGateway(SmsGateway):
    """A client for one SMSFactor account (API v2.2)."""

    provider = "smsfactor"
    title = "SMSFactor"
    default_api_url = "https://secure.smsfactor.com/API/"
    default_region = "FR"
    timezone = ZoneInfo("Europe/Paris")
    capabilities = frozenset(
        {
            Capability.CREDITS_FROM_SEND,
            Capability.SCHEDULE,
            Capability.FLASH,
            Capability.DELIVERY_STATUS,
            Capability.INBOUND_PUSH,
            Capability.BOOKMARK,
        }
    )
    max_length = 1120
    requires_sender = True

    @override
    def validate_sender(self, sender: str) -> str:
        """Check a sender: SMSFactor shows at most 11 letters or digits.

        A phone number (at most 11 digits, checked by the base class) is written as SMSFactor
        writes numbers, without its ``+``.

        Raises:
            InvalidSenderError: the sender is too long or has characters providers refuse.
        """
        return super().validate_sender(sender).removeprefix("+")

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        references = {recipient: secrets.token_hex(8) for recipient in prepared.recipients}
        try:
            root = await self._post(_SEND_PATH, self._send_document(prepared, references))
            status = _status(root)
        except GatewayResponseError as err:
            raise GatewayResponseError(
                f"{err.message}; the message may have been sent",
                provider_code=err.provider_code,
                provider_message=err.provider_message,
            ) from err
        if status != _OK:
            raise _error(status, root, _SEND_ERRORS)

        ticket = (root.findtext("ticket") or "").strip() or None
        send_at = prepared.sms.send_at
        state = (
            DeliveryStatus.SCHEDULED
            if send_at is not None and send_at > datetime.now(UTC)
            else DeliveryStatus.QUEUED
        )
        return SendResult(
            messages=tuple(
                RecipientResult(
                    recipient=recipient,
                    accepted=True,
                    # Without a ticket the message went out but cannot be followed.
                    message_id=f"{ticket}:{reference}" if ticket else None,
                    status=state,
                )
                for recipient, reference in references.items()
            ),
            info=_as_billed(prepared.info, prepared.sms.message),
            batch_id=ticket,
            credits_remaining=_number(root.findtext("credits")),
        )

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the login by asking for the report of a ticket that cannot exist.

        SMSFactor has no login call; ``getDr.php`` checks the login first and sends nothing.
        Only -1 says the login is wrong: a strict server may refuse the made-up ticket
        otherwise (-2), which still means it accepted the login.

        Returns:
            The account, identified by its username.

        Raises:
            AuthenticationError: SMSFactor refused the username or password.
            GatewayConnectionError: SMSFactor could not be reached.
            GatewayResponseError: SMSFactor answered something else than a report.
        """
        answer = await self._post(
            _REPORT_PATH, self._report_document(_NO_SUCH_TICKET, _NO_SUCH_TICKET)
        )
        status = _status(answer)
        if status == _LOGIN_REFUSED:
            raise _error(status, answer, _REPORT_ERRORS)
        _LOGGER.debug(
            "SMSFactor accepted the login; the probe report answered status %s (%s)",
            status,
            (answer.findtext("message") or "").strip(),
        )
        return AccountInfo(account_id=self.account_id)

    @override
    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """The delivery status of sent messages, one request per message, a few at a time.

        Args:
            message_ids: ids returned by ``send`` (``"{ticket}:{gsmsmsid}"``).

        Returns:
            One report per distinct id, in the order given; ``unknown`` while SMSFactor has none.

        Raises:
            GatewayError: an id is not an SMSFactor message id (nothing is asked then).
            AuthenticationError: SMSFactor refused the username or password.
            GatewayConnectionError, GatewayResponseError: SMSFactor could not be read.
        """
        wanted: dict[str, tuple[str, str]] = {}
        for message_id in message_ids:
            ticket, _, reference = message_id.partition(":")
            if not ticket or not reference:
                raise GatewayError(
                    f"{message_id!r} is not an SMSFactor message id (ticket:reference)"
                )
            wanted[message_id] = (ticket, reference)

        # The doc's getDr.php document names one <ticket> and, in its gsmsmsid attribute, "the
        # value you passed when sending": one recipient per request. They are reads, so a few
        # run at once; the first error stops the others.
        limit = asyncio.Semaphore(_REPORT_REQUESTS_AT_ONCE)

        async def report(message_id: str, ticket: str, reference: str) -> DeliveryReport:
            async with limit:
                rows = await self._delivery_rows(ticket, reference)
            return self._report(message_id, rows.get(reference))

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(report(message_id, ticket, reference))
                    for message_id, (ticket, reference) in wanted.items()
                ]
        except ExceptionGroup as errors:
            raise errors.exceptions[0] from None
        return [task.result() for task in tasks]

    @override
    def parse_inbound_push(self, form: Mapping[str, str]) -> list[InboundSms]:
        """Read the received SMS SMSFactor pushed: an ``<inbox>`` in the form field ``XML``.

        Args:
            form: the fields of the pushed form.

        Returns:
            Every ``<sms>`` of the inbox; SMSFactor gives them no id.

        Raises:
            GatewayResponseError: no ``XML`` field, or a hostile or malformed inbox (then
                nothing of it is returned).
        """
        document = form.get("XML")
        if not document:
            raise GatewayResponseError("The SMSFactor push has no XML field")
        root = _parse_push(document)
        if root.tag != "inbox":
            raise GatewayResponseError(f"The SMSFactor push is not an <inbox>: {root.tag!r}")
        return [self._inbound(sms) for sms in root.iter("sms")]

    # --- the wire ----------------------------------------------------------------------------

    async def _post(self, path: str, document: etree._Element) -> etree._Element:
        """POST one document and return the ``<response>`` element of the answer."""
        # The doc says only "send the XML by POST". The public clients (PHP and Ruby) all post it
        # as the form field XML=, which is what the PHP side reads ($_POST['XML']), and SMSFactor
        # pushes inbound SMS the same way; so we do too, URL-encoded by aiohttp.
        reply = await transport.post(
            self._session,
            self.url(path),
            data={"XML": etree.tostring(document, encoding="unicode")},
            timeout=self._timeout,
        )
        root = parse_xml(reply.body)
        if root.tag != "response":
            raise GatewayResponseError(f"Unexpected reply from SMSFactor: {excerpt(reply.body)!r}")
        return root

    def _authenticated(self, tag: str) -> etree._Element:
        """A document ``<tag>`` that starts with the account's login."""
        root = etree.Element(tag)
        login = etree.SubElement(root, "authentication")
        _add(login, "username", self._username)
        _add(login, "password", self._password)
        return root

    def _send_document(
        self, prepared: PreparedSms, references: Mapping[str, str]
    ) -> etree._Element:
        sms = prepared.sms
        root = self._authenticated("sms")
        message = etree.SubElement(root, "message")
        _add(message, "sender", prepared.sender or "")
        _add(message, "text", sms.message)
        _add(message, "isFlash", "1" if sms.flash else "0")
        _add(message, "type", "bookmark" if sms.bookmark_url else "longSMS")
        if sms.bookmark_url:
            _add(message, "bookmark", sms.bookmark_url)
        if sms.send_at is not None:
            _add(message, "delay", self.local_time(sms.send_at).strftime(_DELAY_FORMAT))
        recipients = etree.SubElement(root, "recipients")
        for recipient, reference in references.items():
            _add(recipients, "gsm", e164_digits(recipient), gsmsmsid=reference)
        return root

    def _report_document(self, ticket: str, reference: str) -> etree._Element:
        root = self._authenticated("deliveryreport")
        message = etree.SubElement(root, "message")
        _add(message, "ticket", ticket, gsmsmsid=reference)
        return root

    async def _delivery_rows(self, ticket: str, reference: str) -> dict[str, etree._Element]:
        """The ``<gsm>`` rows of one recipient's delivery report, by reference."""
        answer = await self._post(_REPORT_PATH, self._report_document(ticket, reference))
        status = _status(answer)
        if status != _OK:
            raise _error(status, answer, _REPORT_ERRORS)
        return {(row.get("gsmsmsid") or "").strip(): row for row in answer.iter("gsm")}

    def _report(self, message_id: str, row: etree._Element | None) -> DeliveryReport:
        if row is None:
            return DeliveryReport(
                message_id=message_id, status=DeliveryStatus.UNKNOWN, provider_status=""
            )
        # The doc's row is <gsm number="" gsmsmsid="" /> and does not show where the status
        # goes: read the element's text, else a status attribute.
        provider_status = (row.text or "").strip() or (row.get("status") or "").strip()
        return DeliveryReport(
            message_id=message_id,
            status=DELIVERY_STATUSES.get(provider_status, DeliveryStatus.UNKNOWN),
            provider_status=provider_status,
            recipient=from_provider(row.get("number") or "", self.region) or None,
        )

    def _inbound(self, sms: etree._Element) -> InboundSms:
        date = _attribute(sms, "date")
        try:
            received_at = datetime.strptime(date, _INBOUND_DATE_FORMAT).replace(
                tzinfo=self.timezone
            )
        except ValueError as err:
            raise GatewayResponseError(f"Unreadable date in the SMSFactor push: {date!r}") from err
        return InboundSms(
            sender=from_provider(_attribute(sms, "from"), self.region),
            recipient=from_provider(_attribute(sms, "to"), self.region),
            message=sms.text or "",
            received_at=received_at,
        )


def _add(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    """Append ``<tag>text</tag>``; lxml does the escaping."""
    try:
        element = etree.SubElement(parent, tag, attributes)
        element.text = text
    except ValueError as err:  # control characters (e.g. form feed) XML 1.0 cannot carry
        raise MessageRejectedError(f"The {tag} has characters SMSFactor cannot receive") from err
    return element


def _status(root: etree._Element) -> int:
    text = (root.findtext("status") or "").strip()
    try:
        return int(text)
    except ValueError:
        raise GatewayResponseError(f"SMSFactor's reply has no status: {text!r}") from None


def _error(
    status: int, root: etree._Element, errors: Mapping[int, tuple[type[GatewayError], str]]
) -> GatewayError:
    """The error for a status other than 1, with SMSFactor's own code and text."""
    error, text = errors.get(status, (GatewayResponseError, "SMSFactor answered an unknown error"))
    provider_message = (root.findtext("message") or "").strip() or None
    if provider_message:
        text = f"{text}: {provider_message}"
    return error(text, provider_code=str(status), provider_message=provider_message)


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").strip())
    except ValueError:
        return None


def _as_billed(info: MessageInfo, text: str) -> MessageInfo:
    """How SMSFactor sends the text: always in GSM 7-bit.

    Its doc says every character outside GSM 03.38 becomes the nearest one (``ë`` -> ``e``), so
    a text is never sent (nor billed) as UCS-2; each such character is counted as one septet.
    """
    if info.encoding is Encoding.GSM7:
        return info
    return analyze("".join(char if is_gsm7(char) else "?" for char in text))


def _parse_push(document: str) -> etree._Element:
    try:
        return parse_xml(document, max_bytes=_MAX_PUSH_BYTES)
    except GatewayResponseError:
        if '\\"' not in document:
            raise
    # The doc's own example was logged from PHP with its quotes escaped (date=\"...\"): read that
    # form too, without touching a document that parses as it is.
    return parse_xml(document.replace('\\"', '"'), max_bytes=_MAX_PUSH_BYTES)


def _attribute(sms: etree._Element, name: str) -> str:
    """An attribute of ``<sms>``, without the stray backslashes and spaces of the doc's example."""
    value = " ".join((sms.get(name) or "").replace("\\", " ").split())
    if not value:
        raise GatewayResponseError(f"An <sms> of the SMSFactor push has no {name!r}")
    return value
