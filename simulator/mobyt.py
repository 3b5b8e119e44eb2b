"""Simulator of the Mobyt HTTP integration, served under ``/mobyt/``.

Every call takes its fields from the query string (GET) or a form body (POST), as the doc allows,
under both ``/Mobyt/`` and the doc's ``/Moby/`` spelling; received messages under ``/OESRs/``.
Replies are ``OK...`` text tables (records ``;``, fields ``|``, values URL-encoded) or
``KO|<code>|<message>``. The doc lists no error code. Under the default reading
(``ko_codes=numbered``) the simulator answers these (1 and 2 as the vendor's SDK uses them, the
rest our own numbering, which no real Mobyt server is known to use):

    1  bad login or password     4  invalid or refused recipient(s)   7  invalid message type
    2  not enough credits        5  invalid sender                    8  invalid date
    3  missing/invalid parameter 6  message too long                  9  order not found
                                                                      10 order not scheduled

Under ``ko_codes=vendor_only`` only 1 and 2 keep their number; every other refusal is code 99
with a French text whose words an adapter could misread ("Identifiant de commande inconnu").

The other points the doc leaves open are readings too (``python -m simulator --help``):
``sender_with_l``, ``bad_recipient``, ``cancelled_status``, ``path``, ``credits``,
``ko_executed``, ``history_order_id`` and ``repeated_lines``.

Choices where the doc is vague:
- SMS Top (``N``) needs a sender (the doc lists it among the required fields; KO 5 without one);
  what SMS Direct (``L``) does with one is the reading ``sender_with_l``. A sender is up to 11
  letters and digits, or a phone number of up to 11 digits after an optional ``+``.
- A request with any invalid or refused recipient is refused whole (KO 4 naming every such
  number; nothing is sent, nothing is debited), or not: the reading ``bad_recipient``. Whether
  a KO may still have been executed for the good numbers is the reading ``ko_executed`` (R23);
  SMSHISTORY lists what was executed, from the simulator's own records, with the order ids or
  with the id column empty as in the doc's example (``history_order_id``).
- Credits, in the doc's words: each CREDITS line gives "le type de crédit, la nation
  d'appartenance ... et la disponibilité", plus "les crédits pour l'envoi à l'étranger (code
  EE)". A send is paid per recipient with the credits of its type belonging to the recipient's
  nation, else with EE credits; one credit per SMS billed (the doc: "x SMS de 153 caractères
  seront débités"; ``billing.bill`` counts them). A request the credits cannot pay for is
  refused whole (KO 2). Lines repeating a type and nation are separate credits or one pool
  shown on each line: the reading ``repeated_lines`` (R25).
- A cancelled order is forgotten: SMSSTATUS answers KO 9 for it (or the reading
  ``cancelled_status``), SMSHISTORY leaves it out.
  Credits are not given back (the doc does not say they are).
- A status set through the control API in Mobyt's own words (``TOOM4NUM``...) is reported as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import re
from typing import Any
from urllib.parse import quote_plus, urlencode

from aiohttp import web
import phonenumbers

from .billing import bill
from .provider import CodedRefusalError, ProviderSim, Push
from .readings import Reading
from .state import PARIS, Account, SimInbound, SimMessage, is_refused

DATE_FORMAT = "%Y%m%d%H%M%S"
MAX_LENGTH = 1000
EXTENDED_CHARACTERS = frozenset("^{}\\[~]|€")
ORDER_ID_LENGTH = 32
ABROAD = "EE"
"""The doc: "les crédits pour l'envoi à l'étranger (code EE)"."""

_RECIPIENT = re.compile(r"^(\+|00)[0-9]{7,16}$")
# The doc: "une suite de caractères alphanumériques jusqu'à un maximum de 11 caractères"; a
# phone number may lead with '+', which does not count.
_NUMERIC_SENDER = re.compile(r"^\+?[0-9]{1,11}$")
_ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9]{1,11}$")
_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]+$")

PROVIDER_STATUS = {
    "scheduled": "SCHEDULED",
    "queued": "WAITING",
    "sent": "WAIT4DLVR",
    "delivered": "DLVRD",
    "failed": "ERROR",
    "expired": "TIMEOUT",
}
"""The simulator's lifecycle in Mobyt's words (a cancelled message has none: it is forgotten)."""

type Params = dict[str, str]
type Handler = Callable[[Account, Params], str]


READINGS = (
    Reading(
        "cedilla",
        ("ucs2", "gsm"),
        "R28: a lowercase ç (not in GSM 03.38's table, whose Ç is 0x09; Mobyt's doc is "
        "silent). ucs2: the whole message is billed as UCS-2; gsm: ç is sent as the table's "
        "Ç, billed as GSM (100 of ç: 1 part).",
    ),
    Reading(
        "ko_codes",
        ("numbered", "vendor_only"),
        "R12: the doc lists no KO code. numbered: 1 login, 2 credits (the vendor's SDK) and our "
        "own 3-10; vendor_only: 1 and 2, every other refusal code 99 with a French text",
    ),
    Reading(
        "sender_with_l",
        ("refused", "required", "ignored"),
        "R13: the doc lists Sender among the mandatory parameters, type L has a fixed sender. "
        "refused: a sender with L is KO; required: L without a sender is KO; ignored: taken, "
        "not used",
    ),
    Reading(
        "bad_recipient",
        ("whole_order", "whole_order_unnamed", "others_sent"),
        "R14: one bad number in SENDSMS. whole_order: KO naming it, nothing sent; "
        "whole_order_unnamed: the same KO without the number; others_sent: OK, the others are "
        "sent and the bad one shows UNKNRCPT",
    ),
    Reading(
        "cancelled_status",
        ("ko", "empty", "undocumented_word"),
        "R15: SMSSTATUS of a cancelled order. ko: KO (order not found); empty: OK with no row; "
        "undocumented_word: a row per recipient with the status CANCELLED, which the doc does "
        "not list",
    ),
    Reading(
        "path",
        ("both", "mobyt_only", "moby_only"),
        "R16: the doc spells the calls Mobyt/ and Moby/. both answer; mobyt_only: Moby/ is "
        "HTTP 404; moby_only: Mobyt/ is HTTP 404",
    ),
    Reading(
        "credits",
        ("per_line", "pooled"),
        "R17: what pays a send. per_line: the credits of its type belonging to the recipient's "
        "nation, else the credits for sending abroad (EE); pooled: any line, from the total",
    ),
    Reading(
        "ko_executed",
        ("no", "good_numbers"),
        'R23: a KO to an order with a bad number. no: nothing of it is executed ("toutes les '
        'requêtes non exécutées renvoient ... KO"); good_numbers: the order is executed for the '
        "good numbers (sent, debited, listed by SMSHISTORY and SMSSTATUS) and still answered KO",
    ),
    Reading(
        "history_order_id",
        ("kept", "blank"),
        "R23: the id column of SMSHISTORY. kept: the order_id of each order; blank: empty, as in "
        "the first and last rows of the doc's example",
    ),
    Reading(
        "repeated_lines",
        ("separate", "one_pool"),
        "R25: CREDITS lines that repeat a type and nation (the doc's example lists N|IT|37 "
        "three times). separate: each line is its own credits, debited in turn; one_pool: they "
        "are one pool listed once per line, each line showing the whole pool",
    ),
)

# Our numbering, and what vendor_only answers instead (code 99, the provider's own words).
_VENDOR_TEXTS = {
    3: "Paramètre manquant ou invalide",
    4: "Numéro de destinataire invalide",
    5: "Expéditeur non autorisé",
    6: "Texte trop long",
    7: "Type de message inconnu",
    8: "Date de programmation invalide",
    9: "Identifiant de commande inconnu",
    10: "Identifiant de commande déjà envoyé",
}


class KoError(CodedRefusalError):
    """A request Mobyt refuses: answered ``KO|code|message``."""


def _fmt(when: datetime) -> str:
    return when.astimezone(PARIS).strftime(DATE_FORMAT)


def _date(params: Params, name: str) -> datetime:
    value = params.get(name, "")
    if not value:
        raise KoError(3, f"Missing parameter: {name}")
    if len(value) != 14 or not value.isdigit():
        raise KoError(8, f"Invalid date in {name}: expected yyyymmddhhmmss")
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=PARIS)
    except ValueError as err:
        raise KoError(8, f"Invalid date in {name}: {value}") from err


def _delivery_date(message: SimMessage, status: str) -> str:
    """The delivery date, given only for a delivered message (DLVRD), as the doc says."""
    if status != "DLVRD" or message.delivered_at is None:
        return ""
    return _fmt(message.delivered_at)


def _required(params: Params, name: str) -> str:
    value = params.get(name, "")
    if not value.strip():
        raise KoError(3, f"Missing parameter: {name}")
    return value


def _table(rows: list[list[str]], *, trailing: bool = True) -> str:
    """``OK;`` then each row's URL-encoded fields joined by ``|``, rows by ``;``."""
    records = ["|".join(quote_plus(field) for field in row) for row in rows]
    body = ";".join(records)
    return f"OK;{body};" if trailing and records else f"OK;{body}"


