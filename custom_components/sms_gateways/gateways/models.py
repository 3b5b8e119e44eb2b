"""Data exchanged with the gateways: what goes out, what comes back, in the user's words."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
import hashlib
from typing import Any


class Capability(StrEnum):
    """What a provider can do beyond sending a text message."""

    BALANCE = "balance"
    """A call that returns the remaining credits."""
    CREDITS_FROM_SEND = "credits_from_send"
    """Send responses carry the remaining credits."""
    ACCOUNT_STATUS = "account_status"
    SCHEDULE = "schedule"
    CANCEL = "cancel"
    FLASH = "flash"
    DELIVERY_STATUS = "delivery_status"
    """A call that returns the delivery status of sent messages."""
    STATUS_PUSH = "status_push"
    """The provider can push delivery reports to a webhook."""
    INBOUND_PUSH = "inbound_push"
    INBOUND_POLL = "inbound_poll"
    REMOTE_NORMALIZE = "remote_normalize"
    HISTORY = "history"
    CONTACTS = "contacts"
    MESSAGE_TYPE = "message_type"
    BOOKMARK = "bookmark"
    TTS = "tts"
    TEST_MODE = "test_mode"


class DeliveryStatus(StrEnum):
    """One normalised delivery status for every provider."""

    RETRYING = "retrying"
    """Not yet sent: kept in the outbox, it never reached the provider (set above the library)."""
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Whether the status will not change any more."""
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.CANCELED,
    }
)


class Encoding(StrEnum):
    """How the text travels: the GSM 03.38 7-bit alphabet or UCS-2."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """How a text will be encoded and billed.

    ``characters`` counts what the user typed (code points); ``length`` counts what the network
    carries (septets, an extension character being two; or UTF-16 units, an emoji being two).
    """

    encoding: Encoding
    characters: int
    length: int
    segments: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingSms:
    """A text message to send to one or more recipients.

    ``recipients`` may be written as the user wrote them: the gateway normalises them.
    Provider options that do not apply to a provider are refused by it, not ignored.
    """

    recipients: tuple[str, ...]
    message: str
    sender: str | None = None
    send_at: datetime | None = None
    flash: bool = False
    message_type: str | None = None
    """Mobyt: ``N`` (custom sender) or ``L`` (fixed sender)."""
    bookmark_url: str | None = None
    """SMSFactor: a WAP bookmark link; the message is sent with type ``bookmark``."""
    tts: bool = False
    """123-SMS: the message is read out by a voice to a landline."""
    test: bool = False
    """123-SMS: the provider checks the request without sending or billing it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientResult:
    """What the provider said about one recipient of a send.

    Three outcomes, the same for every provider:

    - taken: ``accepted`` True, the provider's status (``queued``, ``scheduled``, ``sent``...);
    - refused: ``accepted`` False, ``status`` ``failed`` (``canceled`` where the provider says
      it cancelled it), ``error`` in the provider's words: it certainly did not go out;
    - may have been sent: ``accepted`` True and ``status`` ``unknown``, ``error`` saying why
      (the provider's words where it gave any), ``message_id`` where one is known. Never
      refused, never sent again, never handed to the outbox or the fallback account; followed
      like a taken message where it has an id. ``may_have_been_sent`` tells it apart.
    """

    recipient: str
    accepted: bool
    message_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.QUEUED
    error: str | None = None
    error_code: str | None = None

    @property
    def may_have_been_sent(self) -> bool:
        """The provider's answer does not say whether it went out (see the class)."""
        return self.status is DeliveryStatus.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """The outcome of one send: every recipient's result, and what it cost."""

    messages: tuple[RecipientResult, ...]
    info: MessageInfo
    batch_id: str | None = None
    credits_used: float | None = None
    credits_remaining: float | None = None
    send_at: datetime | None = None
    """When a scheduled message will leave (None: now)."""

    @property
    def accepted(self) -> tuple[RecipientResult, ...]:
        """The recipients the provider took, or may have taken (never to send again)."""
        return tuple(result for result in self.messages if result.accepted)

    @property
    def refused(self) -> tuple[RecipientResult, ...]:
        """The recipients the provider certainly did not take."""
        return tuple(result for result in self.messages if not result.accepted)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """The delivery status of one message to one recipient, as the provider reported it."""

    message_id: str
    status: DeliveryStatus
    provider_status: str
    recipient: str | None = None
    updated_at: datetime | None = None
    delivered_at: datetime | None = None
    may_change: bool = False
    """The provider words it as the current state, not a final one (NetOxygen's error codes
    2 to 4 and status 7, R31): shown with ``status`` unknown and the provider's words, and the
    message is still followed (for the tracker's bounded time)."""

    @property
    def dedup_key(self) -> str:
        """Identify this report so that a report pushed twice is handled once."""
        return f"{self.message_id}|{self.recipient or ''}|{self.provider_status}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSms:
    """A text message received by one of the account's numbers."""

    sender: str
    recipient: str
    message: str
    received_at: datetime
    message_id: str | None = None
    keyword: str | None = None

    @property
    def dedup_key(self) -> str:
        """The provider's id, or a hash of what identifies the message when there is none."""
        if self.message_id:
            return f"id:{self.message_id}"
        identity = f"{self.sender}\x1f{self.recipient}\x1f{self.message}\x1f"
        identity += self.received_at.isoformat()
        digest = hashlib.sha256(identity.encode()).hexdigest()
        return f"hash:{digest[:32]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundPage:
    """One poll for received messages: those read, those left out, and how far it reached."""

    messages: tuple[InboundSms, ...]
    skipped: tuple[str, ...] = ()
    """The provider's ids of the rows that could not be read (never their text)."""
    last_id: int | None = None
    """The highest id of the reply, read or not, so that the next poll starts after it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Credit:
    """One line of an account's credits: a message type and destination country, or the total."""

    amount: float | None
    """None: the provider's amount could not be read (``12,5``, ``illimité``)."""
    credit_type: str | None = None
    """Mobyt: ``N`` (SMS Top), ``L`` (SMS Direct) or ``EE`` (abroad); None: unreadable."""
    nation: str | None = None
    """ISO 3166 country code, or None for international credits."""


