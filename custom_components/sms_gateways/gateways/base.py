"""The interface every provider adapter implements, and the checks made before anything is sent."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, NamedTuple, override
import unicodedata
import weakref
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from yarl import URL

from . import redact
from .encoding import GSM7_PART, UCS2_PART, analyze
from .errors import (
    InvalidRecipientError,
    InvalidSenderError,
    MessageTooLongError,
    SchedulingError,
    SendTimeError,
    TooManyRecipientsError,
    UnsupportedOperationError,
)
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    Contact,
    DeliveryReport,
    Encoding,
    HistoryEntry,
    InboundPage,
    InboundSms,
    MessageInfo,
    OutgoingSms,
    SendResult,
)
from .numbers import to_e164
from .transport import DEFAULT_TIMEOUT
from .user_input import check_encodable, check_message, instant

MAX_PARTS = 255
"""GSM 03.40 numbers the parts of a long SMS in one octet (SMSFactor's doc: "le standard permet
théoriquement jusqu'à 255 segments"): a longer text is no SMS, whatever the provider. It also
bounds the request of a provider that documents no limit."""

# A send time this far in the past is a mistake, not clock skew between us and the provider.
_PAST_TOLERANCE = timedelta(minutes=1)


def zone(name: str | ZoneInfo) -> ZoneInfo:
    """The IANA time zone ``name``.

    Raises:
        ValueError: no such time zone.
    """
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise ValueError(f"{name!r} is not an IANA time zone") from err


def _check_wall_time(when: datetime) -> None:
    """Refuse a time its zone's clocks show twice (autumn) or never (spring).

    The provider reads a wall time without an offset, so it cannot tell which of two instants
    is meant; and a time in the skipped hour does not exist there.

    Raises:
        SendTimeError: ``when`` falls in a repeated or skipped hour of its time zone.
    """
    if when.replace(fold=0).utcoffset() == when.replace(fold=1).utcoffset():
        return
    zone_name = str(when.tzinfo)
    wall = when.replace(tzinfo=None)
    back = when.astimezone(UTC).astimezone(when.tzinfo).replace(tzinfo=None)
    skipped = back != wall
    raise SendTimeError(
        f"The send time {wall.isoformat(sep=' ')} "
        + ("does not exist" if skipped else "happens twice")
        + f" in {zone_name} (clocks change then)",
        zone=zone_name,
        skipped=skipped,
    )


def check_printable_sender(sender: str) -> None:
    """Refuse a sender no request can carry: a control character, a lone surrogate.

    No doc allows them, and XML 1.0, JSON's UTF-8 and a phone's screen cannot carry them.

    Raises:
        InvalidSenderError: the sender has such a character (``unprintable``).
    """
    if sender.isprintable():
        return
    for char in sender:
        if char == " " or char.isprintable():
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Cn") or char in "\ufffe\uffff":
            raise InvalidSenderError(
                f"The sender {sender!r} has a character that cannot be sent",
                reason=InvalidSenderError.UNPRINTABLE,
            )


class PreparedSms(NamedTuple):
    """An outgoing message that passed every local check: numbers in E.164, text measured.

    A named tuple: made at every send, in a third of a frozen dataclass's steps.
    """

    sms: OutgoingSms
    recipients: tuple[str, ...]
    info: MessageInfo
    sender: str | None


class SmsGateway(ABC):
    """A client for one account at one SMS provider.

    Adapters declare what they can do in ``capabilities``; a call outside them raises
    ``UnsupportedOperationError``. Everything is validated locally before a request is made, and a
    request that may have reached the provider is never repeated.
    """

    provider: ClassVar[str]
    """The provider key (``netoxygen``, ``smsfactor``, ``mobyt``, ``sms123``)."""
    title: ClassVar[str]
    default_api_url: ClassVar[str]
    default_region: ClassVar[str]
    """The country national numbers are read in, unless the account says otherwise."""
    timezone: ZoneInfo
    """The time zone of the provider's dates (scheduling, reports, inbound messages).

    No provider's doc names one: each adapter's class value is an assumption (Europe/Paris, and
    Europe/Zurich for NetOxygen from providers/NOTES.md), which an account may change.
    """
    capabilities: ClassVar[frozenset[Capability]]
    max_length: ClassVar[int | None] = None
    """The longest message the provider takes, in septets (GSM) or UTF-16 units (UCS-2)."""
    length_in_characters: ClassVar[bool] = False
    """``max_length`` counts characters as typed, not septets or units (SMSFactor's doc says
    "Limite : 1120 caractères", R29); see ``measure``."""
    max_sender_length: ClassVar[int | None] = 11
    """The longest sender the provider's doc allows (None: its doc states no limit)."""
    max_numeric_sender_length: ClassVar[int] = 11
    """The most digits of a sender that is a phone number (``validate_sender``'s rule)."""
    requires_sender: ClassVar[bool] = False
    """The provider refuses a message without a sender (SMSFactor)."""
    max_recipients: ClassVar[int] = 500
    """The most recipients one send takes; more are refused before any request.

    No doc sets a number (SMSFactor's says "Limite : aucune"), so the bound is the size of a
    request and of its answer: NetOxygen answers one row of about 150 bytes per recipient, and
    an answer larger than ``xml.MAX_XML_BYTES`` (256 KiB) could not be read although the SMS
    went; 500 recipients keep that answer near 75 KB and every provider's request under 40 KB,
    far below the 1 MiB body limit common web servers start with."""
    cancels_whole_batch: ClassVar[bool] = False
    """Cancelling one message cancels every message of its send (Mobyt cancels an order)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str,
        password: str,
        api_url: str | None = None,
        region: str | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        timezone: str | ZoneInfo | None = None,
    ) -> None:
        """Keep the session Home Assistant gives and the account's credentials.

        ``timezone`` (an IANA name) replaces the provider's assumed time zone.

        Raises:
            ValueError: ``timezone`` is not a known IANA time zone.
        """
        self._session = session
        self._username = username
        self._password = password
        # Masked in every excerpt of a reply while this gateway lives (an echo of the request).
        redact.hide(password)
        weakref.finalize(self, redact.forget, password)
        base = api_url or self.default_api_url
        self._api_url = base if base.endswith("/") else f"{base}/"
        self.region = (region or self.default_region).upper()
        self._timeout = timeout
        self._urls: dict[tuple[str, str], str] = {}
        if timezone:
            self.timezone = zone(timezone)
        self.message_store: MutableMapping[str, Any] = {}
        """What the adapter keeps about messages it sent, by message id (123-SMS: what a
        cancel sends again). The integration stores and restores it, in place."""

    @override
    def __repr__(self) -> str:
        """Never show the password."""
        return f"<{type(self).__name__} {self.provider} user={self._username!r}>"

    @property
    def account_id(self) -> str:
        """A stable identifier of the provider account."""
        return self._username.strip().lower()

    @property
    def api_url(self) -> str:
        """The base URL the documented paths are joined to."""
        return self._api_url

    def url(self, path: str = "") -> str:
        """The URL of one documented path under ``api_url`` (joined once per path)."""
        if not path:
            return self._api_url
        key = (self._api_url, path)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = str(URL(self._api_url).join(URL(path)))
        return url

    def supports(self, *capabilities: Capability) -> bool:
        """Whether this provider can do ``capabilities`` (any of them, when several are named)."""
        return not self.capabilities.isdisjoint(capabilities)

    def _require(self, capability: Capability, what: str) -> None:
        if capability not in self.capabilities:
            raise UnsupportedOperationError(f"{self.title} cannot {what}")

    # --- checks made before anything is sent ----------------------------------------------

    def local_time(self, when: datetime) -> datetime:
        """``when`` in the provider's time zone.

        Raises:
            SchedulingError: ``when`` has no time zone.
            SendTimeRangeError: ``when`` is too far from today for any time zone to convert.
        """
        if when.tzinfo is None or when.utcoffset() is None:
            raise SchedulingError("The send time must include a time zone")
        return instant(when).astimezone(self.timezone)

    def validate_sender(self, sender: str) -> str:
        """Check a sender against "11 alphanumeric characters" (SMSFactor's and Mobyt's docs).

        Up to 11 ASCII letters and digits, or a number of up to 11 digits. Providers whose doc
        says otherwise override it (NetOxygen: no limit; 123-SMS: a length).

        Raises:
            InvalidSenderError: the sender is too long or has characters the doc does not allow.
        """
        sender = sender.strip()
        # ASCII digits after an optional +, or ASCII letters and digits (after strip() no
        # trailing newline is left for the regular expressions' $): str's own tests, which cost
        # half of the regular expressions between two round trips, measured.
        digits = sender.removeprefix("+")
        if digits.isascii() and digits.isdigit():
            if len(sender.removeprefix("+")) > self.max_numeric_sender_length:
                raise InvalidSenderError(
                    f"The sender {sender!r} is longer than {self.max_numeric_sender_length} digits",
                    reason=InvalidSenderError.TOO_LONG,
                    limit=self.max_numeric_sender_length,
                )
            return sender
        if self.max_sender_length is not None and len(sender) > self.max_sender_length:
            raise InvalidSenderError(
                f"The sender {sender!r} is longer than {self.max_sender_length} characters",
                reason=InvalidSenderError.TOO_LONG,
                limit=self.max_sender_length,
            )
        check_printable_sender(sender)
        if not (sender.isascii() and sender.isalnum()):
            raise InvalidSenderError(
                f"The sender {sender!r} may only have letters and digits (no spaces or accents)",
                reason=InvalidSenderError.NOT_ALPHANUMERIC,
            )
        return sender

    def normalize_recipients(self, recipients: Sequence[str]) -> tuple[str, ...]:
        """Every recipient in E.164, in order, each once.

        Raises:
            InvalidRecipientError: no recipient, or one that is not a valid number (named).
            TooManyRecipientsError: more numbers than ``max_recipients`` (found without reading
                the numbers beyond it).
        """
        if len(recipients) == 1:  # most sends: nothing to make unique
            return (to_e164(recipients[0], self.region),)
        if not recipients:
            raise InvalidRecipientError("No recipient given")
        normalized: dict[str, None] = {}
        limit = self.max_recipients
        for number in recipients:
            normalized[to_e164(number, self.region)] = None
            if len(normalized) > limit:
                raise TooManyRecipientsError(
                    f"{len(recipients)} recipients given; {self.title} takes at most {limit} "
                    "in one send",
                    count=len(recipients),
                    limit=limit,
                )
        return tuple(normalized)

    def prepare(self, sms: OutgoingSms, *, now: datetime | None = None) -> PreparedSms:
        """Check a message against this provider's rules before anything is sent.

        Raises:
            EmptyMessageError, MessageTooLongError, InvalidTextError, InvalidSenderError,
            InvalidRecipientError, TooManyRecipientsError, SchedulingError,
            UnsupportedOperationError: what is wrong, before any request.
        """
        check_message(sms.message)
        info = analyze(sms.message)
        if self.max_length is not None and (length := self.measure(info)) > self.max_length:
            raise MessageTooLongError(
                f"The message is {length} characters long; "
                f"{self.title} accepts at most {self.max_length}",
                length=length,
                limit=self.max_length,
            )
        if info.segments > MAX_PARTS:
            limit = MAX_PARTS * (GSM7_PART if info.encoding is Encoding.GSM7 else UCS2_PART)
            raise MessageTooLongError(
                f"The message is {info.length} characters long; no SMS has more than "
                f"{MAX_PARTS} parts ({limit} characters)",
                length=info.length,
                limit=limit,
            )
        self._check_options(sms)
        if sms.send_at is not None:
            self._require(Capability.SCHEDULE, "schedule a message")
            moment = self.local_time(sms.send_at)
            _check_wall_time(sms.send_at)
            _check_wall_time(moment)
            if moment < (now or datetime.now(UTC)) - _PAST_TOLERANCE:
                raise SchedulingError(f"The send time {sms.send_at.isoformat()} is in the past")
        sender = sms.sender
        if sender:
            check_encodable("sender", sender)
            sender = self.validate_sender(sender)
        elif self.requires_sender:
            raise InvalidSenderError(
                f"{self.title} needs a sender: set one on the message or in the account's options"
            )
        else:
            sender = None
        return PreparedSms(sms, self.normalize_recipients(sms.recipients), info, sender)

    def measure(self, info: MessageInfo) -> int:
        """A message's length as the provider's limit counts it (``max_length``)."""
        return info.characters if self.length_in_characters else info.length

    def _check_options(self, sms: OutgoingSms) -> None:
        """Refuse provider options this provider does not have, rather than ignore them."""
        if sms.flash:
            self._require(Capability.FLASH, "send flash messages")
        if sms.message_type is not None:
            self._require(Capability.MESSAGE_TYPE, "choose a message type")
        if sms.bookmark_url is not None:
            self._require(Capability.BOOKMARK, "send a bookmark link")
            check_encodable("bookmark_url", sms.bookmark_url)
        if sms.tts:
            self._require(Capability.TTS, "send voice messages")
        if sms.test:
            self._require(Capability.TEST_MODE, "send in test mode")

    # --- the calls ---------------------------------------------------------------------------

    async def send(self, sms: OutgoingSms) -> SendResult:
        """Send a message to its recipients, in one request where the provider allows it.

        A recipient the provider refuses is reported in the result, not raised; an error that
        concerns the whole request is raised.

        Raises:
            GatewayError: a local check failed, or the provider refused the whole request.
        """
        prepared = self.prepare(sms)
        result = await self._send(prepared)
        return replace(result, send_at=sms.send_at) if sms.send_at else result

    @abstractmethod
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """Send a prepared message."""

    @abstractmethod
    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials without sending anything.

        Raises:
            AuthenticationError: the provider refused them.
            GatewayConnectionError: the provider could not be reached.
        """

    async def get_balance(self) -> Balance:
        """The credits left on the account."""
        raise UnsupportedOperationError(f"{self.title} has no call for the remaining credits")

    def credits_for(
        self,
        balance: Balance,
        *,
        recipients: Sequence[str],
        sender: str | None,
        message_type: str | None,
    ) -> float | None:
        """The credits that sends of this kind draw from (Mobyt: one line per type and nation).

        None when they are not known (a line the provider listed could not be read).

        Args:
            balance: the account's credits.
            recipients: the numbers the account usually sends to (none: its own country).
            sender: the sender it usually sends with.
            message_type: the message type it usually sends with.
        """
        return balance.total

    async def get_account_status(self) -> str:
        """The account's status (NetOxygen: ``regular`` or ``free``)."""
        raise UnsupportedOperationError(f"{self.title} has no account status")

    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Cancel scheduled messages, one result per id."""
        raise UnsupportedOperationError(f"{self.title} cannot cancel a scheduled message")

    def status_request_key(self, message_id: str) -> str:
        """Which status request asks about ``message_id``: ids with the same key share one.

        By default every id goes in one request (NetOxygen); SMSFactor asks one per message,
        Mobyt one per order. The tracker uses it to bound the requests of one poll.
        """
        return ""

    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """The delivery status of sent messages, in as few requests as the provider allows."""
        raise UnsupportedOperationError(f"{self.title} has no delivery status call")

    async def normalize_number(self, number: str) -> str:
        """A number in E.164, checked locally (NetOxygen asks the provider)."""
        return to_e164(number, self.region)

    async def get_history(self, start: datetime, end: datetime) -> list[HistoryEntry]:
        """The messages sent between two dates."""
        raise UnsupportedOperationError(f"{self.title} has no message history")

    async def get_inbound(self, *, after_id: int = 0) -> list[InboundSms]:
        """The received messages with an id greater than ``after_id`` (polling)."""
        raise UnsupportedOperationError(f"{self.title} cannot be polled for received messages")

    async def poll_inbound(self, *, after_id: int = 0) -> InboundPage:
        """The received messages after ``after_id``, with the rows the adapter left out."""
        messages = await self.get_inbound(after_id=after_id)
        ids = [
            int(m.message_id)
            for m in messages
            if m.message_id and m.message_id.isascii() and m.message_id.isdigit()
        ]
        return InboundPage(messages=tuple(messages), last_id=max(ids) if ids else None)

    def is_status_push(self, form: Mapping[str, str]) -> bool:
        """Whether a push to our webhook carries delivery reports (else received messages).

        Read from the provider's own field names, which only its adapter knows.
        """
        return False

    def parse_inbound_push(self, form: Mapping[str, str]) -> list[InboundSms]:
        """Read the received messages the provider pushed to our webhook.

        Raises:
            GatewayResponseError: the push is malformed or hostile.
        """
        raise UnsupportedOperationError(f"{self.title} does not push received messages")

    def parse_status_push(self, form: Mapping[str, str]) -> list[DeliveryReport]:
        """Read the delivery reports the provider pushed to our webhook.

        Raises:
            GatewayResponseError: the push is malformed.
        """
        raise UnsupportedOperationError(f"{self.title} does not push delivery reports")

    # --- 123-SMS address book ------------------------------------------------------------------

    async def add_group(self, group: str) -> None:
        """Create a contact group."""
        raise UnsupportedOperationError(f"{self.title} has no contact groups")

    async def rename_group(self, group: str, new_name: str) -> None:
        """Rename a contact group."""
        raise UnsupportedOperationError(f"{self.title} has no contact groups")

    async def delete_group(self, group: str) -> None:
        """Delete an empty contact group."""
        raise UnsupportedOperationError(f"{self.title} has no contact groups")

    async def add_contact(self, contact: Contact) -> None:
        """Add a contact to one or more groups."""
        raise UnsupportedOperationError(f"{self.title} has no contacts")

    async def update_contact(self, number: str, contact: Contact) -> None:
        """Change the contact whose number is ``number`` (its number may change too)."""
        raise UnsupportedOperationError(f"{self.title} has no contacts")

    async def delete_contact(self, number: str, *, group: str | None = None) -> None:
        """Delete a contact from one group, or from every group."""
        raise UnsupportedOperationError(f"{self.title} has no contacts")
