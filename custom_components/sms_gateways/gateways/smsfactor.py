"""SMSFactor API v2.2: XML documents POSTed to ``apiV2.php`` (send) and ``getDr.php`` (reports).

Every request is one XML document in the form field ``XML``; every answer is HTTP 200 with a
``<response>`` whose ``<status>`` is 1 or a negative error code. All the recipients of a message
go in one request; each gets a reference of ours (``gsmsmsid``), and the provider answers with
one ``ticket`` for the whole send. A message id is therefore ``"{ticket}:{gsmsmsid}"``: the ticket
finds the send, the reference finds the recipient in the delivery report.

Received SMS are pushed to our webhook as the form field ``XML`` holding an ``<inbox>``.

Every reader here is total: any bytes give a model or a ``GatewayError``. Where the doc leaves an
answer open (``shared/providers/READINGS.md`` R9 to R11) the adapter stays safe under each reading:
the time zone is the account's option (Paris by default); a ``getDr.php`` row's status is read from
its text, a ``status`` attribute or a ``<status>`` child, and is ``unknown`` when it has none; a
send answered -5 may have reached the other recipients, so it is never called refused. And R27 to
R34: the sender is held to "11 caractères alphanumériques", the text to 1,120 characters as
typed (a server counting septets refuses the rest itself); a server that reads the raw body, not
the ``XML`` field, is found by its -2 and spoken to so from then on (see "the wire"); status words
are read in any case, and a row that names no reference is the recipient's only where it surely
is (the answer's only row, or the only one with its number).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
import logging
import os
import re
from types import MappingProxyType
from typing import Final, override
from urllib.parse import quote_plus
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
    InvalidTextError,
    MessageRejectedError,
    SchedulingError,
    SendOutcomeUnknownError,
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
from .numbers import e164_digits, from_provider, mask_numbers
from .xml import MAX_XML_BYTES, check_xml, child_text, excerpt, parse_xml

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
_MAX_PUSH_BYTES = 4 * 1024 * 1024
"""As large as the webhook lets a push be: an inbox SMSFactor posts after an outage may hold
every SMS it kept meanwhile (the doc sets no bound), and one refused is lost."""
_STATUS = re.compile(r"[+-]?[0-9]{1,9}", re.ASCII)
_CREDITS = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?", re.ASCII)
_TICKET = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
"""The doc calls the ticket a number; anything that could break ``ticket:reference`` is refused."""
_INBOUND_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)
_MAX_NUMBER = 32
"""Longer than any phone number or alphanumeric sender: such a field is not one."""
_MAX_PROVIDER_STATUS = 64
_RECIPIENTS_ERROR = -5
_MODERATION = -8
_XML_ERROR = -2
_FORM = "form"
_RAW = "raw"
_RAW_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
_KEEP_NUMBERS = timedelta(days=3)
"""How long a recipient's number is kept by message id: longer than tracking follows one."""
_PRUNE_EVERY = timedelta(minutes=1)

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

