"""Simulator of SMSFactor's XML API v2.2 (``apiV2.php``, ``getDr.php``, inbound pushes).

Strict per the doc: every answer is HTTP 200 with a ``<response>``; a document that does not
follow the doc gets its error code. Where the doc is vague this simulator decides:

- The document is read from the form field ``XML`` (what public clients send) or, failing a
  form, from the raw request body (R30, ``body``: only the field, or only the raw body).
- The sender, in the doc's words: "Limite : 11 caractères alphanumériques" (ASCII letters and
  digits, 1 to 11 of them); the text: "Limite : 1120 caractères", counted in characters (R29,
  ``text_limit``: in septets, an extension character of GSM 03.38 counting two). Beyond
  either, -2 (Erreur XML): both are limits of the document's schema (``smsfactor.xsd``).
- Credits are debited per recipient per part: one part up to 160 septets, else parts of 153
  (the doc's rule; SMSFactor turns every text into GSM 7-bit, an extension character costing
  two septets), counted by ``billing.bill``.
- ``getDr.php`` takes one ``<ticket>`` whose ``gsmsmsid`` "must hold the value you passed when
  sending" (the doc): the login is checked first (-1, unless ``getdr_auth=unchecked``), then a
  missing or empty ``gsmsmsid`` is refused with -2 (Erreur XML), as the schema would. The answer
  holds the ``<gsm>`` rows of that ticket sent with that reference (``getdr_rows=ticket``: every
  row of the ticket). An unknown ticket gets status 1 and no ``<gsm>`` (the doc: "no status yet,
  try again later"; ``getdr_unknown`` plays -2 or -99 instead), so a recipient sent without a
  reference cannot be followed.
- A ``<gsm>`` row of ``getDr.php`` carries the status as its text (the doc's row shows none;
  ``getdr_status`` puts it in an attribute, a ``<status>`` child, or nowhere), in the doc's
  capitals (R34, ``getdr_case``: lower case, or capitalised), with the reference
  (``getdr_reference=missing``: rows without ``gsmsmsid``).
- Status -5 refuses the whole send (``minus5=others_sent``: the valid recipients are sent).
- ``delay`` and the inbox's ``date`` are Paris time (``timezone`` plays UTC or London).
- An account whose ``extra["answer_status"]`` is set answers every send with that status (for
  codes a correct client cannot provoke: -2, -4, and -6, -7, -8, -99 of the newer API).

Where the doc allows more than one answer, the simulator plays each (``READINGS`` below, R9 to
R11, R29, R30 and R34 of ``shared/providers/READINGS.md``): ``--variant
smsfactor.getdr_status=attribute`` and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from lxml import etree

from .billing import bill
from .provider import ProviderSim, Push
from .readings import Reading
from .state import PARIS, Account, SimInbound, SimMessage, is_refused

PREFIX = "/smsfactor/API/"
OK = 1
MAX_SENDER = 11
MAX_TEXT = 1120
EXTENSION = "\f^{}\\[~]|€"
"""GSM 03.38's extension table: two septets each (escape + character)."""
DELAY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

MESSAGES = {
    1: "Message envoyé",
    -1: "Le login et le mot de passe ne correspondent pas.",
    -2: "Erreur XML",
    -3: "Le nombre de crédits n'est pas suffisant",
    -4: "La date différée n'est pas correcte",
    -5: "La liste des destinataires contient une erreur.",
    -6: "Erreur JSON",
    -7: "Erreur de données",
    -8: "Votre campagne est en cours de modération",
    -99: "Erreur inconnue",
}
REPORT_STATUSES = {
    "scheduled": "NOT_SENT",
    "queued": "NOT_SENT",
    "sent": "SENT",
    "delivered": "DELIVERED",
    "failed": "NOT_DELIVERED",
    "expired": "NOT_DELIVERED",
    "invalid": "INVALID_DESTINATION_ADDRESS",
}
"""Our lifecycle in getDr.php's words; any other state has no report yet (empty)."""


ZONES = {"paris": PARIS, "utc": ZoneInfo("UTC"), "london": ZoneInfo("Europe/London")}
"""The time zones R9 can play, by reading name."""