def message_length(text: str) -> int:
    """The length the doc counts: each ``EXTENDED_CHARACTERS`` counts two."""
    return sum(2 if char in EXTENDED_CHARACTERS else 1 for char in text)


def segments(text: str, *, cedilla: bool = False) -> int:
    """SMS billed: one up to 160 septets, else one per 153 (the doc's rule), or UCS-2 parts.

    The doc says nothing of characters outside GSM 03.38; they are billed as UCS-2 (70, then 67
    per part), as the network carries them.
    """
    return bill(text, cedilla=cedilla).parts


def nation_of(number: str) -> str:
    """The ISO 3166 country of an E.164 number ("" when unknown)."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def credit_lines(account: Account) -> list[list[Any]]:
    """The account's credit lines ``[type, nation, amount]``, kept in ``account.extra``.

    An account made through the control API without lines gets ``account.credits`` on an
    ``N|FR``, an ``L|FR`` and an ``EE`` line.
    """
    if "lines" not in account.extra:
        account.extra["lines"] = [
            ["N", "FR", account.credits],
            ["L", "FR", account.credits],
            ["EE", "", account.credits],
        ]
    lines: list[list[Any]] = account.extra["lines"]
    return lines


@dataclass
class Pool:
    """Credits of one type and nation, and the CREDITS lines that show them."""

    key: tuple[str, str]
    amount: float
    lines: list[list[Any]]

    def write_back(self) -> None:
        """Every line of the pool shows what is left in it."""
        for line in self.lines:
            line[2] = self.amount


def credit_pools(account: Account, *, one_pool: bool) -> list[Pool]:
    """The account's credits: each line its own, or one pool per type and nation."""
    pools: dict[tuple[str, str] | int, Pool] = {}
    for index, line in enumerate(credit_lines(account)):
        if not isinstance(line[2], int | float):
            continue  # written as text (a test's unreadable line): shown, never debited
        key = (str(line[0]), str(line[1]))
        pool = pools.setdefault(key if one_pool else index, Pool(key, float(line[2]), []))
        pool.lines.append(line)
    return list(pools.values())