SEND_ERRORS: Final[Mapping[int, tuple[type[GatewayError], str]]] = MappingProxyType(
    {
        -1: (AuthenticationError, "SMSFactor refused the username or password"),
        # Our document is built by lxml, so an "XML error" means the schema refused a value.
        -2: (MessageRejectedError, "SMSFactor refused the message as invalid"),
        -3: (InsufficientCreditsError, "Not enough SMSFactor credits for this message"),
        -4: (SchedulingError, "SMSFactor refused the send time"),
        # -5 "the list of recipients has an error" does not say the others were not sent, and
        # -8 (moderation) means SMSFactor kept the message: both are an unknown outcome.
        # -6 and -7 come from SMSFactor's newer API (see providers/NOTES.md).
        -6: (MessageRejectedError, "SMSFactor refused the message's format"),
        -7: (MessageRejectedError, "SMSFactor refused the message's data"),
    }
)
_UNKNOWN_OUTCOMES: Final[Mapping[int, str]] = MappingProxyType(
    {
        _RECIPIENTS_ERROR: (
            "SMSFactor says the list of recipients has an error, without saying which; the "
            "message may have been sent to the others"
        ),
        _MODERATION: (
            "SMSFactor holds the message for moderation: it may still be sent, do not send it again"
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
    # "Limite : 1120 caractères": characters as typed, the doc's own count (R29); a server
    # that counts septets refuses the rest itself (-2), before anything is sent.
    max_length = 1120
    length_in_characters = True
    requires_sender = True
    # The quoted start of every send form, the login in it (see ``_send_form``).
    _form_head: str | None = None
    # How the server reads documents, once it answered one (R30, see "the wire").
    _body_form: str | None = None
    # When the numbers kept for reports were last pruned (see ``_remember_numbers``).
    _pruned_at: datetime | None = None

    @override
    def validate_sender(self, sender: str) -> str:
        """Check a sender: "Limite : 11 caractères alphanumériques" (the base class's rule).

        A phone number (at most 11 digits) is written as SMSFactor writes numbers, without its
        ``+``, which is not alphanumeric.

        Raises:
            InvalidSenderError: the sender is too long or has characters providers refuse.
        """
        return super().validate_sender(sender).removeprefix("+")

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        # secrets.token_hex(8) (the system's random source), without its two calls each.
        references = {recipient: os.urandom(8).hex() for recipient in prepared.recipients}
        if self._body_form == _RAW:
            body = await self._post_raw(_SEND_PATH, self._send_document(prepared, references))
        else:
            form = self._send_form(prepared, references)
            body = await self._post(_SEND_PATH, form)
            if self._body_form is None:
                body = await self._unless_unread(
                    _SEND_PATH, body, lambda: self._send_document(prepared, references)
                )
        result = self.read_send_reply(body, prepared, references)
        if result.batch_id is not None and len(references) > 1:
            self._remember_numbers(result)
        return result

    def _remember_numbers(self, result: SendResult) -> None:
        """Keep each recipient's number by message id, for reports that name no reference."""
        now = datetime.now(UTC)
        store = self.message_store
        if self._pruned_at is None or now - self._pruned_at > _PRUNE_EVERY:
            self._pruned_at = now
            for known, entry in list(store.items()):
                until = entry.get("until") if isinstance(entry, dict) else None
                if not isinstance(until, str) or until < now.isoformat():
                    del store[known]
        until = (now + _KEEP_NUMBERS).isoformat()
        for message in result.messages:
            if message.message_id is not None:
                store[message.message_id] = {
                    "number": e164_digits(message.recipient),
                    "until": until,
                }

    def _number_of(self, message_id: str) -> str | None:
        entry = self.message_store.get(message_id)
        number = entry.get("number") if isinstance(entry, dict) else None
        return number if isinstance(number, str) else None

    def read_send_reply(
        self, body: bytes, prepared: PreparedSms, references: Mapping[str, str]
    ) -> SendResult:
        """Read ``apiV2.php``'s answer to the send of ``prepared`` (total: any bytes).

        Args:
            body: the answer's bytes.
            prepared: the message sent.
            references: the ``gsmsmsid`` given to each recipient.

        Returns:
            Every recipient accepted, with ``"{ticket}:{gsmsmsid}"`` ids (none without a ticket).

        Raises:
            AuthenticationError, InsufficientCreditsError, SchedulingError,
                MessageRejectedError: a documented status that refuses the whole send.
            SendOutcomeUnknownError: an answer that cannot be read, -5, -8 or an undocumented
                status: the message may have been sent (``reference``: the ticket, if any).
        """
        try:
            root = _answer(body)
        except GatewayResponseError as err:
            raise _outcome_unknown(err.message, err) from err
        ticket = _ticket(root)
        try:
            status = _status(root)
        except GatewayResponseError as err:
            raise _outcome_unknown(err.message, err, reference=ticket) from err
        if status != _OK:
            if status in SEND_ERRORS:
                raise _error(status, root, SEND_ERRORS)
            # An undocumented code: quote SMSFactor, and never call the message refused.
            words = _UNKNOWN_OUTCOMES.get(status, "SMSFactor answered an undocumented status")
            provider_message = _message(root)
            raise SendOutcomeUnknownError(
                f"{words}: {provider_message}" if provider_message else words,
                reference=ticket,
                provider_code=str(status),
                provider_message=provider_message,
            )

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
            credits_remaining=_credits(root.get("credits")),
        )

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the login by asking for the report of a ticket that cannot exist.

        SMSFactor has no login call and the doc none better: ``getDr.php`` is the only call
        that sends nothing. Only -1 says the login is wrong: a strict server may refuse the
        made-up ticket otherwise (-2), which still means it accepted the login. Should it
        answer without checking the login at all (R10), a wrong password passes here, and the
        first send, answered -1, raises ``AuthenticationError``: that starts the reauth.

        Returns:
            The account, identified by its username.

        Raises:
            AuthenticationError: SMSFactor refused the username or password.
            GatewayConnectionError: SMSFactor could not be reached.
            GatewayResponseError: SMSFactor answered something else than a report.
        """
        answer = _answer(
            await self._exchange(
                _REPORT_PATH, self._report_document(_NO_SUCH_TICKET, _NO_SUCH_TICKET)
            )
        )
        status = _status(answer)
        if status == _LOGIN_REFUSED:
            raise _error(status, answer, _REPORT_ERRORS)
        _LOGGER.debug(
            "SMSFactor accepted the login; the probe report answered status %s (%s)",
            status,
            answer.get("message", "").strip(),
        )
        return AccountInfo(account_id=self.account_id)

    @override
    def status_request_key(self, message_id: str) -> str:
        """One ``getDr.php`` request per message."""
        return message_id

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
        # run at once. A refused login or an unreachable provider stops them all; one answer
        # that cannot be read only makes that message's status unknown (logged), unless no
        # answer at all could be read.
        limit = asyncio.Semaphore(_REPORT_REQUESTS_AT_ONCE)
        unreadable: list[GatewayResponseError] = []

        async def report(message_id: str, ticket: str, reference: str) -> DeliveryReport:
            async with limit:
                try:
                    body = await self._exchange(
                        _REPORT_PATH, self._report_document(ticket, reference)
                    )
                    return self.read_report_reply(
                        body, message_id, reference, self._number_of(message_id)
                    )
                except GatewayResponseError as err:
                    unreadable.append(err)
                    _LOGGER.warning(
                        "SMSFactor's delivery report of %s could not be read; skipped: %s",
                        mask_numbers(message_id),
                        mask_numbers(err),
                    )
                    return DeliveryReport(
                        message_id=message_id,
                        status=DeliveryStatus.UNKNOWN,
                        provider_status=(err.provider_code or "")[:_MAX_PROVIDER_STATUS],
                    )

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(report(message_id, ticket, reference))
                    for message_id, (ticket, reference) in wanted.items()
                ]
        except ExceptionGroup as errors:
            raise errors.exceptions[0] from None
        if unreadable and len(unreadable) == len(tasks):
            raise unreadable[0]
        return [task.result() for task in tasks]

    @override
    def parse_inbound_push(self, form: Mapping[str, str]) -> list[InboundSms]:
        """Read the received SMS SMSFactor pushed: an ``<inbox>`` in the form field ``XML``.

        Args:
            form: the fields of the pushed form.

        Returns:
            Every readable ``<sms>`` of the inbox; SMSFactor gives them no id. One that cannot
            be read is skipped and logged (by its position: it has no id; never its text).

        Raises:
            GatewayResponseError: no ``XML`` field, a hostile or malformed inbox (then nothing
                of it is returned), or not one of its ``<sms>`` could be read.
        """
        document = form.get("XML")
        if not isinstance(document, str) or not document:
            raise GatewayResponseError("The SMSFactor push has no XML field")
        root = _parse_push(document)
        if root.tag != "inbox":
            raise GatewayResponseError(
                f"The SMSFactor push is not an <inbox>: {excerpt(str(root.tag))!r}"
            )
        messages: list[InboundSms] = []
        errors: list[GatewayResponseError] = []
        records = list(root.iter("sms"))
        for position, sms in enumerate(records, start=1):
            try:
                messages.append(self._inbound(sms))
            except GatewayResponseError as err:
                errors.append(err)
                _LOGGER.warning(
                    "Received SMS %s of %s in an SMSFactor push could not be read; skipped: %s",
                    position,
                    len(records),
                    mask_numbers(err),
                )
        if errors and not messages:
            raise errors[0]
        return messages

    # --- the wire ----------------------------------------------------------------------------
    #
    # R30: the doc says "send the XML stream by POST" and names the field ``XML=`` only for the
    # pushes it makes. A document is posted in the field first (what public clients do); a
    # server that reads the raw body instead cannot read that form and answers -2 "Erreur XML",
    # which says nothing was read, so nothing was sent: the same document is then posted as the
    # raw body, once. The form the server answered is kept for every later request.

    async def _post(self, path: str, form: bytes) -> bytes:
        """POST one document's form (see ``_form``) and return the bytes of the answer."""
        reply = await transport.post(
            self._session,
            self.url(path),
            data=form,
            headers=transport.FORM_HEADERS,
            timeout=self._timeout,
        )
        return reply.body

    async def _post_raw(self, path: str, document: str) -> bytes:
        """POST one document as the raw body and return the bytes of the answer."""
        reply = await transport.post(
            self._session,
            self.url(path),
            data=document.encode("utf-8"),
            headers=_RAW_HEADERS,
            timeout=self._timeout,
        )
        return reply.body

    async def _exchange(self, path: str, document: str) -> bytes:
        """POST a document in the form the server reads (see above); the answer's bytes."""
        if self._body_form == _RAW:
            return await self._post_raw(path, document)
        body = await self._post(path, _form(document))
        if self._body_form is None:
            body = await self._unless_unread(path, body, lambda: document)
        return body

    async def _unless_unread(self, path: str, body: bytes, document: Callable[[], str]) -> bytes:
        """The answer to the form, or, if it is -2 (nothing read), to the raw document."""
        if not _unread(body):
            self._body_form = _FORM
            return body
        raw = await self._post_raw(path, document())
        if _unread(raw):
            return body  # -2 either way: the document itself is refused
        _LOGGER.debug("SMSFactor reads documents from the raw body, not the XML= field")
        self._body_form = _RAW
        return raw

    def _send_fields(
        self, prepared: PreparedSms, references: Mapping[str, str]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The send document's fields and (number, reference) pairs, their texts checked."""
        sms = prepared.sms
        fields = [
            ("sender", prepared.sender or ""),
            ("text", sms.message),
            ("isFlash", "1" if sms.flash else "0"),
            ("type", "bookmark" if sms.bookmark_url else "longSMS"),
        ]
        if sms.bookmark_url:
            fields.append(("bookmark", sms.bookmark_url))
        if sms.send_at is not None:
            fields.append(("delay", self.local_time(sms.send_at).strftime(_DELAY_FORMAT)))
        recipients = [
            (e164_digits(recipient), reference) for recipient, reference in references.items()
        ]
        _refuse_what_xml_cannot_carry(
            [
                ("username", self._username),
                ("password", self._password),
                *fields,
                *(("gsm", text) for recipient in recipients for text in recipient),
            ]
        )
        return fields, recipients

    def _send_form(self, prepared: PreparedSms, references: Mapping[str, str]) -> bytes:
        """The send form: the send document in the field ``XML``, its markup quoted once.

        ``quote_plus`` quotes each character alone, so the form is the document's pieces quoted
        one by one: the markup and the login are quoted once, the texts at each send (tests
        prove the bytes equal to the form of the document lxml writes, refusals too). Quoting
        the whole document at every send was a third of what writing it cost.
        """
        fields, recipients = self._send_fields(prepared, references)
        head = self._form_head
        if head is None:
            head = self._form_head = quote_plus(f"<sms>{self._authentication()}<message>")
        quoted = quote_plus
        parts = [head]
        for tag, text in fields:
            opening, closing = _QUOTED_TAGS[tag]
            parts += (opening, quoted(_escaped(text)), closing)
        parts.append(_QUOTED_RECIPIENTS)
        for number, reference in recipients:
            parts += (_QUOTED_GSM, quoted(_escaped_attribute(reference)), _QUOTED_GSM_TEXT)
            parts += (quoted(_escaped(number)), _QUOTED_GSM_END)
        parts.append(_QUOTED_END)
        return b"XML=" + "".join(parts).encode("ascii")

    def _send_document(self, prepared: PreparedSms, references: Mapping[str, str]) -> str:
        """The send document itself, as ``_send_form`` quotes it (tests prove the two equal)."""
        fields, recipients = self._send_fields(prepared, references)
        parts = [f"<sms>{self._authentication()}<message>"]
        parts += [f"<{tag}>{_escaped(text)}</{tag}>" for tag, text in fields]
        parts.append("</message><recipients>")
        parts += [
            f'<gsm gsmsmsid="{_escaped_attribute(reference)}">{_escaped(number)}</gsm>'
            for number, reference in recipients
        ]
        parts.append("</recipients></sms>")
        return "".join(parts)

    def _report_document(self, ticket: str, reference: str) -> str:
        _refuse_what_xml_cannot_carry(
            [
                ("username", self._username),
                ("password", self._password),
                ("ticket", reference),
                ("ticket", ticket),
            ]
        )
        return (
            f"<deliveryreport>{self._authentication()}<message>"
            f'<ticket gsmsmsid="{_escaped_attribute(reference)}">{_escaped(ticket)}</ticket>'
            "</message></deliveryreport>"
        )

    def _authentication(self) -> str:
        """The account's login, the first element of every document (its text checked)."""
        return (
            f"<authentication><username>{_escaped(self._username)}</username>"
            f"<password>{_escaped(self._password)}</password></authentication>"
        )

    def read_report_reply(
        self, body: bytes, message_id: str, reference: str, number: str | None = None
    ) -> DeliveryReport:
        """Read ``getDr.php``'s answer about one recipient (total: any bytes).

        The recipient's row is the one that names its reference. A server that writes no
        ``gsmsmsid`` in its rows (R34) would leave it unknown until tracking gives up, so a row
        without one is taken as the recipient's when it is the answer's only row (one reference
        was asked), or when its ``number`` is the recipient's.

        Args:
            body: the answer's bytes.
            message_id: the id the report is for.
            reference: the recipient's ``gsmsmsid``; rows of other recipients are ignored.
            number: the recipient's international digits, where known.

        Returns:
            The recipient's report; ``unknown`` when SMSFactor gives no row or no status.

        Raises:
            AuthenticationError: SMSFactor refused the username or password (-1).
            GatewayResponseError: the answer cannot be read, or is another error.
        """
        answer = _response(body)
        fields = _children(answer)
        status = _status(fields)
        if status != _OK:
            raise _error(status, fields, _REPORT_ERRORS)
        rows = list(answer.iter("gsm"))
        row = next((row for row in rows if (row.get("gsmsmsid") or "").strip() == reference), None)
        if row is None:
            row = _row_without_reference(rows, number)
        return self._report(message_id, row)

    def _report(self, message_id: str, row: etree._Element | None) -> DeliveryReport:
        if row is None:
            return DeliveryReport(
                message_id=message_id, status=DeliveryStatus.UNKNOWN, provider_status=""
            )
        # The doc's row is <gsm number="" gsmsmsid="" /> and does not show where the status
        # goes (R10): read the element's text, else a status attribute, else a <status>
        # child. A row without any is "unknown": no status is made up.
        provider_status = " ".join(
            (
                (row.text or "").strip()
                or (row.get("status") or "").strip()
                or (child_text(row, "status") or "").strip()
            ).split()
        )[:_MAX_PROVIDER_STATUS]
        return DeliveryReport(
            message_id=message_id,
            # The doc writes the words in capitals; a server may not (R34): any case.
            status=DELIVERY_STATUSES.get(provider_status.upper(), DeliveryStatus.UNKNOWN),
            provider_status=provider_status,
            recipient=self._number(row.get("number") or "") or None,
        )

    def _number(self, value: str) -> str:
        """A number SMSFactor wrote, in E.164 where it is one.

        Raises:
            GatewayResponseError: far too long to be a number or a sender.
        """
        value = value.strip()
        if len(value) > _MAX_NUMBER:
            raise GatewayResponseError(f"SMSFactor sent a number of {len(value)} characters")
        return from_provider(value, self.region)

    def _inbound(self, sms: etree._Element) -> InboundSms:
        """One ``<sms>`` of an inbox; its date is in the account's time zone (Paris).

        Raises:
            GatewayResponseError: a field is missing or unreadable.
        """
        date = _attribute(sms, "date")
        if not _INBOUND_DATE.fullmatch(date):
            raise GatewayResponseError(f"Unreadable date in the SMSFactor push: {excerpt(date)!r}")
        try:
            received_at = datetime.strptime(date, _INBOUND_DATE_FORMAT).replace(
                tzinfo=self.timezone
            )
            received_at.astimezone(UTC)  # a date at the edge of the calendar cannot be used
        except (ValueError, OverflowError) as err:
            raise GatewayResponseError(
                f"Unreadable date in the SMSFactor push: {excerpt(date)!r}"
            ) from err
        return InboundSms(
            sender=self._number(_attribute(sms, "from")),
            recipient=self._number(_attribute(sms, "to")),
            message=sms.text or "",
            received_at=received_at,
        )


# What lxml refuses in a text or an attribute: what XML 1.0 cannot carry.
# The fields of the document that hold what the user typed, by the name the user knows them by.
_TYPED_FIELDS = {"text": "message", "sender": "sender", "bookmark": "bookmark_url"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# The markup of a send document, quoted (see ``_send_form``).
_QUOTED_TAGS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        tag: (quote_plus(f"<{tag}>"), quote_plus(f"</{tag}>"))
        for tag in ("sender", "text", "isFlash", "type", "bookmark", "delay")
    }
)
_QUOTED_RECIPIENTS = quote_plus("</message><recipients>")
_QUOTED_GSM = quote_plus('<gsm gsmsmsid="')
_QUOTED_GSM_TEXT = quote_plus('">')
_QUOTED_GSM_END = quote_plus("</gsm>")
_QUOTED_END = quote_plus("</recipients></sms>")


def _ascii_digits(text: str, most: int) -> bool:
    """1 to ``most`` ASCII digits: what the regular expressions above take first, asked of str.

    Between two round trips a regular expression costs twice str's own tests, measured.
    """
    return text.isascii() and text.isdigit() and len(text) <= most


def _row_without_reference(
    rows: Sequence[etree._Element], number: str | None
) -> etree._Element | None:
    """The recipient's row among rows that name no reference (R34), or None if none is surely."""
    unnamed = [row for row in rows if not (row.get("gsmsmsid") or "").strip()]
    if number:
        by_number = [row for row in unnamed if _digits(row.get("number") or "") == number]
        if len(by_number) == 1:
            return by_number[0]
    return unnamed[0] if len(rows) == 1 and unnamed else None


def _digits(value: str) -> str:
    """The international digits of a number SMSFactor wrote (``33612...``, ``+33612...``)."""
    value = value.strip().removeprefix("+")
    return value.removeprefix("00") if len(value) <= _MAX_NUMBER else ""


def _form(document: str) -> bytes:
    """The form SMSFactor reads: its one field ``XML`` carries the document."""
    return transport.form_body({"XML": document})


def _refuse_what_xml_cannot_carry(fields: Sequence[tuple[str, str]]) -> None:
    """Refuse, naming the first, a field with characters XML 1.0 cannot carry (as lxml does).

    Documents are written as text: building and serialising them with lxml was a quarter of
    what a send cost. Tests prove the text equal to lxml's for any text, and the refusals too.

    Raises:
        InvalidTextError: the first such character of what the user typed (its field, position
            and code point).
        MessageRejectedError: the first other such field, named by its tag.
    """
    joined = "".join([text for _tag, text in fields])
    if (joined.isascii() and joined.isprintable()) or not _NOT_XML.search(joined):
        return  # printable ASCII has none of them: str's own test, no regular expression
    for tag, text in fields:
        if (found := _NOT_XML.search(text)) is None:
            continue
        if (field := _TYPED_FIELDS.get(tag)) is not None:
            code = f"U+{ord(found.group()):04X}"
            raise InvalidTextError(
                f"The {field} has a character SMSFactor cannot receive at position "
                f"{found.start() + 1} ({code}: XML 1.0 cannot carry it)",
                field=field,
                position=found.start() + 1,
                character=code,
            )
        raise MessageRejectedError(f"The {tag} has characters SMSFactor cannot receive")


def _escaped(text: str) -> str:
    """A text as lxml writes it between tags."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _escaped_attribute(text: str) -> str:
    """A text as lxml writes it in a double-quoted attribute."""
    return _escaped(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _response(body: bytes) -> etree._Element:
    """The ``<response>`` element of an answer.

    Raises:
        GatewayResponseError: not XML, hostile, or not a ``<response>``.
    """
    root = parse_xml(body)
    if root.tag != "response":
        raise GatewayResponseError(f"Unexpected reply from SMSFactor: {excerpt(body)!r}")
    return root


def _children(root: etree._Element) -> dict[str, str]:
    """The text of each child element by tag, the first of each: ``child_text`` for every tag."""
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child.text or "")
    return fields


# A plain answer: each child a tag of letters around text with no reference, CDATA or carriage
# return; anything else is read by lxml.
_FAST_ANSWER = re.compile(
    rb"<\?xml version=(?:'1\.0'|\"1\.0\") encoding=(?:'UTF-8'|\"UTF-8\")\?>\n?"
    rb"<response>((?:<([A-Za-z]+)>[^<&\r]*</\2>)*)</response>\n?"
)
_FAST_FIELD = re.compile(r"<([A-Za-z]+)>([^<]*)<")
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fast_answer(body: bytes) -> dict[str, str] | None:
    """``_children`` of a plain answer's ``<response>``, read without lxml; None for the others.

    Declines what lxml might read otherwise: text that is not UTF-8 or not XML's, text made of
    blanks only (the parser drops blank text), ``]]>``. Tests prove the two equal.
    """
    match = _FAST_ANSWER.fullmatch(body)
    if match is None or b"]]>" in body:
        return None
    try:
        region = match.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # The markup around the texts has none; printable text (str's own test) has none either.
    if not region.isprintable() and _NOT_XML_TEXT.search(region):
        return None
    fields: dict[str, str] = {}
    for tag, text in _FAST_FIELD.findall(region):
        if text and not text.strip(" \t\n"):
            return None
        fields.setdefault(tag, text)
    return fields


def _answer(body: bytes) -> dict[str, str]:
    """The children of an answer's ``<response>`` by tag (see ``_children``).

    Raises:
        GatewayResponseError: not XML, hostile, or not a ``<response>``.
    """
    # What the fast reader reads cannot hold what ``check_xml`` refuses (its declaration is
    # UTF-8's, a text has no ``<`` and no NUL): only the size is checked before it.
    if len(body) <= MAX_XML_BYTES and (fast := _fast_answer(body)) is not None:
        return fast
    check_xml(body)
    return _children(_response(body))


def _unread(body: bytes) -> bool:
    """Whether an answer is -2 "Erreur XML": the server read no document."""
    try:
        return _status(_answer(body)) == _XML_ERROR
    except GatewayResponseError:
        return False


def _status(root: Mapping[str, str]) -> int:
    """The ``<status>`` code, in ASCII digits only (``int`` also takes ``1_0`` or Arabic digits).

    Raises:
        GatewayResponseError: no readable status.
    """
    text = root.get("status", "").strip()
    if not (_ascii_digits(text, 9) or _STATUS.fullmatch(text)):
        raise GatewayResponseError(f"SMSFactor's reply has no status: {excerpt(text)!r}")
    return int(text)


def _message(root: Mapping[str, str]) -> str | None:
    """SMSFactor's own words in ``<message>``, if any."""
    return excerpt(root.get("message", ""), 300) or None