READINGS = (
    Reading(
        "timezone",
        tuple(ZONES),
        "R9: the time zone of <delay> and of the inbox's date, which the doc does not name "
        "(paris: Europe/Paris; utc; london: Europe/London).",
    ),
    Reading(
        "getdr_status",
        ("text", "attribute", "attribute_missing", "element"),
        "R10: where getDr.php puts a recipient's status, which the doc's <gsm number gsmsmsid/> "
        'row does not show (text: the row\'s text; attribute: status="..."; '
        "attribute_missing: no status at all, the doc's row as written; element: a <status> "
        "child).",
    ),
    Reading(
        "getdr_rows",
        ("reference", "ticket"),
        "R10: which rows getDr.php answers (reference: the recipient whose gsmsmsid was asked; "
        "ticket: every recipient of the ticket).",
    ),
    Reading(
        "getdr_unknown",
        ("empty", "refused", "undocumented"),
        "R10: getDr.php asked about a ticket it does not know (empty: status 1 and no row; "
        "refused: status -2; undocumented: a code of no table, -99).",
    ),
    Reading(
        "getdr_auth",
        ("checked", "unchecked"),
        "R10: whether getDr.php checks the login before answering (unchecked: any password "
        "gets an answer, so only a send can prove the credentials wrong).",
    ),
    Reading(
        "text_limit",
        ("characters", "septets"),
        'R29: "Limite : 1120 caractères" (characters: as typed; septets: GSM 03.38 septets, '
        "an extension character such as € counting two). Beyond it: -2.",
    ),
    Reading(
        "body",
        ("either", "form", "raw"),
        "R30: how a document is posted (the doc names the XML= field only for its pushes). "
        "either: the field XML of a form, else the raw body; form: only the field (a raw body "
        "is -2); raw: only the raw body (a form is not XML: -2).",
    ),
    Reading(
        "getdr_case",
        ("upper", "lower", "capitalized"),
        "R34: the case of getDr.php's status words (upper: DELIVERED as the doc writes them; "
        "lower: delivered; capitalized: Delivered).",
    ),
    Reading(
        "getdr_reference",
        ("echoed", "missing"),
        "R34: whether getDr.php's rows carry the gsmsmsid asked for (echoed) or not "
        "(missing: <gsm number> only, so a row is known by its number or by being alone).",
    ),
    Reading(
        "minus5",
        ("whole_refused", "others_sent"),
        'R11: status -5 "the list of recipients has an error" (whole_refused: nothing is sent; '
        "others_sent: the valid recipients are sent and billed, the answer keeps its ticket).",
    ),
)


class RefusalError(Exception):
    """A request the provider answers with an error status."""

    def __init__(
        self, status: int, detail: str | None = None, *, fields: dict[str, str] | None = None
    ) -> None:
        """Keep the status, for -2 what is wrong, and fields the answer still holds."""
        super().__init__(status)
        self.status = status
        self.fields = fields or {}
        text = MESSAGES.get(status, MESSAGES[-99])
        self.message = f"{text} : {detail}" if detail else text


@dataclass(frozen=True, slots=True)
class Recipient:
    """One ``<gsm>`` of a send."""

    number: str
    reference: str


def parts(text: str) -> int:
    """How many SMS SMSFactor bills for ``text``: GSM 03.38 only, others replaced (the doc)."""
    return bill(text, gsm_only=True).parts


def answer(status: int, message: str, *children: etree._Element, **fields: str) -> web.Response:
    """The ``<response>`` document, always with HTTP 200."""
    root = etree.Element("response")
    etree.SubElement(root, "status").text = str(status)
    etree.SubElement(root, "message").text = message
    for tag, value in fields.items():
        etree.SubElement(root, tag).text = value
    root.extend(children)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return web.Response(body=body, content_type="text/xml", charset="utf-8")


async def read_document(request: web.Request, root_tag: str, body: str) -> etree._Element:
    """The posted document, where R30 reads it (``body``).

    ``form``: the form field ``XML``; ``raw``: the raw body; ``either``: the field of a form,
    else the raw body.
    """
    is_form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    if body == "form" or (body == "either" and is_form):
        field = (await request.post()).get("XML") if is_form else None
        if not isinstance(field, str) or not field.strip():
            raise RefusalError(-2, "aucun flux XML")
        data = field.encode()
    else:
        data = await request.read()
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise RefusalError(-2, "DOCTYPE refusé")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as err:
        raise RefusalError(-2, str(err)) from None
    if root is None or root.tag != root_tag:
        raise RefusalError(-2, f"l'élément racine doit être <{root_tag}>")
    return root


def text_of(parent: etree._Element, path: str) -> str:
    """The text of ``path`` under ``parent``, stripped ('' when absent)."""
    return (parent.findtext(path) or "").strip()