type LineKey = tuple[str, str | None]
"""A credit line's type and nation (None: international)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """The credits left on an account.

    ``total`` is None when a line could not be read: a sum without it would be a number made
    out of an error.
    """

    total: float | None
    lines: tuple[Credit, ...] = field(default_factory=tuple)

    def by_line(self) -> dict[LineKey, float | None]:
        """The credits of each type and nation, safe under both readings of a repeated line.

        A provider may list one type and nation on several lines (Mobyt's doc repeats
        ``N|IT|37``): separate credits that add up, or one pool shown on each line
        (READINGS.md R25). The lower of the two readings is kept, so that a low-credit
        warning never comes late; None when one of those lines could not be read. Lines
        whose type could not be read are left out (see ``has_unattributed``).
        """
        listed: dict[LineKey, list[float | None]] = {}
        for line in self.lines:
            if line.credit_type is not None:
                listed.setdefault((line.credit_type, line.nation), []).append(line.amount)
        return {key: lowest_reading(amounts) for key, amounts in listed.items()}

    @property
    def has_unattributed(self) -> bool:
        """Whether a line could not be read far enough to know its type and nation."""
        return any(line.credit_type is None for line in self.lines)


def stored_datetime(value: object) -> datetime | None:
    """A moment read back from a store (ISO 8601 with an offset); None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def lowest_reading(amounts: list[float | None]) -> float | None:
    """The credits of lines repeating one type and nation, under the reading that gives less.

    Separate credits add up; one pool listed on each line has one line's amount (the lowest,
    should the lines differ). None when any of them is unknown.
    """
    known = [amount for amount in amounts if amount is not None]
    if len(known) < len(amounts):
        return None
    return min(sum(known), *known)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInfo:
    """What the credential check learned about the account."""

    account_id: str
    """Stable identifier of the provider account (used as the config entry's unique id)."""
    status: str | None = None
    group_id: str | None = None
    balance: Balance | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelResult:
    """Whether a scheduled message was cancelled.

    ``canceled`` is None when the provider's answer does not say (unreadable, undocumented, or
    a technical error after the request went out): it may have been cancelled, and is never
    called "not cancelled".
    """

    message_id: str
    canceled: bool | None
    error: str | None = None
    created: SendResult | None = None
    """A new message the cancel made instead (123-SMS reads a cancel as a send): follow it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One sent message in the provider's history (Mobyt SMSHISTORY)."""

    order_id: str | None
    created_at: datetime | None
    message_type: str
    sender: str | None
    recipients: int
    scheduled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {
            "order_id": self.order_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "message_type": self.message_type,
            "sender": self.sender,
            "recipients": self.recipients,
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A 123-SMS contact (the provider's own address book)."""

    number: str
    groups: tuple[str, ...]
    last_name: str | None = None
    first_name: str | None = None
    company: str | None = None
    birthday: date | None = None
    variables: tuple[str | None, str | None, str | None] = (None, None, None)
    """The three mail-merge variables (``v1``, ``v2``, ``v3``)."""