def _ticket(root: Mapping[str, str]) -> str | None:
    """The send's ticket, or None when there is none or it is not one."""
    text = root.get("ticket", "").strip()
    if not text:
        return None
    if not ((text.isascii() and text.isalnum() and len(text) <= 64) or _TICKET.fullmatch(text)):
        _LOGGER.warning("SMSFactor answered a ticket that is not one: %r", excerpt(text))
        return None
    return text


def _outcome_unknown(
    message: str, cause: GatewayError, *, reference: str | None = None
) -> SendOutcomeUnknownError:
    """The send reached SMSFactor, but its answer does not say what became of it."""
    return SendOutcomeUnknownError(
        f"{message}; the message may have been sent",
        reference=reference,
        provider_code=cause.provider_code,
        provider_message=cause.provider_message,
    )


def _error(
    status: int, root: Mapping[str, str], errors: Mapping[int, tuple[type[GatewayError], str]]
) -> GatewayError:
    """The error for a status other than 1, with SMSFactor's own code and text."""
    error, text = errors.get(status, (GatewayResponseError, "SMSFactor answered an unknown error"))
    provider_message = _message(root)
    if provider_message:
        text = f"{text}: {provider_message}"
    return error(text, provider_code=str(status), provider_message=provider_message)


def _credits(text: str | None) -> float | None:
    """The credits of a send answer; None when absent or not a plain number (never a guess)."""
    text = (text or "").strip()
    return float(text) if _ascii_digits(text, 15) or _CREDITS.fullmatch(text) else None


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