class SmsFactorSim(ProviderSim):
    """SMSFactor's send and delivery report calls, and its inbound pushes."""

    key = "smsfactor"
    readings = READINGS

    def routes(self) -> list[web.RouteDef]:
        """The two documented endpoints; the doc requires POST for both."""
        return [
            web.post(f"{PREFIX}apiV2.php", self._send),
            web.post(f"{PREFIX}getDr.php", self._delivery_report),
        ]

    def demo_accounts(self) -> list[Account]:
        """A working account with 100 credits and one with none."""
        return [
            Account(self.key, "demo@example.com", "demo-password", credits=100),
            Account(self.key, "empty@example.com", "empty-password", credits=0),
        ]

    def inbound_push(self, inbound: SimInbound) -> Push:
        """``XML=<inbox><sms from to date><![CDATA[text]]></sms></inbox>``, as a form post."""
        inbox = etree.Element("inbox")
        sms = etree.SubElement(
            inbox,
            "sms",
            {
                "from": inbound.sender.removeprefix("+"),
                "to": inbound.recipient.removeprefix("+"),
                "date": inbound.received_at.astimezone(self._zone()).strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        # CDATA cannot hold "]]>"; such a text goes as escaped text instead.
        sms.text = inbound.text if "]]>" in inbound.text else etree.CDATA(inbound.text)
        document = etree.tostring(inbox, encoding="unicode")
        return Push(
            body=urlencode({"XML": document}).encode(),
            content_type="application/x-www-form-urlencoded",
        )

    def _zone(self) -> ZoneInfo:
        return ZONES[self.reading("timezone")]

    @staticmethod
    def _login(root: etree._Element) -> tuple[str, str]:
        login = root.find("authentication")
        if login is None:
            raise RefusalError(-2, "<authentication> manquant")
        return text_of(login, "username"), text_of(login, "password")

    def _account(self, root: etree._Element) -> Account:
        """The account of the document's login.

        Raises:
            RefusalError: -2 without a login, -1 for a wrong one.
        """
        account = self.state.account(self.key, *self._login(root))
        if account is None:
            raise RefusalError(-1)
        return account

    def _report_account(self, root: etree._Element) -> Account | None:
        """The account getDr.php answers for; R10 getdr_auth=unchecked ignores the password."""
        if self.reading("getdr_auth") == "checked":
            return self._account(root)
        username, _ = self._login(root)
        return self.state.accounts.get((self.key, username))

    # --- apiV2.php -----------------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        try:
            root = await read_document(request, "sms", self.reading("body"))
            return self._accept(self._account(root), root)
        except RefusalError as refusal:
            return answer(refusal.status, refusal.message, **refusal.fields)

    def _accept(self, account: Account, root: etree._Element) -> web.Response:
        forced = account.extra.get("answer_status")
        if forced is not None:
            raise RefusalError(int(forced))
        message = root.find("message")
        if message is None:
            raise RefusalError(-2, "<message> manquant")
        sender, text = text_of(message, "sender"), message.findtext("text") or ""
        if not sender:
            raise RefusalError(-2, "<sender> manquant")
        if len(sender) > MAX_SENDER or not (sender.isascii() and sender.isalnum()):
            raise RefusalError(-2, f"<sender> : {MAX_SENDER} caractères alphanumériques au plus")
        if not text.strip():
            raise RefusalError(-2, "<text> manquant")
        if self._text_length(text) > MAX_TEXT:
            raise RefusalError(-2, f"<text> dépasse {MAX_TEXT} caractères")
        flash = text_of(message, "isFlash") or "0"
        kind = text_of(message, "type") or "longSMS"
        bookmark = text_of(message, "bookmark")
        if flash not in ("0", "1"):
            raise RefusalError(-2, "<isFlash> vaut 0 ou 1")
        if kind not in ("longSMS", "bookmark") or (kind == "bookmark" and not bookmark):
            raise RefusalError(-2, "<type> vaut longSMS, ou bookmark avec un <bookmark>")
        scheduled_at = self._delay(text_of(message, "delay"))
        recipients, refused = self._recipients(root)
        if refused and self.reading("minus5") == "whole_refused":
            raise RefusalError(-5)

        cost = parts(text) * len(recipients)
        if cost > account.credits:
            raise RefusalError(-3)
        account.credits -= cost
        ticket = str(self.state.next_id())
        now = datetime.now(self._zone())
        scheduled = scheduled_at is not None and scheduled_at > now
        used: set[str] = set()
        for position, recipient in enumerate(recipients, start=1):
            key = recipient.reference
            if not key or key in used:
                key = f"#{position}"
            used.add(key)
            self.state.add_message(
                SimMessage(
                    message_id=f"{ticket}:{key}",
                    provider=self.key,
                    username=account.username,
                    recipient=recipient.number,
                    text=text,
                    sender=sender,
                    created_at=now,
                    status="scheduled" if scheduled else "queued",
                    scheduled_at=scheduled_at if scheduled else None,
                    batch_id=ticket,
                    segments=parts(text),
                    extra={
                        "gsmsmsid": recipient.reference,
                        "flash": flash == "1",
                        "type": kind,
                        "bookmark": bookmark or None,
                    },
                )
            )
        fields = {"ticket": ticket, "credits": f"{account.credits:g}"}
        if refused:  # R11 others_sent: the valid ones went out, the answer still says -5
            raise RefusalError(-5, fields=fields)
        return answer(OK, MESSAGES[OK], **fields)

    def _text_length(self, text: str) -> int:
        """The text's length as R29 counts it: characters, or septets."""
        if self.reading("text_limit") == "septets":
            return len(text) + sum(1 for char in text if char in EXTENSION)
        return len(text)

    def _delay(self, delay: str) -> datetime | None:
        """The send time in the zone R9 plays (Paris); a past time means now (the doc)."""
        if not delay:
            return None
        if not DELAY.match(delay):
            raise RefusalError(-4)
        try:
            return datetime.strptime(delay, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=self._zone())
        except ValueError:
            raise RefusalError(-4) from None

    @staticmethod
    def _recipients(root: etree._Element) -> tuple[list[Recipient], list[Recipient]]:
        """The valid recipients, and those refused (-5) as invalid or unknown numbers."""
        recipients = [
            Recipient((gsm.text or "").strip(), (gsm.get("gsmsmsid") or "").strip())
            for gsm in root.iterfind("recipients/gsm")
        ]
        refused = [r for r in recipients if not r.number.isdigit() or is_refused(r.number)]
        valid = [r for r in recipients if r not in refused]
        if not valid:
            raise RefusalError(-5)
        return valid, refused

    # --- getDr.php -----------------------------------------------------------------------------

    async def _delivery_report(self, request: web.Request) -> web.Response:
        try:
            root = await read_document(request, "deliveryreport", self.reading("body"))
            account = self._report_account(root)
            ticket, reference = self._ticket(root)
            messages = self._of_ticket(account, ticket)
            if not messages:
                self._unknown_ticket()
        except RefusalError as refusal:
            return answer(refusal.status, refusal.message)
        every_row = self.reading("getdr_rows") == "ticket"
        rows = [
            self._row(message)
            for message in messages
            if every_row or message.extra.get("gsmsmsid") == reference
        ]
        return answer(OK, "OK", *rows)

    def _of_ticket(self, account: Account | None, ticket: str) -> list[SimMessage]:
        if account is None:
            return []
        return [
            message
            for message in self.state.messages_of(self.key, account.username)
            if message.batch_id == ticket
        ]

    def _unknown_ticket(self) -> None:
        """R10: what getDr.php answers about a ticket it does not know."""
        match self.reading("getdr_unknown"):
            case "refused":
                raise RefusalError(-2, "ticket inconnu")
            case "undocumented":
                raise RefusalError(-99, "ticket inconnu")

    def _row(self, message: SimMessage) -> etree._Element:
        """A ``<gsm>`` row, its status where R10 puts it."""
        row = etree.Element("gsm", number=message.recipient)
        if self.reading("getdr_reference") == "echoed":
            row.set("gsmsmsid", message.extra.get("gsmsmsid", ""))
        status = REPORT_STATUSES.get(message.status, "")
        match self.reading("getdr_case"):
            case "lower":
                status = status.lower()
            case "capitalized":
                status = status.capitalize()
        match self.reading("getdr_status"):
            case "text":
                row.text = status
            case "attribute":
                row.set("status", status)
            case "element":
                etree.SubElement(row, "status").text = status
        return row

    @staticmethod
    def _ticket(root: etree._Element) -> tuple[str, str]:
        """The one ticket asked for, and the recipient reference passed when sending."""
        tickets = root.findall("message/ticket")
        if len(tickets) != 1 or not (tickets[0].text or "").strip():
            raise RefusalError(-2, "un <ticket> par requête")
        reference = (tickets[0].get("gsmsmsid") or "").strip()
        if not reference:
            raise RefusalError(-2, "l'attribut gsmsmsid doit contenir la référence de l'envoi")
        return (tickets[0].text or "").strip(), reference
