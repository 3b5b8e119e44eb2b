"""123-SMS.net: JSON or XML POSTed to ``/sms123/api/<function>/``, answered with a return code.

Strict where the doc is precise: POST only; ``Content-Type`` ``application/json`` (an object) or
``application/xml`` (an ``<sms>`` element with one child per parameter, no DOCTYPE); credentials
``user`` + ``cleAPI`` or ``email`` + ``pass``; each parameter checked with the doc's codes.

Choices where the doc is vague (it shows no reply body):
- The reply follows ``Accept``: JSON ``{"code": "80", "message": "..."}`` or XML
  ``<reponse><code>80</code><message>...</message></reponse>``. ``solde/`` answers the balance
  as its code (the doc calls the balance its return value) and again under ``solde``.
  A request whose ``Accept`` names neither format gets ``-1`` in plain text.
- Plain-text replies, as the older ``http.php`` gave: every reply when ``bare_replies`` is set,
  or an account's replies when its ``extra["reply_format"]`` is ``"bare"`` (``"json"`` and
  ``"xml"`` force those forms whatever ``Accept`` says).
- ``96`` (IP refused) is documented for ``send/`` only, so a blocked account can still read its
  balance and manage its contacts.
- Account options (``extra``): ``email`` and ``web_password`` (the ``email`` + ``pass`` pair,
  separate from ``user`` + ``cleAPI``), ``dom_tom`` (may send to the overseas departments, else
  93), ``sender_requires_stop`` (a custom sender needs ``stop SMS au 36177`` at the end, else
  102), ``next_codes`` (a list of codes the account's next requests answer, one each, after the
  credential check: for codes no request provokes).
- Test mode: ``test`` is ``o`` or ``0`` (the doc gives both); an account whose
  ``extra["test_value"]`` is ``"0"`` (or ``"o"``) reads only that one as test mode and sends
  the other for real (80).
- The readings (``READINGS``, R18-R22 of READINGS.md) play the other answers the doc allows:
  the reply's body, the two pairs of credentials, the test value, a cancel that matches
  nothing, the form of ``numero`` and the time zone of ``diff``.
- ``senderid``, in the doc's words: "il ne doit pas dépasser 11 caractères", a length only
  (every character counts, a ``+`` too); R27 (``sender``) plays a server that also wants
  letters and digits (or ``+`` and digits), else 97.
- A recipient whose number ends in ``2020`` gets ``-2`` "Erreur technique" (R24,
  ``technical_error``: nothing sent, or sent and billed all the same); one ending in ``1010``
  gets ``101`` "Info : le numéro de mobile est bloqué et/ou blacklisté" (R33, ``info_101``).
- ``solde/`` answers the balance itself, so a balance of 82 is the bare ``82`` (R33).
- A cancel (``diff`` + ``s``) that matches a scheduled message answers 94; R26
  (``cancel_answer``) plays a technical error (-2, kept), an undocumented code (deleted) or a
  reply that is no code at all (deleted).
- ``contact/upd/`` reads ``groupe`` as ONE group name (``--`` splits groups only in
  ``contact/add/``), so ``A--B`` there is a group that does not exist (517).
- A scheduled date more than two minutes in the past is refused with 85 like a malformed one;
  a cancel (``diff`` + ``s``) refunds the credits. Contacts must go into existing groups (517,
  the group code); updating an unknown contact answers 508 (documented for deletion only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from lxml import etree

from .billing import bill
from .provider import ProviderSim
from .readings import Reading
from .state import PARIS, Account, SimMessage, is_refused

UTC_ZONE = ZoneInfo("UTC")

PREFIX = "/sms123/api/"
KEY = "sms123"

TEXTS = {
    "-1": "Erreur : le format des données transmises est incorrect",
    "-2": "Erreur technique",
    "-3": "Erreur : l'url est incorrecte",
    "80": "Succès : le message a été envoyé",
    "81": "Succès : le message est enregistré pour un envoi en différé",
    "82": "Erreur : le login et/ou mot de passe n'est pas valide",
    "83": "Erreur : vous devez créditer le compte",
    "84": "Erreur : le numéro de GSM n'est pas valide",
    "85": "Erreur : le format d'envoi en différé n'est pas valide",
    "87": "Erreur : la valeur email est vide ou non valide",
    "88": "Erreur : la valeur pass est vide",
    "89": "Erreur : la valeur numero est vide",
    "90": "Erreur : la valeur message est vide",
    "91": "Erreur : le message a déjà été envoyé à ce numéro dans les 24 dernières heures",
    "92": "Succès : le test d'envoi est positif",
    "93": "Erreur : pour effectuer l'envoi de SMS vers les DOM TOM, vous devez activer l'option "
    "dans l'espace client",
    "94": "Succès : votre envoi en différé est supprimé",
    "95": "Erreur : votre envoi en différé n'a pas pu être supprimé",
    "96": "Erreur : votre adresse IP n'est pas valide",
    "97": "Erreur : le SENDER ID n'est pas valide",
    "101": "Info : le numéro de mobile est bloqué et/ou blacklisté",
    "102": "Erreur : le changement de SENDER ID vous oblige à rajouter « stop SMS au 36177 » à "
    "la fin de votre message",
    "E501": "Erreur : le paramètre « user » est vide",
    "E502": "Erreur : le paramètre « cleAPI » est vide",
    "E505": "Erreur : user et/ou cleAPI non valides",
    "501": "Erreur : le paramètre « email » est vide",
    "502": "Erreur : le paramètre « pass » est vide",
    "505": "Erreur : identifiant et/ou mot de passe non valides",
    "506": "Erreur : ce contact est déjà enregistré (au niveau du GSM) dans le groupe",
    "507": "Succès : le contact est enregistré",
    "508": "Erreur : ce contact n'existe pas dans la liste de vos contacts",
    "509": "Succès : le contact est supprimé",
    "510": "Erreur : ce contact n'existe pas dans le groupe indiqué",
    "513": "Erreur : le groupe est déjà enregistré",
    "514": "Succès : le groupe est enregistré",
    "515": "Erreur : suppression du groupe impossible : des contacts y sont associés",
    "516": "Succès : le groupe est supprimé",
    "517": "Erreur : le groupe à supprimer n'existe pas",
}

_MAX_SENDER = 11
"""senderid: "il ne doit pas dépasser 11 caractères"."""
_ALPHANUMERIC_SENDER = re.compile(r"^(?:[A-Za-z0-9]+|\+[0-9]+)$")
"""R27 alphanumeric: what a stricter server takes (the doc sets a length only)."""
# The doc gives test mode as "« o » ou vide" and as "« 0 »": both are read as test mode unless
# the account's ``test_value`` names the one it reads (the other then sends for real).
_TEST_VALUES = ("o", "0")
_NUMBER = re.compile(r"^\+?[0-9]{8,16}$")
_DIFF = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{4})$")
_DATEA = re.compile(r"^[0-9]{6}$")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_STOP = "stop sms au 36177"
_PAST_TOLERANCE = timedelta(minutes=2)
_DUPLICATE_WINDOW = timedelta(hours=24)
_GROUP_SEPARATOR = "--"
# Country codes of the overseas departments and territories, and the national prefixes of the
# departments (dialled from metropolitan France) with the country code each belongs to.
_DOM_TOM = ("262", "508", "590", "594", "596", "681", "687", "689")
_NATIONAL_DOM = {
    "0262": "262",
    "0269": "262",
    "0639": "262",
    "0692": "262",
    "0693": "262",
    "0590": "590",
    "0690": "590",
    "0691": "590",
    "0594": "594",
    "0694": "594",
    "0596": "596",
    "0696": "596",
    "0697": "596",
}
_FORMS = ("bare", "json", "xml")
_CONTACT_FIELDS = ("nom", "prenom", "societe", "datea", "v1", "v2", "v3")

type Params = dict[str, str]
type Outcome = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _CredentialCodes:
    """What an endpoint answers for a missing login, a missing key, and wrong credentials."""

    login: str
    key: str
    wrong: str


_SEND_CREDENTIALS = _CredentialCodes("87", "88", "82")
_SOLDE_CREDENTIALS = _CredentialCodes("E501", "E502", "E505")
_BOOK_CREDENTIALS = _CredentialCodes("501", "502", "505")


def international(numero: str) -> str | None:
    """A number as international digits (``33612345678``), or None if it is not one.

    Accepts ``+33...``, ``0033...``, ``33...`` and national French numbers (``06...``; the
    overseas departments' ``0692...`` get their own country code).
    """
    if not _NUMBER.match(numero):
        return None
    if numero.startswith("+"):
        digits = numero[1:]
    elif numero.startswith("00"):
        digits = numero[2:]
    elif numero.startswith("0"):
        if len(numero) != 10:
            return None
        digits = _NATIONAL_DOM.get(numero[:4], "33") + numero[1:]
    else:
        digits = numero
    if digits.startswith("0") or not 8 <= len(digits) <= 15:
        return None
    return digits


def _parse_diff(diff: str, zone: ZoneInfo = PARIS) -> datetime | None:
    """``hhmmddmmyyyy`` in ``zone`` (Paris time unless a reading says otherwise), or None."""
    match = _DIFF.fullmatch(diff)
    if match is None:
        return None
    hour, minute, day, month, year = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def _is_datea(value: str) -> bool:
    """Whether ``value`` is a date written ``jjmmaa`` (120268 for 12/02/1968)."""
    if not _DATEA.match(value):
        return False
    try:
        datetime.strptime(value, "%d%m%y")  # noqa: DTZ007  # a calendar date, no time zone
    except ValueError:
        return False
    return True


def _xml_params(body: bytes) -> Params | None:
    if _DOCTYPE.search(body):
        return None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or root.tag != "sms":
        return None
    params: Params = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if len(child):
            return None
        params[child.tag] = (child.text or "").strip()
    return params


def _json_params(body: bytes) -> Params | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    params: Params = {}
    for key, value in data.items():
        if value is None:
            params[key] = ""
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            params[key] = str(value)
        else:
            return None
    return params


READINGS = (
    Reading(
        "cedilla",
        ("ucs2", "gsm"),
        "R28: a lowercase ç (not in GSM 03.38's table, whose Ç is 0x09; 123-SMS's doc is "
        "silent). ucs2: the whole message is billed as UCS-2; gsm: ç is sent as the table's "
        "Ç, billed as GSM (100 of ç: 1 part).",
    ),
    Reading(
        "reply_body",
        ("json", "bare", "xml"),
        'R18: the doc shows no reply body. json: {"code", "message"} (solde/ adds "solde"); '
        "bare: the code (or the balance) in plain text, as the older http.php; xml: <reponse> "
        "with <code> and <message>. Whatever Accept asks for.",
    ),
    Reading(
        "credentials",
        ("separate", "email_login", "shared"),
        "R19: the two pairs. separate: user+cleAPI is the login name and the API key, "
        "email+pass the sign-up address and a separate web password; email_login: as separate, "
        'and user is the sign-up address ("Adresse saisie lors de votre inscription"); '
        "shared: email+pass opens the account with the API key too.",
    ),
    Reading(
        "test_value",
        ("both", "o", "0"),
        "R20: the doc gives test mode as « o » and as « 0 ». both: either is a test (92); "
        "o or 0: only that one is, the other sends for real (80).",
    ),
    Reading(
        "cancel_mismatch",
        ("refuse", "schedule", "send"),
        "R21: a cancel (diff + s) that matches no scheduled message. refuse: 95; schedule: it "
        "is read as a send at that date, a new scheduled message (81); send: sent now (80).",
    ),
    Reading(
        "numero",
        ("any", "international", "national"),
        "R22: the form of numero. any: 336..., +336..., 00336... or 06...; international: "
        "digits with the country code only; national: French 0X... only (others 84).",
    ),
    Reading(
        "diff_timezone",
        ("paris", "utc"),
        "R22: the time zone diff is read in (none is named). paris or utc.",
    ),
    Reading(
        "technical_error",
        ("not_sent", "sent"),
        'R24: -2 "Erreur technique" to a send (a recipient ending in 2020). not_sent: nothing '
        "left; sent: the message left and was billed all the same.",
    ),
    Reading(
        "cancel_answer",
        ("documented", "technical_error", "undocumented", "unreadable"),
        "R26: the answer to a cancel (diff + s) that matches a scheduled message. documented: "
        "94; technical_error: -2, the message stays scheduled; undocumented: deleted, answered "
        "99 (no table has it); unreadable: deleted, answered a body that is no code.",
    ),
    Reading(
        "sender",
        ("length", "alphanumeric"),
        'R27: senderid "ne doit pas dépasser 11 caractères". length: any text of up to 11 '
        "characters; alphanumeric: also only letters and digits, or + and digits (else 97).",
    ),
    Reading(
        "info_101",
        ("not_sent", "sent"),
        'R33: 101 "Info : le numéro de mobile est bloqué et/ou blacklisté" (a recipient ending '
        "in 1010), neither Succès nor Erreur. not_sent: nothing left; sent: it left, billed.",
    ),
)

_TECHNICAL_SUFFIX = "2020"
_BLOCKED_SUFFIX = "1010"


class Sms123Sim(ProviderSim):
    """The 123-SMS.net client API."""

    key = KEY
    readings = READINGS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Answer in the form ``Accept`` asks for, unless ``bare_replies`` is set."""
        super().__init__(*args, **kwargs)
        self.bare_replies = False

    def routes(self) -> list[web.RouteDef]:
        """The eight documented URLs (every method routed, so that a GET is answered -1)."""
        endpoints: dict[str, tuple[Callable[[Account, Params], Outcome], _CredentialCodes]] = {
            "send/": (self._send, _SEND_CREDENTIALS),
            "solde/": (self._solde, _SOLDE_CREDENTIALS),
            "group/add/": (self._group_add, _BOOK_CREDENTIALS),
            "group/upd/": (self._group_upd, _BOOK_CREDENTIALS),
            "group/del/": (self._group_del, _BOOK_CREDENTIALS),
            "contact/add/": (self._contact_add, _BOOK_CREDENTIALS),
            "contact/upd/": (self._contact_upd, _BOOK_CREDENTIALS),
            "contact/del/": (self._contact_del, _BOOK_CREDENTIALS),
        }
        return [
            web.route("*", f"{PREFIX}{path}", self._endpoint(handler, codes))
            for path, (handler, codes) in endpoints.items()
        ]

    def demo_accounts(self) -> list[Account]:
        """``demo`` (100 credits), ``empty`` (0), ``blocked`` (IP refused).

        Each has an API key (its ``password``, with ``user`` = its name) and a separate web
        password (``extra["web_password"]``, with ``email`` = ``extra["email"]``).
        """
        return [
            Account(
                KEY,
                name,
                f"{name}-password",
                balance,
                blocked_ip=name == "blocked",
                extra={"email": f"{name}@example.com", "web_password": f"{name}-web-password"},
            )
            for name, balance in (("demo", 100.0), ("empty", 0.0), ("blocked", 100.0))
        ]

    # --- the request and the reply -----------------------------------------------------------

    def _endpoint(
        self, handler: Callable[[Account, Params], Outcome], codes: _CredentialCodes
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            accept = request.headers.get("Accept", "")
            form = (
                "json"
                if "application/json" in accept
                else "xml"
                if "application/xml" in accept
                else None
            )
            played = self.reading("reply_body")
            if form is not None and played != "json":
                form = played
            if self.bare_replies:
                form = "bare"
            if form is None or request.method != "POST":
                return self._reply(form or "bare", "-1")
            body = await request.read()
            if request.content_type == "application/json":
                params = _json_params(body)
            elif request.content_type == "application/xml":
                params = _xml_params(body)
            else:
                params = None
            if params is None:
                return self._reply(form, "-1")
            account, refusal = self._authenticate(params, codes)
            if account is None:
                return self._reply(form, refusal)
            if not self.bare_replies and account.extra.get("reply_format") in _FORMS:
                form = account.extra["reply_format"]
            forced: list[str] = account.extra.get("next_codes") or []
            if forced:
                return self._reply(form, forced.pop(0))
            code, extra = handler(account, params)
            return self._reply(form, code, extra)

        return handle

    def _authenticate(self, params: Params, codes: _CredentialCodes) -> tuple[Account | None, str]:
        """The account the credentials open, or the code that refuses them."""
        by_email = "user" not in params and "email" in params
        login = params.get("email" if by_email else "user", "").strip()
        secret = params.get("pass" if by_email else "cleAPI", "")
        if not login or (by_email and "@" not in login and codes is _SEND_CREDENTIALS):
            return None, codes.login
        if not secret:
            return None, codes.key
        played = self.reading("credentials")
        for (provider, _), account in self.state.accounts.items():
            if provider != KEY:
                continue
            email = account.extra.get("email")
            if by_email:
                web = account.extra.get("web_password", account.password)
                keys = (web, account.password) if played == "shared" else (web,)
                if email == login and secret in keys:
                    return account, ""
            elif secret == account.password and (
                login == account.username or (played == "email_login" and login == email)
            ):
                return account, ""
        return None, codes.wrong

    def _reply(self, form: str, code: str, extra: Mapping[str, Any] | None = None) -> web.Response:
        message = TEXTS.get(code, "Solde du compte")
        if form == "json":
            return web.json_response({"code": code, "message": message, **(extra or {})})
        if form == "xml":
            root = etree.Element("reponse")
            for name, value in {"code": code, "message": message, **(extra or {})}.items():
                etree.SubElement(root, name).text = str(value)
            return web.Response(
                body=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                content_type="application/xml",
            )
        return web.Response(text=code, content_type="text/plain")

    # --- send/ -------------------------------------------------------------------------------

    def _send(self, account: Account, params: Params) -> Outcome:
        if account.blocked_ip:
            return "96", {}
        numero = params.get("numero", "").strip()
        message = params.get("message", "")
        if not numero:
            return "89", {}
        if not message.strip():
            return "90", {}
        number = self._numero(numero)
        if number is None or is_refused(number):
            return "84", {}
        if any(params.get(option, "o") not in ("o", "") for option in ("flash", "TTS")):
            return "-1", {}
        if params.get("test", "") not in ("", *_TEST_VALUES):
            return "-1", {}
        sender = params.get("senderid", "")
        if len(sender) > _MAX_SENDER or (
            sender
            and self.reading("sender") == "alphanumeric"
            and not _ALPHANUMERIC_SENDER.match(sender)
        ):
            return "97", {}
        if (
            sender
            and account.extra.get("sender_requires_stop")
            and not message.rstrip().lower().endswith(_STOP)
        ):
            return "102", {}
        now = datetime.now(PARIS)
        diff = params.get("diff", "")
        if diff.endswith("s"):
            code = self._cancel(account, number, message, diff.removesuffix("s"))
            played = self.reading("cancel_mismatch")
            if code == "94":
                return self._cancel_answer(account, number, message, diff.removesuffix("s"))
            if code != "95" or played == "refuse":
                return code, {}
            # Read as a send: at the date without its "s", or at once.
            diff = diff.removesuffix("s") if played == "schedule" else ""
        scheduled_at = None
        if diff:
            scheduled_at = _parse_diff(diff, self._diff_zone())
            if scheduled_at is None or scheduled_at < now - _PAST_TOLERANCE:
                return "85", {}
        answer = self._trouble(number)
        if answer is not None and not self._sent_all_the_same(answer):
            return answer, {}
        if number.startswith(_DOM_TOM) and not account.extra.get("dom_tom"):
            return "93", {}
        if self._is_duplicate(account, number, message, now):
            return "91", {}
        segments = bill(message, cedilla=self.reading("cedilla") == "gsm").parts
        if account.credits < segments:
            return "83", {}
        played = self.reading("test_value")
        test_values = (
            (account.extra["test_value"],)
            if "test_value" in account.extra
            else _TEST_VALUES
            if played == "both"
            else (played,)
        )
        if params.get("test", "") in test_values:
            return "92", {}
        account.credits -= segments
        self.state.add_message(
            SimMessage(
                message_id=str(self.state.next_id()),
                provider=KEY,
                username=account.username,
                recipient=f"+{number}",
                text=message,
                sender=sender or None,
                created_at=now,
                status="scheduled" if scheduled_at else "queued",
                scheduled_at=scheduled_at,
                segments=segments,
                extra={
                    "flash": params.get("flash") == "o",
                    "tts": params.get("TTS") == "o",
                    "diff": diff or None,
                },
            )
        )
        return answer or ("81" if scheduled_at else "80"), {}

    @staticmethod
    def _trouble(number: str) -> str | None:
        """-2 or 101 for the recipients that meet them (R24, R33), else None."""
        if number.endswith(_TECHNICAL_SUFFIX):
            return "-2"
        if number.endswith(_BLOCKED_SUFFIX):
            return "101"
        return None

    def _sent_all_the_same(self, code: str) -> bool:
        """Whether the message leaves although the answer is ``code`` (R24, R33)."""
        point = "technical_error" if code == "-2" else "info_101"
        return self.reading(point) == "sent"

    def _cancel_answer(self, account: Account, number: str, message: str, diff: str) -> Outcome:
        """R26: the answer to a cancel that deleted a scheduled message (94 by the doc)."""
        match self.reading("cancel_answer"):
            case "technical_error":
                self._uncancel(account, number, message, diff)
                return "-2", {}
            case "undocumented":
                return "99", {}
            case "unreadable":
                return "OK", {}
        return "94", {}

    def _uncancel(self, account: Account, number: str, message: str, diff: str) -> None:
        when = _parse_diff(diff, self._diff_zone())
        for sent in self.state.messages_of(KEY, account.username):
            if (
                sent.status == "canceled"
                and sent.recipient == f"+{number}"
                and (sent.text == message and sent.scheduled_at == when)
            ):
                sent.status = "scheduled"
                account.credits -= sent.segments
                return

    def _numero(self, numero: str) -> str | None:
        """The recipient as international digits, in the forms the ``numero`` reading takes."""
        played = self.reading("numero")
        if played == "international" and not (numero.isascii() and numero.isdigit()):
            return None
        if played == "international" and numero.startswith("0"):
            return None
        if played == "national" and not (numero.startswith("0") and len(numero) == 10):
            return None
        return international(numero)

    def _diff_zone(self) -> ZoneInfo:
        return UTC_ZONE if self.reading("diff_timezone") == "utc" else PARIS

    def _cancel(self, account: Account, number: str, message: str, diff: str) -> str:
        when = _parse_diff(diff, self._diff_zone())
        if when is None:
            return "85"
        for sent in self.state.messages_of(KEY, account.username):
            if (
                sent.status == "scheduled"
                and sent.recipient == f"+{number}"
                and sent.text == message
                and sent.scheduled_at == when
            ):
                sent.status = "canceled"
                account.credits += sent.segments
                return "94"
        return "95"

    def _is_duplicate(self, account: Account, number: str, message: str, now: datetime) -> bool:
        return any(
            sent.recipient == f"+{number}"
            and sent.text == message
            and sent.status != "canceled"
            and sent.created_at > now - _DUPLICATE_WINDOW
            for sent in self.state.messages_of(KEY, account.username)
        )

    # --- solde/ ------------------------------------------------------------------------------

    def _solde(self, account: Account, _params: Params) -> Outcome:
        # The balance is the reply ("Valeur retour : Solde du compte"), whatever code it equals.
        return f"{account.credits:g}", {"message": "Solde du compte", "solde": account.credits}

    # --- group/ and contact/ -----------------------------------------------------------------

    @staticmethod
    def _groups(account: Account) -> dict[str, dict[str, dict[str, str]]]:
        """The account's groups: name -> {international number -> contact fields}."""
        groups: dict[str, dict[str, dict[str, str]]] = account.extra.setdefault("groups", {})
        return groups

    def _group_add(self, account: Account, params: Params) -> Outcome:
        name = params.get("groupe", "").strip()
        groups = self._groups(account)
        if not name:
            return "-1", {}
        if name in groups:
            return "513", {}
        groups[name] = {}
        return "514", {}

    def _group_upd(self, account: Account, params: Params) -> Outcome:
        name = params.get("groupe", "").strip()
        new_name = params.get("groupe_upd", "").strip()
        groups = self._groups(account)
        if not name or not new_name:
            return "-1", {}
        if name not in groups:
            return "517", {}
        if new_name in groups and new_name != name:
            return "513", {}
        groups[new_name] = groups.pop(name)
        return "514", {}

    def _group_del(self, account: Account, params: Params) -> Outcome:
        name = params.get("groupe", "").strip()
        groups = self._groups(account)
        if not name:
            return "-1", {}
        if name not in groups:
            return "517", {}
        if groups[name]:
            return "515", {}
        del groups[name]
        return "516", {}

    @staticmethod
    def _contact_groups(params: Params) -> list[str] | None:
        """The groups of ``contact/add/``: one, or several joined by ``--``."""
        names = [name.strip() for name in params.get("groupe", "").split(_GROUP_SEPARATOR)]
        return names if all(names) else None

    @staticmethod
    def _contact(params: Params) -> dict[str, str] | None:
        contact = {key: params[key] for key in _CONTACT_FIELDS if params.get(key)}
        datea = contact.get("datea")
        if datea is not None and not _is_datea(datea):
            return None
        return contact

    def _contact_add(self, account: Account, params: Params) -> Outcome:
        names = self._contact_groups(params)
        number = international(params.get("numero", "").strip())
        contact = self._contact(params)
        if names is None or number is None or contact is None:
            return "-1", {}
        groups = self._groups(account)
        if any(name not in groups for name in names):
            return "517", {}
        if any(number in groups[name] for name in names):
            return "506", {}
        for name in names:
            groups[name][number] = dict(contact)
        return "507", {}

    def _contact_upd(self, account: Account, params: Params) -> Outcome:
        # "Nom du groupe dans lequel le contact est inséré": one group, never split on "--".
        name = params.get("groupe", "").strip()
        names = [name] if name else None
        old = international(params.get("numeroa", "").strip())
        new = international(params.get("numero", "").strip())
        contact = self._contact(params)
        if names is None or old is None or new is None or contact is None:
            return "-1", {}
        groups = self._groups(account)
        if any(name not in groups for name in names):
            return "517", {}
        if not any(old in members for members in groups.values()):
            return "508", {}
        if any(old not in groups[name] for name in names):
            return "510", {}
        if new != old and any(new in groups[name] for name in names):
            return "506", {}
        for name in names:
            del groups[name][old]
            groups[name][new] = dict(contact)
        return "507", {}

    def _contact_del(self, account: Account, params: Params) -> Outcome:
        number = international(params.get("numero", "").strip())
        if number is None:
            return "-1", {}
        groups = self._groups(account)
        name = params.get("groupe", "").strip()
        if name and name not in groups:
            return "517", {}
        if not any(number in members for members in groups.values()):
            return "508", {}
        targets = [name] if name else list(groups)
        if name and number not in groups[name]:
            return "510", {}
        for target in targets:
            groups[target].pop(number, None)
        return "509", {}
