"""What the simulator remembers: accounts, messages and their lifecycle, inbound messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
import itertools
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Recipient numbers (digits, any prefix) whose ending decides their fate, so tests can ask for one:
REFUSED_SUFFIX = "9999"
"""Refused at send time as an invalid or unknown number."""
FAILING_SUFFIX = "0000"
"""Accepted, then the delivery fails."""
EXPIRING_SUFFIX = "7777"
"""Accepted, then the delivery expires (no report from the network)."""


@dataclass
class Account:
    """One provider account."""

    provider: str
    username: str
    password: str
    credits: float = 100.0
    blocked_ip: bool = False
    """The provider refuses this client's IP address (123-SMS code 96)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Provider-specific fields (NetOxygen account status and group id, Mobyt credit lines...)."""


@dataclass
class SimMessage:
    """One message to one recipient."""

    message_id: str
    provider: str
    username: str
    recipient: str
    text: str
    sender: str | None
    created_at: datetime
    status: str = "queued"
    """scheduled, queued, sent, delivered, failed, expired or canceled."""
    scheduled_at: datetime | None = None
    batch_id: str | None = None
    segments: int = 1
    delivered_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the control API."""
        data = asdict(self)
        for key in ("created_at", "scheduled_at", "delivered_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass
class SimInbound:
    """One message received by an account's number."""

    inbound_id: int
    provider: str
    username: str
    sender: str
    recipient: str
    text: str
    received_at: datetime
    keyword: str | None = None
    polled: bool = False
    """Already returned by a "new messages" poll (Mobyt SRNEWMESSAGES)."""


def final_status_for(recipient: str) -> str:
    """Where a message to ``recipient`` ends: delivered, failed or expired."""
    digits = "".join(ch for ch in recipient if ch.isdigit())
    if digits.endswith(FAILING_SUFFIX):
        return "failed"
    if digits.endswith(EXPIRING_SUFFIX):
        return "expired"
    return "delivered"


def is_refused(recipient: str) -> bool:
    """Whether a send to ``recipient`` is refused as an invalid number."""
    digits = "".join(ch for ch in recipient if ch.isdigit())
    return digits.endswith(REFUSED_SUFFIX)


class SimState:
    """Accounts, messages and inbound messages of every provider."""

    def __init__(self) -> None:
        """Start empty; providers add their demo accounts."""
        self.accounts: dict[tuple[str, str], Account] = {}
        self.messages: dict[str, SimMessage] = {}
        self.inbound: list[SimInbound] = []
        self._ids = itertools.count(1)
        self._inbound_ids = itertools.count(1000)

    def next_id(self) -> int:
        """A fresh number, unique in this simulator."""
        return next(self._ids)

    def next_inbound_id(self) -> int:
        """A fresh inbound message id (Mobyt's are increasing integers)."""
        return next(self._inbound_ids)

    def add_account(self, account: Account) -> Account:
        """Add or replace an account."""
        self.accounts[(account.provider, account.username)] = account
        return account

    def account(self, provider: str, username: str, password: str) -> Account | None:
        """The account these credentials open, or None."""
        account = self.accounts.get((provider, username))
        if account is None or account.password != password:
            return None
        return account

    def add_message(self, message: SimMessage) -> SimMessage:
        """Record a message the provider accepted."""
        self.messages[message.message_id] = message
        return message

    def messages_of(self, provider: str, username: str) -> list[SimMessage]:
        """Every message an account sent, oldest first."""
        return [
            message
            for message in self.messages.values()
            if message.provider == provider and message.username == username
        ]

    def advance(self, now: datetime) -> list[SimMessage]:
        """Move every message one step along its lifecycle; return those that changed.

        scheduled -> queued (once its time has come) -> sent -> delivered / failed / expired.
        """
        changed: list[SimMessage] = []
        for message in self.messages.values():
            before = message.status
            if message.status == "scheduled":
                if message.scheduled_at is None or message.scheduled_at <= now:
                    message.status = "queued"
            elif message.status == "queued":
                message.status = "sent"
            elif message.status == "sent":
                message.status = final_status_for(message.recipient)
                if message.status == "delivered":
                    message.delivered_at = now
            if message.status != before:
                changed.append(message)
        return changed
