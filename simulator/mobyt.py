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
``sender_with_l``, ``bad_recipient``, ``cancelled_status``, ``path`` and ``credits``.

Choices where the doc is vague:
- SMS Top (``N``) needs a sender (the doc lists it among the required fields; KO 5 without one);
  what SMS Direct (``L``) does with one is the reading ``sender_with_l``. A sender is up to 11
  letters and digits, or a phone number of up to 11 digits after an optional ``+``.
- A request with any invalid or refused recipient is refused whole (KO 4 naming every such
  number; nothing is sent, nothing is debited), or not: the reading ``bad_recipient``.
- Credits are lines ``(type, nation, amount)``; a message to a country the account has a line of
  that type for is debited there, any other from the ``EE`` (abroad) line; one credit per segment
  (160 septets, then 153 per part; the GSM extension characters count two; a text outside
  GSM 03.38 in UCS-2 parts of 70, then 67) per recipient, counted by ``billing.bill``.
  A request the lines cannot pay for is refused whole (KO 2).
- A cancelled order is forgotten: SMSSTATUS answers KO 9 for it (or the reading
  ``cancelled_status``), SMSHISTORY leaves it out.
  Credits are not given back (the doc does not say they are).
- A status set through the control API in Mobyt's own words (``TOOM4NUM``...) is reported as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
import re
from typing import Any
from urllib.parse import quote_plus, urlencode

from aiohttp import web
import phonenumbers

from .billing import bill
from .provider import ProviderSim, Push
from .readings import Reading
from .state import PARIS, Account, SimInbound, SimMessage, is_refused

DATE_FORMAT = "%Y%m%d%H%M%S"
MAX_LENGTH = 1000
EXTENDED_CHARACTERS = frozenset("^{}\\[~]|€")
ORDER_ID_LENGTH = 32

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
        "R17: what pays a send. per_line: the line of its type and the recipient's nation, "
        "else EE; pooled: any line, from the total",
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


class KoError(Exception):
    """A request Mobyt refuses: answered ``KO|code|message``."""

    def __init__(self, code: int, message: str) -> None:
        """Keep the code and the message."""
        super().__init__(message)
        self.code = code
        self.message = message


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


def segments(text: str) -> int:
    """SMS billed: one up to 160 septets, else one per 153 (the doc's rule), or UCS-2 parts.

    The doc says nothing of characters outside GSM 03.38; they are billed as UCS-2 (70, then 67
    per part), as the network carries them.
    """
    return bill(text).parts


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
        cost = segments(text)
        used = self._debit(account, message_type, recipients, cost)
        status = "scheduled" if scheduled_at is not None and scheduled_at > now else "queued"
        for recipient in recipients:
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
        for recipient in wrong:
            # bad_recipient=others_sent: the wrong number is listed, never sent nor debited.
            self.state.add_message(
                SimMessage(
                    message_id=f"{order_id}:{recipient}",
                    provider=self.key,
                    username=account.username,
                    recipient=recipient,
                    text=text,
                    sender=sender,
                    created_at=now,
                    status="UNKNRCPT",
                    batch_id=order_id,
                    segments=0,
                    extra={"message_type": message_type},
                )
            )
        count = f"{used:g}" if params.get("returnCredits") == "true" else str(len(recipients))
        return f"OK|{quote_plus(order_id)}|{count}"

    def _recipients(self, field: str) -> tuple[list[str], list[str]]:
        """The recipients to send to in E.164, each once, and the wrong ones.

        With a wrong one, the whole list is refused, naming it or not, or only the wrong ones are
        left out: the reading ``bad_recipient``.
        """
        numbers = [number.strip() for number in field.split(",")]
        wrong = [n for n in numbers if not _RECIPIENT.match(n) or is_refused(n)]
        good = [n for n in numbers if n not in wrong]
        reading = self.reading("bad_recipient")
        if wrong and (reading == "whole_order" or not good):
            raise KoError(4, f"Invalid recipient: {','.join(wrong)}")
        if wrong and reading == "whole_order_unnamed":
            raise KoError(4, "Invalid recipient")
        normalized = ["+" + n.removeprefix("+").removeprefix("00") for n in good]
        return list(dict.fromkeys(normalized)), wrong

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
        """Debit ``cost`` per recipient from the matching lines, or refuse the whole request.

        Under ``credits=pooled`` any line pays, the fullest first.
        """
        lines = credit_lines(account)
        if self.reading("credits") == "pooled":
            needed_total = float(cost * len(recipients))
            if needed_total > sum(line[2] for line in lines):
                raise KoError(2, f"Not enough credits: {needed_total:g} credits needed")
            left = needed_total
            for line in sorted(lines, key=lambda line: -line[2]):
                taken = min(left, max(line[2], 0))
                line[2] -= taken
                left -= taken
            account.credits = float(sum(line[2] for line in lines))
            return needed_total
        abroad = next((i for i, line in enumerate(lines) if line[0] == "EE"), None)
        needed = [0.0] * len(lines)
        for recipient in recipients:
            nation = nation_of(recipient)
            index = next(
                (i for i, line in enumerate(lines) if (line[0], line[1]) == (message_type, nation)),
                abroad,
            )
            if index is None:
                raise KoError(2, f"Not enough credits: no {message_type} credits for {nation}")
            needed[index] += cost
        for line, amount in zip(lines, needed, strict=True):
            if amount > line[2]:
                raise KoError(2, f"Not enough credits: {amount:g} {line[0]} credits needed")
        for line, amount in zip(lines, needed, strict=True):
            line[2] -= amount
        account.credits = float(sum(line[2] for line in lines))
        return float(sum(needed))

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
                    order_id,
                    _fmt(first.created_at),
                    str(first.extra.get("message_type", "N")),
                    first.sender or "",
                    str(len(messages)),
                    _fmt(first.scheduled_at) if first.scheduled_at else "",
                ]
            )
        return _table(rows, trailing=False)

    def _credits(self, account: Account, _params: Params) -> str:
        rows = [[line[0], line[1], f"{line[2]:g}"] for line in credit_lines(account)]
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