def _paying(pools: list[Pool], key: tuple[str, str]) -> list[Pool]:
    """The pools that pay for ``key``: its own, or every EE pool for a send abroad."""
    if key[0] == ABROAD:
        return [pool for pool in pools if pool.key[0] == ABROAD]
    return [pool for pool in pools if pool.key == key]


def _take(pools: list[Pool], amount: float) -> None:
    """Take ``amount`` from ``pools`` in turn (the caller checked that they hold it)."""
    for pool in pools:
        taken = min(amount, max(pool.amount, 0.0))
        pool.amount -= taken
        amount -= taken


class MobytSim(ProviderSim):
    """The Mobyt HTTP integration: sending, status, history, credits and received messages."""

    key = "mobyt"
    readings = READINGS

    def routes(self) -> list[web.RouteDef]:
        """Each call under ``/mobyt/Mobyt/`` and ``/mobyt/Moby/`` (or ``/OESRs/``), GET and POST."""
        calls: dict[str, Handler] = {
            "Mobyt/SENDSMS": self._send,
            "Mobyt/SMSSTATUS": self._status,
            "Mobyt/REMOVE_DELAYED": self._remove_delayed,
            "Mobyt/SMSHISTORY": self._history,
            "Mobyt/CREDITS": self._credits,
            "OESRs/SRNEWMESSAGES": self._new_messages,
            "OESRs/SRHISTORY": self._inbound_history,
            "OESRs/SRHISTORYBYID": self._inbound_by_id,
        }
        routes = []
        for path, handler in calls.items():
            endpoint = self._endpoint(handler)
            paths = [path]
            if path.startswith("Mobyt/"):
                paths.append(path.replace("Mobyt/", "Moby/", 1))
            for each in paths:
                routes.append(web.route("GET", f"/{self.key}/{each}", endpoint))
                routes.append(web.route("POST", f"/{self.key}/{each}", endpoint))
        return routes

    def demo_accounts(self) -> list[Account]:
        """``demo`` (N|FR 100, L|FR 100, EE 50) and ``empty`` (every line 0)."""
        demo = [["N", "FR", 100], ["L", "FR", 100], ["EE", "", 50]]
        empty = [["N", "FR", 0], ["L", "FR", 0], ["EE", "", 0]]
        return [
            self._account("demo", "demo-password", demo),
            self._account("empty", "empty-password", empty),
        ]

    def _account(self, username: str, password: str, lines: list[list[Any]]) -> Account:
        total = float(sum(line[2] for line in lines))
        return Account(self.key, username, password, credits=total, extra={"lines": lines})

    def keeps_inbound(self) -> bool:
        """Received messages can be polled (SRNEWMESSAGES, SRHISTORY, SRHISTORYBYID)."""
        return True

    def inbound_push(self, inbound: SimInbound) -> Push | None:
        """The form Mobyt posts for a received message."""
        form = {
            "id": str(inbound.inbound_id),
            "text": inbound.text,
            "sender": inbound.sender,
            "recipient": inbound.recipient,
            "delivery_date": _fmt(inbound.received_at),
        }
        return Push(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def status_push(self, message: SimMessage) -> Push | None:
        """The form Mobyt posts when a message's status changes (none once cancelled)."""
        status = self._provider_status(message)
        if status is None:
            return None
        form = {
            "order_id": message.batch_id or "",
            "recipient": message.recipient,
            "status": status,
        }
        # The doc: delivery_date is there only for a message delivered without errors (DLVRD).
        if delivered := _delivery_date(message, status):
            form["delivery_date"] = delivered
        return Push(urlencode(form).encode(), "application/x-www-form-urlencoded")

    # --- plumbing ------------------------------------------------------------------------------

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            spelling = request.path.removeprefix(f"/{self.key}/").split("/", 1)[0]
            path = self.reading("path")
            if (path, spelling) in {("mobyt_only", "Moby"), ("moby_only", "Mobyt")}:
                return web.Response(status=404, text="Not Found")
            params: Params = dict(request.query)
            if request.method == "POST":
                form = await request.post()
                params.update({key: value for key, value in form.items() if isinstance(value, str)})
            try:
                account = self._login(params)
                body = handler(account, params)
            except KoError as err:
                code, message = err.code, err.message
                if self.reading("ko_codes") == "vendor_only" and code in _VENDOR_TEXTS:
                    code, message = 99, f"{_VENDOR_TEXTS[code]} ({err.message})"
                body = f"KO|{code}|{quote_plus(message)}"
            return web.Response(text=body, content_type="text/plain", charset="utf-8")

        return endpoint

    def _login(self, params: Params) -> Account:
        for name in ("login", "password"):
            if name not in params:
                raise KoError(3, f"Missing parameter: {name}")
        account = self.state.account(self.key, params["login"], params["password"])
        if account is None:
            raise KoError(1, "Invalid login or password")
        return account

    def _order(self, account: Account, order_id: str) -> list[SimMessage]:
        """The messages of one order, cancelled ones left out."""
        return [
            message
            for message in self.state.messages_of(self.key, account.username)
            if message.batch_id == order_id and message.status != "canceled"
        ]

    @staticmethod
    def _provider_status(message: SimMessage) -> str | None:
        if message.status == "canceled":
            return None
        return PROVIDER_STATUS.get(message.status, message.status)

    # --- sending -------------------------------------------------------------------------------

    def _send(self, account: Account, params: Params) -> str:
        message_type = _required(params, "message_type")
        recipients_field = _required(params, "recipient")
        text = _required(params, "message")
        if message_type not in {"N", "L"}:
            raise KoError(7, f"Invalid message_type: {message_type}")
        recipients, wrong = self._recipients(recipients_field)
        refusal = self._refusal_for(recipients, wrong)
        executed_anyway = bool(recipients) and self.reading("ko_executed") == "good_numbers"
        if refusal is not None and not executed_anyway:
            raise refusal
        sender = params.get("sender") or None
        with_l = self.reading("sender_with_l")
        if sender is None and message_type == "N":
            raise KoError(5, "Missing sender: SMS Top (N) needs a sender")
        if sender is None and message_type == "L" and with_l == "required":
            raise KoError(5, "Missing sender: Sender is a mandatory parameter")
        if sender is not None:
            if message_type == "L" and with_l == "refused":
                raise KoError(5, "Invalid sender: SMS Direct (L) has a fixed sender")
            if not (_NUMERIC_SENDER.match(sender) or _ALPHANUMERIC_SENDER.match(sender)):
                raise KoError(5, f"Invalid sender: {sender}")
            if message_type == "L" and with_l == "ignored":
                sender = None
        if message_length(text) > MAX_LENGTH:
            raise KoError(6, f"Message too long: more than {MAX_LENGTH} characters")
        now = datetime.now(PARIS).replace(microsecond=0)
        scheduled_at = (
            _date(params, "scheduled_delivery_time")
            if params.get("scheduled_delivery_time")
            else None
        )
        order_id = self._order_id(account, params)
        cost = segments(text, cedilla=self.reading("cedilla") == "gsm")
        used = self._debit(account, message_type, recipients, cost)
        status = "scheduled" if scheduled_at is not None and scheduled_at > now else "queued"

        def add(recipient: str, status: str, scheduled_at: datetime | None, cost: int) -> None:
            self.state.add_message(
                SimMessage(
                    message_id=f"{order_id}:{recipient}",
                    provider=self.key,
                    username=account.username,
                    recipient=recipient,
                    text=text,
                    sender=sender,
                    created_at=now,
                    status=status,
                    scheduled_at=scheduled_at,
                    batch_id=order_id,
                    segments=cost,
                    extra={"message_type": message_type},
                )
            )

        for recipient in recipients:
            add(recipient, status, scheduled_at, cost)
        if refusal is not None:
            # ko_executed=good_numbers: the good numbers went, and the answer is still a KO.
            raise refusal
        for recipient in wrong:
            # bad_recipient=others_sent: the wrong number is listed, never sent nor debited.
            add(recipient, "UNKNRCPT", None, 0)
        count = f"{used:g}" if params.get("returnCredits") == "true" else str(len(recipients))
        return f"OK|{quote_plus(order_id)}|{count}"

    @staticmethod
    def _recipients(field: str) -> tuple[list[str], list[str]]:
        """The good recipients in E.164, each once, and the wrong ones as written."""
        numbers = [number.strip() for number in field.split(",")]
        wrong = [n for n in numbers if not _RECIPIENT.match(n) or is_refused(n)]
        good = [n for n in numbers if n not in wrong]
        normalized = ["+" + n.removeprefix("+").removeprefix("00") for n in good]
        return list(dict.fromkeys(normalized)), wrong

    def _refusal_for(self, good: list[str], wrong: list[str]) -> KoError | None:
        """The KO a list with wrong numbers gets, naming them or not (``bad_recipient``).

        None when every number is good, or when only the wrong ones are left out (others_sent).
        """
        if not wrong:
            return None
        reading = self.reading("bad_recipient")
        if reading == "whole_order" or not good:
            return KoError(4, f"Invalid recipient: {','.join(wrong)}")
        if reading == "whole_order_unnamed":
            return KoError(4, "Invalid recipient")
        return None

    def _order_id(self, account: Account, params: Params) -> str:
        order_id = params.get("order_id", "")[:ORDER_ID_LENGTH]
        if not order_id:
            return f"{self.state.next_id():X}{datetime.now(PARIS):%H%M%S}"
        if not _ORDER_ID.match(order_id):
            raise KoError(3, f"Invalid parameter: order_id {order_id}")
        if any(
            message.batch_id == order_id
            for message in self.state.messages_of(self.key, account.username)
        ):
            raise KoError(3, f"Invalid parameter: order_id {order_id} already used")
        return order_id

    def _debit(
        self, account: Account, message_type: str, recipients: list[str], cost: int
    ) -> float:
        """Take ``cost`` credits per recipient, or refuse the whole request (KO 2).

        The doc: CREDITS lists "le type de crédit, la nation d'appartenance (vide si le crédit
        est international) et la disponibilité", and "les crédits pour l'envoi à l'étranger
        (code EE)". So a send of type N or L to a number of a nation is paid with credits of
        that type belonging to that nation; where the account has none of them, it is a send
        abroad, paid with EE credits (``credits=per_line``). Under ``credits=pooled`` any
        credits pay, the largest first. Credits of one type and nation are each line's own, or
        one pool that every such line shows (``repeated_lines``).
        """
        pools = credit_pools(account, one_pool=self.reading("repeated_lines") == "one_pool")
        wanted = float(cost * len(recipients))
        if self.reading("credits") == "pooled":
            if wanted > sum(pool.amount for pool in pools):
                raise KoError(2, f"Not enough credits: {wanted:g} credits needed")
            _take(sorted(pools, key=lambda pool: -pool.amount), wanted)
        else:
            by_pools: dict[tuple[str, str], float] = {}
            for recipient in recipients:
                nation = nation_of(recipient)
                key = (message_type, nation)
                if not any(pool.key == key for pool in pools):
                    if not any(pool.key[0] == ABROAD for pool in pools):
                        raise KoError(
                            2, f"Not enough credits: no {message_type} credits for {nation}"
                        )
                    key = (ABROAD, "")
                by_pools[key] = by_pools.get(key, 0.0) + cost
            paying = {key: _paying(pools, key) for key in by_pools}
            for key, amount in by_pools.items():
                if amount > sum(pool.amount for pool in paying[key]):
                    raise KoError(2, f"Not enough credits: {amount:g} {key[0]} credits needed")
            for key, amount in by_pools.items():
                _take(paying[key], amount)
        for pool in pools:
            pool.write_back()
        account.credits = float(sum(pool.amount for pool in pools))
        return wanted

    # --- following sent messages ------------------------------------------------------------

    def _status(self, account: Account, params: Params) -> str:
        order_id = _required(params, "order_id")
        cancelled = [
            message
            for message in self.state.messages_of(self.key, account.username)
            if message.batch_id == order_id and message.status == "canceled"
        ]
        reading = self.reading("cancelled_status")
        if cancelled and not self._order(account, order_id) and reading != "ko":
            if reading == "empty":
                return "OK;"
            return _table([[message.recipient, "CANCELLED", ""] for message in cancelled])
        rows = []
        for message in self._order(account, order_id):
            status = self._provider_status(message) or "UNKNOWN"
            rows.append([message.recipient, status, _delivery_date(message, status)])
        if not rows:
            raise KoError(9, f"Order not found: {order_id}")
        return _table(rows)

    def _remove_delayed(self, account: Account, params: Params) -> str:
        order_id = _required(params, "order_id")
        messages = self._order(account, order_id)
        if not messages:
            raise KoError(9, f"Order not found: {order_id}")
        if any(message.status != "scheduled" for message in messages):
            raise KoError(10, f"Order not scheduled: {order_id} is already sent")
        for message in messages:
            message.status = "canceled"
        return "OK;"

    def _history(self, account: Account, params: Params) -> str:
        start, end = _date(params, "from"), _date(params, "to")
        orders: dict[str, list[SimMessage]] = {}
        for message in self.state.messages_of(self.key, account.username):
            if message.status != "canceled" and start <= message.created_at <= end:
                orders.setdefault(message.batch_id or "", []).append(message)
        rows = []
        for order_id, messages in orders.items():
            first = messages[0]
            rows.append(
                [
                    order_id if self.reading("history_order_id") == "kept" else "",
                    _fmt(first.created_at),
                    str(first.extra.get("message_type", "N")),
                    first.sender or "",
                    str(len(messages)),
                    _fmt(first.scheduled_at) if first.scheduled_at else "",
                ]
            )
        return _table(rows, trailing=False)

    def _credits(self, account: Account, _params: Params) -> str:
        """One row per line; under ``repeated_lines=one_pool`` each shows its whole pool."""
        one_pool = self.reading("repeated_lines") == "one_pool"
        shown = {
            id(line): pool.amount
            for pool in credit_pools(account, one_pool=one_pool)
            for line in pool.lines
        }
        rows = [
            [line[0], line[1], f"{shown[id(line)]:g}" if id(line) in shown else str(line[2])]
            for line in credit_lines(account)
        ]
        return _table(rows, trailing=False)

    # --- received messages ------------------------------------------------------------------

    def _inbound_of(self, account: Account) -> list[SimInbound]:
        return [
            inbound
            for inbound in self.state.inbound
            if inbound.provider == self.key and inbound.username == account.username
        ]

    @staticmethod
    def _inbound_table(messages: list[SimInbound]) -> str:
        rows = [
            [
                str(inbound.inbound_id),
                inbound.recipient,
                inbound.sender,
                inbound.text,
                _fmt(inbound.received_at),
                inbound.keyword or "",
            ]
            for inbound in messages
        ]
        return _table(rows)

    def _new_messages(self, account: Account, _params: Params) -> str:
        fresh = [inbound for inbound in self._inbound_of(account) if not inbound.polled]
        for inbound in fresh:
            inbound.polled = True
        return self._inbound_table(fresh)

    def _inbound_history(self, account: Account, params: Params) -> str:
        start, end = _date(params, "date_from"), _date(params, "date_to")
        return self._inbound_table(
            [i for i in self._inbound_of(account) if start <= i.received_at <= end]
        )

    def _inbound_by_id(self, account: Account, params: Params) -> str:
        after = _required(params, "id")
        if not after.isdigit():
            raise KoError(3, f"Invalid parameter: id {after}")
        return self._inbound_table(
            [i for i in self._inbound_of(account) if i.inbound_id > int(after)]
        )
