"""The one send path: the actions, the notify entities and the legacy notify service send here.

A send is checked, then sent through the account in one request where the provider takes many
recipients, and what the provider took is handed on to delivery tracking. When the account
certainly could not take it (it could not be reached and the request never left; or it refused
the credentials, has no credits, or blocks us: nothing can have been sent), the same message goes
at once through the account's fallback account. If that cannot take it either and the account
could not be reached, the message waits in the outbox (persisted) and is tried again, waiting
longer each time, until it leaves or the account's ``give_up_after`` has passed. Nothing that
may have reached a provider is ever sent again, and no message is sent by both accounts.

Notify entities of one account called together with the same text are gathered here into one
send, so that ``notify.send_message`` to several recipients makes one provider request.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
from typing import Any
from uuid import uuid4

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import (
    ATTR_BOOKMARK_URL,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_TEST,
    ATTR_TTS,
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_KEEP_TRYING,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_KEEP_TRYING,
    DOMAIN,
    STORAGE_VERSION,
)
from .coordinator import SmsGatewaysConfigEntry
from .gateways import (
    AccessDeniedError,
    AuthenticationError,
    Capability,
    DeliveryStatus,
    GatewayConnectionError,
    GatewayError,
    InsufficientCreditsError,
    MessageInfo,
    PreparedSms,
    SchedulingError,
    SendOutcomeUnknownError,
    SendResult,
    SendTimeError,
    SendTimeRangeError,
    mask_numbers,
    outcome_cause,
)
from .gateways.encoding import analyze
from .gateways.user_input import check_encodable, check_message
from .helpers import build_sms, gateway_error
from .storage import GroupedStore, WriteError
from .tracking import DeliveryUpdate

_LOGGER = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
"""The wait before a message of the outbox is tried again the first time; it doubles after."""
RETRY_LONGEST = timedelta(minutes=5)
NOTIFY_WINDOW = 0.005
"""Seconds during which notify entity calls with the same text are gathered into one send."""
SCHEDULED_KEPT = timedelta(hours=1)
"""How long after its send time a scheduled send is still remembered for ``cancel_sms``."""
_OUTBOXES: HassKey[dict[str, EntrySending]] = HassKey(f"{DOMAIN}_outboxes")
"""The one outbox of each entry that may read and write its file now."""
SEND_OPTIONS = (
    ATTR_SENDER,
    ATTR_SEND_AT,
    ATTR_FLASH,
    ATTR_MESSAGE_TYPE,
    ATTR_BOOKMARK_URL,
    ATTR_TTS,
    ATTR_TEST,
)
"""The fields of an action or a notification that shape the message."""


def outbox_store_key(entry_id: str) -> str:
    """The file in ``.storage`` where an entry's outbox and its scheduled sends are kept."""
    return f"{DOMAIN}.{entry_id}.outbox"


def outbox_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The same file as a ``Store`` (to remove it with the entry)."""
    return Store(hass, STORAGE_VERSION, outbox_store_key(entry_id))


def certainly_not_sent(err: GatewayError) -> bool:
    """Whether the error proves that the provider took nothing of the send.

    The adapters raise these for a whole send only before anything could have gone out.
    """
    if isinstance(err, GatewayConnectionError):
        return not err.request_sent
    return isinstance(err, AuthenticationError | InsufficientCreditsError)


def _unreachable(err: GatewayError) -> bool:
    return isinstance(err, GatewayConnectionError) and not err.request_sent


def _may_have_been_sent(err: BaseException) -> bool:
    if isinstance(err, HomeAssistantError) and (err.translation_key or "").startswith(
        "send_outcome_unknown"
    ):
        return True
    cause = err.__cause__ if isinstance(err, HomeAssistantError) else err
    if isinstance(cause, GatewayConnectionError):
        return cause.request_sent
    return isinstance(cause, SendOutcomeUnknownError)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """What to send, as the user asked for it; each account makes its own message of it."""

    recipients: tuple[str, ...]
    message: str
    options: dict[str, Any] = field(default_factory=dict)
    """The send options given (``sender``, ``send_at`` as a datetime, ``flash``, ...)."""

    @classmethod
    def of(cls, recipients: list[str] | tuple[str, ...], message: str, data: Any) -> SendRequest:
        """A request from an action's or a notification's fields (other fields ignored)."""
        options = {key: data[key] for key in SEND_OPTIONS if data.get(key) is not None}
        return cls(recipients=tuple(recipients), message=message, options=options)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for the outbox."""
        options = dict(self.options)
        send_at = options.get(ATTR_SEND_AT)
        if isinstance(send_at, datetime):
            options[ATTR_SEND_AT] = send_at.isoformat()
        return {"recipients": list(self.recipients), "message": self.message, "options": options}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SendRequest:
        """Read what ``as_dict`` wrote."""
        options = {
            key: value for key, value in dict(data["options"]).items() if key in SEND_OPTIONS
        }
        if isinstance(options.get(ATTR_SEND_AT), str):
            options[ATTR_SEND_AT] = datetime.fromisoformat(options[ATTR_SEND_AT])
        return cls(
            recipients=tuple(str(number) for number in data["recipients"]),
            message=str(data["message"]),
            options=options,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientOutcome:
    """What became of one recipient of a send, and which account took it."""

    recipient: str
    accepted: bool
    status: DeliveryStatus
    sent_by: str
    """The config entry id of the account that took it (or keeps it in its outbox)."""
    message_id: str | None = None
    error: str | None = None
    error_code: str | None = None

    def as_response(self) -> dict[str, Any]:
        """One item of ``messages`` in the ``send_sms`` response."""
        return {
            "recipient": self.recipient,
            "message_id": self.message_id,
            "accepted": self.accepted,
            "error": self.error,
            "status": self.status.value,
            "sent_by": self.sent_by,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReport:
    """The outcome of a send for every recipient."""

    messages: tuple[RecipientOutcome, ...]
    info: MessageInfo
    batch_id: str | None = None

    @classmethod
    def of(cls, result: SendResult, entry_id: str) -> SendReport:
        """The report of what one account's provider answered."""
        return cls(
            messages=tuple(
                RecipientOutcome(
                    recipient=message.recipient,
                    accepted=message.accepted,
                    status=message.status,
                    sent_by=entry_id,
                    message_id=message.message_id,
                    error=message.error,
                    error_code=message.error_code,
                )
                for message in result.messages
            ),
            info=result.info,
            batch_id=result.batch_id,
        )

    def as_response(self) -> dict[str, Any]:
        """The ``send_sms`` response."""
        return {
            "messages": [message.as_response() for message in self.messages],
            "batch_id": self.batch_id,
            "encoding": self.info.encoding.value,
            "characters": self.info.characters,
            "segments": self.info.segments,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A message that never reached the provider, and when to try it again."""

    item_id: str
    request: SendRequest
    created_at: datetime
    deadline: datetime
    next_try: datetime
    attempts: int = 0
    reason: str = ""
    """Why the last attempt could not send it."""
    in_flight: bool = False
    """An attempt was started: after a crash, the message may have been sent."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {
            "item_id": self.item_id,
            "request": self.request.as_dict(),
            "created_at": self.created_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "next_try": self.next_try.isoformat(),
            "attempts": self.attempts,
            "reason": self.reason,
            "in_flight": self.in_flight,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxItem:
        """Read what ``as_dict`` wrote."""
        return cls(
            item_id=str(data["item_id"]),
            request=SendRequest.from_dict(data["request"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            deadline=datetime.fromisoformat(data["deadline"]),
            next_try=datetime.fromisoformat(data["next_try"]),
            attempts=int(data.get("attempts", 0)),
            reason=str(data.get("reason", "")),
            in_flight=bool(data.get("in_flight", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledSend:
    """A scheduled send that ``cancel_sms`` can cancel by its ``batch_id``."""

    send_at: datetime
    messages: tuple[tuple[str, str], ...]
    """(message id, recipient) of every message the provider took."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for storage."""
        return {"send_at": self.send_at.isoformat(), "messages": [list(m) for m in self.messages]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScheduledSend:
        """Read what ``as_dict`` wrote."""
        return cls(
            send_at=datetime.fromisoformat(data["send_at"]),
            messages=tuple((str(mid), str(recipient)) for mid, recipient in data["messages"]),
        )


class EntryStoppedError(HomeAssistantError):
    """The account unloaded before the send began: nothing was sent or kept.

    The callers send it again through the entry set up next (``loading.async_send_through``).
    """

    def __init__(self, title: str) -> None:
        """Said in the user's words, should it ever reach them."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="account_not_loaded",
            translation_placeholders={"account": title, "reason": ""},
        )


class _NotSentError(Exception):
    """Neither the account nor its fallback could take the send; nothing was sent."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(str(error))
        self.error = error


def prepare(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, request: SendRequest
) -> PreparedSms:
    """The account's message for ``request``, checked against its provider's rules.

    Raises:
        ServiceValidationError: the message, a number, the sender or the send time is wrong,
            or an option the provider does not have was asked for (nothing was sent).
    """
    if not request.recipients:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_recipients",
            translation_placeholders={"account": entry.title},
        )
    _check_text(hass, entry, request)
    sms = build_sms(entry, request.recipients, request.message, request.options)
    try:
        return entry.runtime_data.gateway.prepare(sms)
    except SendTimeError as err:
        # The provider reads a wall time: one its clocks show twice (or never) is refused.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="send_at_skipped" if err.skipped else "send_at_repeated",
            translation_placeholders={
                "send_at": sms.send_at.isoformat() if sms.send_at else "",
                "time_zone": err.zone,
            },
        ) from err
    except SendTimeRangeError as err:
        raise gateway_error(hass, entry, err) from err
    except SchedulingError as err:
        send_at = sms.send_at.isoformat() if sms.send_at else ""
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="send_at_in_past",
            translation_placeholders={"send_at": send_at},
        ) from err
    except GatewayError as err:
        raise gateway_error(hass, entry, err) from err


def _check_text(hass: HomeAssistant, entry: SmsGatewaysConfigEntry, request: SendRequest) -> None:
    """Refuse text that is not Unicode (a lone surrogate, which only a template can make).

    No provider can be sent it and no file can hold it: kept in the outbox, it would fail every
    write after it. The options are checked too, before anything reaches the outbox.

    Raises:
        ServiceValidationError: the message or a text option is not Unicode text.
    """
    texts = [("message", request.message)]
    texts += [(key, value) for key, value in request.options.items() if isinstance(value, str)]
    try:
        for name, text in texts:
            check_encodable(name, text)
    except GatewayError as err:
        raise gateway_error(hass, entry, err) from err


async def _async_deliver(entry: SmsGatewaysConfigEntry, prepared: PreparedSms) -> SendReport:
    """Send through the account, count the credits, hand what it took on for tracking.

    Raises:
        GatewayError: the provider refused the whole send, or may or may not have taken it.
    """
    runtime = entry.runtime_data
    gateway = runtime.gateway
    try:
        with runtime.tracker.async_sending():
            result = await gateway.send(prepared.sms)
    except GatewayError:
        raise
    except Exception as err:
        # A bug in an adapter, possibly after the provider took the message: say so honestly.
        _LOGGER.exception("Unexpected error sending through %s", gateway.title)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="send_outcome_unknown_bug",
            translation_placeholders={"provider": gateway.title},
        ) from err
    if result.accepted:
        if result.batch_id is None:
            # The provider has no id for a whole send: ours, so that it can be cancelled whole.
            result = replace(result, batch_id=uuid4().hex)
        runtime.sending.async_remember_scheduled(result)
        runtime.async_sent(result)
    coordinator = runtime.coordinator
    if result.credits_remaining is not None:
        await coordinator.async_set_credits(result.credits_remaining)
    elif result.accepted and gateway.supports(Capability.BALANCE):
        await coordinator.async_request_refresh()
    if result.accepted:
        # The messages to follow are on disk before the send returns: a crash from here on
        # loses none of them. A failed write is logged by the store; the send did succeed.
        with suppress(WriteError):
            await runtime.tracker.async_wait_written()
    return SendReport.of(result, entry.entry_id)


class EntrySending:
    """Send for one account: its fallback, its outbox, its gathered notify calls."""

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        """Nothing is read or tried until ``async_start``."""
        self.hass = hass
        self.entry = entry
        self._store = GroupedStore(
            hass, outbox_store_key(entry.entry_id), self._data_to_save, version=STORAGE_VERSION
        )
        self.outbox: dict[str, OutboxItem] = {}
        self.scheduled: dict[str, ScheduledSend] = {}
        self._notify: dict[str, list[tuple[str, asyncio.Future[None]]]] = {}
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._retrying: asyncio.Future[None] | None = None
        """Done when the attempts under way have ended (None when none is)."""
        self._stopped = False
        """Stopping or stopped: no attempt starts any more."""
        self._stop_task: asyncio.Task[None] | None = None
        self._outbox_listeners: list[CALLBACK_TYPE] = []

    # --- life -------------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Take over the entry's outbox, restore it and the scheduled sends, plan the next try.

        One outbox per entry at a time: the one this replaces (an unload that has not ended,
        its request still out) is stopped first, and its last write is on disk before this one
        reads the file.
        """
        outboxes = self.hass.data.setdefault(_OUTBOXES, {})
        previous = outboxes.get(self.entry.entry_id)
        outboxes[self.entry.entry_id] = self
        if previous is not None and previous is not self:
            await previous.async_stop()
        stored = await self._store.async_load()
        if not isinstance(stored, dict):
            stored = {}
        interrupted: list[OutboxItem] = []
        for data in stored.get("outbox", []):
            try:
                item = OutboxItem.from_dict(data)
            except KeyError, ValueError, TypeError, AttributeError:
                _LOGGER.debug("Skipping a malformed message of the outbox")
                continue
            if item.in_flight:
                interrupted.append(item)
            else:
                self.outbox[item.item_id] = item
        scheduled = stored.get("scheduled", {})
        for batch_id, data in (scheduled if isinstance(scheduled, dict) else {}).items():
            try:
                self.scheduled[str(batch_id)] = ScheduledSend.from_dict(data)
            except KeyError, ValueError, TypeError, AttributeError:
                continue
        for item in interrupted:
            # Stopped while the request was out: it may have reached the provider.
            self._publish_all(
                item,
                DeliveryStatus.UNKNOWN,
                "Interrupted while it was being sent: it may have been sent, "
                "so it is not sent again",
            )
        if interrupted:
            with suppress(WriteError):  # logged by the store; tried again with the next change
                await self._async_write()
        self._schedule()

    async def async_stop(self) -> None:
        """Stop trying, let the attempt under way end, write the outbox, then never again.

        Called by the unload and by the outbox that replaces this one; both wait for the same
        stop. The attempt under way is not cancelled (its request may be out), so this waits
        at most the provider's request timeout.
        """
        if self._stop_task is None:
            self._stop_task = self.hass.async_create_task(
                self._async_stop(), f"{DOMAIN} stop outbox {self.entry.title}", eager_start=True
            )
        await asyncio.shield(self._stop_task)

    async def _async_stop(self) -> None:
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        for calls in self._notify.values():
            for _number, future in calls:
                # Not begun: each caller sends it again through the entry set up next.
                _settle(future, EntryStoppedError(self.entry.title))
        self._notify.clear()
        if self._retrying is not None:
            await asyncio.shield(self._retrying)
        await self._store.async_close()
        outboxes = self.hass.data.get(_OUTBOXES, {})
        if outboxes.get(self.entry.entry_id) is self:
            del outboxes[self.entry.entry_id]

    def _running(self) -> bool:
        return not self._stopped

    @property
    def stopped(self) -> bool:
        """Whether the entry unloads: a send must go through the entry set up next."""
        return self._stopped

    @property
    def keep_trying(self) -> bool:
        """Whether a send that never reached the provider waits in the outbox."""
        return bool(self.entry.options.get(CONF_KEEP_TRYING, DEFAULT_KEEP_TRYING))

    @property
    def give_up_after(self) -> timedelta:
        """How long a message waits in the outbox at most."""
        return timedelta(minutes=self.entry.options.get(CONF_GIVE_UP_AFTER, DEFAULT_GIVE_UP_AFTER))

    # --- sending ----------------------------------------------------------------------------

    async def async_send(self, request: SendRequest) -> SendReport:
        """Send, falling back or keeping the message in the outbox where that is safe.

        Raises:
            ServiceValidationError: the message, a number, the sender or the send time is wrong.
            HomeAssistantError: the provider refused the send (or every recipient), or may
                have taken it without saying so.
        """
        report = await self.async_send_report(request)
        if not any(m.accepted or m.status is DeliveryStatus.RETRYING for m in report.messages):
            unknown = [m for m in report.messages if m.status is DeliveryStatus.UNKNOWN]
            raise self._not_taken(unknown[0] if unknown else report.messages[0])
        return report

    def _not_taken(self, outcome: RecipientOutcome) -> HomeAssistantError:
        """The error of a recipient the provider did not take: refused, or maybe taken."""
        provider = self._title_of(outcome.sent_by)
        error = outcome_cause(outcome.error or outcome.error_code or "")
        if outcome.status is not DeliveryStatus.UNKNOWN:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="recipient_refused",
                translation_placeholders={
                    "provider": provider,
                    "recipient": outcome.recipient,
                    "error": error,
                },
            )
        # Not a refusal: the provider may have taken it (never called "refused").
        if outcome.message_id:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="send_outcome_unknown_id",
                translation_placeholders={
                    "provider": provider,
                    "error": error,
                    "message_id": outcome.message_id,
                },
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="send_outcome_unknown",
            translation_placeholders={"provider": provider, "error": error},
        )

    async def async_send_report(self, request: SendRequest) -> SendReport:
        """Send like ``async_send``, a report even when the provider refused every recipient.

        Raises:
            EntryStoppedError: the account unloads; nothing was sent (send it again through
                the entry set up next).
        """
        if self._stopped:
            raise EntryStoppedError(self.entry.title)
        prepared = prepare(self.hass, self.entry, request)
        try:
            return await self._async_send_once(request, prepared)
        except _NotSentError as err:
            failure = err.error
        if not (_unreachable(failure) and self.keep_trying):
            raise gateway_error(self.hass, self.entry, failure, sending=True) from failure
        if self._stopped:
            # Unloaded while it was tried: the outbox of the entry set up next keeps it.
            raise EntryStoppedError(self.entry.title) from failure
        return await self._async_keep(request, prepared, failure)

    async def _async_send_once(self, request: SendRequest, prepared: PreparedSms) -> SendReport:
        """This account, else at once its fallback; the fallback first if this one cannot pay.

        Raises:
            _NotSentError: neither could take it, and nothing was sent (this account's error).
            HomeAssistantError: a provider refused it, or may have taken it.
        """
        fell_back = False
        if self._fallback_id() is not None and self._cannot_pay(prepared):
            # Known empty: a try here could end in a fault that leaves the outcome unknown,
            # and the fallback could then never send it. Nothing is sent here, so no double.
            _LOGGER.info(
                "%s has too few credits for the message: it goes through its fallback account",
                self.entry.title,
            )
            if (report := await self._async_fall_back(request)) is not None:
                return report
            # The fallback certainly took nothing: this account is tried after all.
            fell_back = True
        try:
            return await _async_deliver(self.entry, prepared)
        except GatewayError as err:
            if not certainly_not_sent(err):
                raise gateway_error(self.hass, self.entry, err, sending=True) from err
            failure = err
        _LOGGER.debug("%s could not take the send: %s", self.entry.title, failure)
        if isinstance(failure, AuthenticationError) and not isinstance(failure, AccessDeniedError):
            self.entry.async_start_reauth(self.hass)
        report = None if fell_back else await self._async_fall_back(request)
        if report is None:
            raise _NotSentError(failure)
        return report

    def _cannot_pay(self, prepared: PreparedSms) -> bool:
        """Whether the last credits read says the account cannot pay for this message.

        Only for a provider that is asked for its credits (polled, so that a top-up is seen):
        a count learned from send responses alone would send every message elsewhere for good.
        """
        runtime = self.entry.runtime_data
        if not runtime.gateway.supports(Capability.BALANCE):
            return False
        available = runtime.coordinator.credits_for_message(prepared)
        if available is None:
            return False
        return available < prepared.info.segments * len(prepared.recipients)

    def _fallback_id(self) -> str | None:
        entry_id: str | None = self.entry.options.get(CONF_FALLBACK_ENTRY_ID)
        if not entry_id or entry_id == self.entry.entry_id:
            return None
        return entry_id

    def _fallback(self) -> SmsGatewaysConfigEntry | None:
        entry_id = self._fallback_id()
        if entry_id is None:
            return None
        fallback: SmsGatewaysConfigEntry | None = self.hass.config_entries.async_get_entry(entry_id)
        if (
            fallback is None
            or fallback.domain != DOMAIN
            or fallback.state is not ConfigEntryState.LOADED
        ):
            _LOGGER.warning(
                "The fallback account of %s is not loaded: the message is not sent through it",
                self.entry.title,
            )
            return None
        return fallback

    async def _async_fall_back(self, request: SendRequest) -> SendReport | None:
        """The send through the fallback account; None when it certainly could not take it.

        Raises:
            HomeAssistantError: the fallback refused it, or may have taken it.
        """
        fallback = self._fallback()
        if fallback is None:
            return None
        try:
            prepared = prepare(self.hass, fallback, request)
        except HomeAssistantError as err:
            _LOGGER.warning(
                "The fallback account %s cannot send it: %s", fallback.title, mask_numbers(err)
            )
            return None
        try:
            return await _async_deliver(fallback, prepared)
        except GatewayError as err:
            if not certainly_not_sent(err):
                raise gateway_error(self.hass, fallback, err, sending=True) from err
            if isinstance(err, AuthenticationError) and not isinstance(err, AccessDeniedError):
                fallback.async_start_reauth(self.hass)
            _LOGGER.warning(
                "The fallback account %s could not take it: %s", fallback.title, mask_numbers(err)
            )
            return None

    def _title_of(self, entry_id: str) -> str:
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.entry.runtime_data.gateway.title
        gateway_title: str = entry.runtime_data.gateway.title
        return gateway_title

    # --- the outbox -------------------------------------------------------------------------

    async def _async_keep(
        self, request: SendRequest, prepared: PreparedSms, failure: GatewayError
    ) -> SendReport:
        """Keep a message that never left in the outbox, stored before the action answers."""
        now = dt_util.utcnow()
        item = OutboxItem(
            item_id=uuid4().hex,
            request=replace(request, recipients=prepared.recipients),
            created_at=now,
            deadline=now + self.give_up_after,
            next_try=now + RETRY_FIRST,
            reason=str(failure),
        )
        try:
            json_bytes(item.as_dict())
        except TypeError, ValueError:
            # Text JSON cannot hold (a lone surrogate): kept, it would fail every write after.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_not_stored",
                translation_placeholders={
                    "account": self.entry.title,
                    "error": "the message holds characters that cannot be stored",
                },
            ) from failure
        self.outbox[item.item_id] = item
        try:
            await self._async_write()
        except WriteError as err:
            # Not on disk: a restart would lose it, so it is not promised.
            del self.outbox[item.item_id]
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_not_stored",
                translation_placeholders={"account": self.entry.title, "error": str(err)},
            ) from err
        _LOGGER.warning(
            "%s could not be reached; the SMS to %s waits in the outbox (%s)",
            self.entry.title,
            mask_numbers(", ".join(prepared.recipients)),
            mask_numbers(failure),
        )
        self._publish_all(item, DeliveryStatus.RETRYING, f"Not sent yet, trying again: {failure}")
        self._schedule()
        return SendReport(
            messages=tuple(
                RecipientOutcome(
                    recipient=recipient,
                    accepted=False,
                    status=DeliveryStatus.RETRYING,
                    sent_by=self.entry.entry_id,
                )
                for recipient in prepared.recipients
            ),
            info=prepared.info,
        )

    @callback
    def async_add_outbox_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Be told whenever the outbox may have changed (its sensor and repair issue).

        Returns:
            A callback that removes the listener.
        """
        self._outbox_listeners.append(listener)
        return lambda: self._outbox_listeners.remove(listener)

    @callback
    def _schedule(self) -> None:
        # Called after every change of the outbox: what shows it follows.
        for listener in list(self._outbox_listeners):
            listener()
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._stopped:
            return
        waiting = [item for item in self.outbox.values() if not item.in_flight]
        if not waiting:
            return
        when = min(min(item.next_try, item.deadline) for item in waiting)
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._due, when)

    @callback
    def _due(self, _now: datetime) -> None:
        self._unsub_timer = None
        if not self._stopped:
            # The entry's task, not a background one: an unload waits for it, never cancels it.
            self.entry.async_create_task(
                self.hass, self.async_retry_due(), f"{DOMAIN} outbox {self.entry.title}"
            )

    async def async_retry_due(self) -> None:
        """Try every message whose time has come; give up those past their deadline."""
        if self._retrying is not None or self._stopped:
            return
        self._retrying = self.hass.loop.create_future()
        try:
            now = dt_util.utcnow()
            due = sorted(
                (
                    item
                    for item in self.outbox.values()
                    if not item.in_flight and min(item.next_try, item.deadline) <= now
                ),
                key=lambda item: item.created_at,
            )
            for item in [item for item in due if now >= item.deadline]:
                self._give_up(item)
            due = [item for item in due if now < item.deadline]
            if due and (unreachable := await self._async_unreachable()) is not None:
                # Nothing can leave: none is marked as being sent, so a kill now loses none.
                for item in due:
                    self.outbox[item.item_id] = _later(item, now, unreachable)
                self._changed()
                due = []
            for item in due:
                if not self._running():
                    break
                await self._async_attempt(item, now)
        finally:
            retrying, self._retrying = self._retrying, None
            retrying.set_result(None)
            self._schedule()

    async def _async_unreachable(self) -> GatewayError | None:
        """Why the account cannot be reached now, where only a send could tell otherwise.

        A read that changes nothing, before any message is marked as being sent: while the
        provider refuses connections no mark is written, so a start after a kill never takes a
        message that did not leave for one that may have. None when it answered (whatever it
        said), or when the account has a fallback (the attempt hands the message over to it).
        """
        if self._fallback_id():
            return None
        gateway = self.entry.runtime_data.gateway
        try:
            if gateway.supports(Capability.BALANCE):
                await gateway.get_balance()
            else:
                await gateway.validate_credentials()
        except GatewayError as err:
            return err if _unreachable(err) else None
        except Exception:  # noqa: BLE001  # an adapter's bug: the attempt will tell
            return None
        return None

    @callback
    def _give_up(self, item: OutboxItem) -> None:
        del self.outbox[item.item_id]
        self._changed()
        minutes = round((item.deadline - item.created_at).total_seconds() / 60)
        _LOGGER.warning(
            "Gave up the SMS to %s: %s could not be reached for %s minutes",
            mask_numbers(", ".join(item.request.recipients)),
            self.entry.title,
            minutes,
        )
        self._publish_all(
            item,
            DeliveryStatus.FAILED,
            f"Never sent: the provider could not be reached for {minutes} minutes ({item.reason})",
        )

    async def _async_attempt(self, item: OutboxItem, now: datetime) -> None:
        """Send one message of the outbox, in this order of writes.

        1. It is marked as being sent, and the mark is on disk (checked) before the request
           can leave: a crash from then on never sends it again.
        2. When the request certainly never left, the mark is cleared and written before
           anything else happens: a start after a kill does not take it for maybe sent.
        3. Whatever else became of it, it leaves the outbox, and that is written.
        """
        request = item.request
        send_at = request.options.get(ATTR_SEND_AT)
        if isinstance(send_at, datetime) and send_at <= now:
            # Its time has passed while it waited: it leaves now.
            options = {k: v for k, v in request.options.items() if k != ATTR_SEND_AT}
            request = replace(request, options=options)
        try:
            prepared = prepare(self.hass, self.entry, request)
        except HomeAssistantError as err:
            del self.outbox[item.item_id]
            self._changed()
            self._publish_all(item, DeliveryStatus.FAILED, f"Never sent: {err}")
            return
        self.outbox[item.item_id] = replace(item, in_flight=True)
        try:
            await self._async_write()
        except WriteError as err:
            # The mark is not on disk: sent now, a crash could send it again. Not now.
            self.outbox[item.item_id] = _later(item, now, f"could not be stored: {err}")
            return
        try:
            report = await self._async_send_once(request, prepared)
        except _NotSentError as err:
            if _unreachable(err.error):
                self.outbox[item.item_id] = _later(item, now, str(err.error))
                await self._async_write_logged()
                return
            del self.outbox[item.item_id]
            await self._async_write_logged()
            self._publish_all(item, DeliveryStatus.FAILED, f"Never sent: {err.error}")
            return
        except HomeAssistantError as err:
            self.outbox.pop(item.item_id, None)
            await self._async_write_logged()
            if _may_have_been_sent(err):
                self._publish_all(item, DeliveryStatus.UNKNOWN, f"May have been sent: {err}")
            else:
                self._publish_all(item, DeliveryStatus.FAILED, f"Not sent: {err}")
            return
        self.outbox.pop(item.item_id, None)
        await self._async_write_logged()
        _LOGGER.info(
            "The SMS to %s left the outbox", mask_numbers(", ".join(item.request.recipients))
        )
        for message in report.messages:
            if not message.accepted:
                self._publish(message.recipient, DeliveryStatus.FAILED, message.error, None)
            elif message.sent_by != self.entry.entry_id:
                # Followed by the fallback account; this account's sensor says where it went.
                self._publish(
                    message.recipient,
                    message.status,
                    f"Sent by {self._title_of(message.sent_by)}",
                    message.message_id,
                    event=False,
                )

    @callback
    def _publish_all(self, item: OutboxItem, status: DeliveryStatus, provider_status: str) -> None:
        for recipient in item.request.recipients:
            self._publish(recipient, status, provider_status, None)

    @callback
    def _publish(
        self,
        recipient: str,
        status: DeliveryStatus,
        provider_status: str | None,
        message_id: str | None,
        *,
        event: bool = True,
    ) -> None:
        self.entry.runtime_data.tracker.async_publish(
            DeliveryUpdate(
                message_id=message_id,
                recipient=recipient,
                status=status,
                provider_status=provider_status,
                updated_at=dt_util.utcnow(),
            ),
            event=event,
        )

    # --- scheduled sends and their cancellation ---------------------------------------------

    @callback
    def async_remember_scheduled(self, result: SendResult) -> None:
        """Remember a scheduled send, so that ``cancel_sms`` can cancel it by its batch id."""
        gateway = self.entry.runtime_data.gateway
        if result.send_at is None or result.batch_id is None:
            return
        if not gateway.supports(Capability.CANCEL):
            return
        now = dt_util.utcnow()
        for batch_id, send in list(self.scheduled.items()):
            if send.send_at + SCHEDULED_KEPT < now:
                del self.scheduled[batch_id]
        self.scheduled[result.batch_id] = ScheduledSend(
            send_at=result.send_at,
            messages=tuple(
                (message.message_id, message.recipient)
                for message in result.accepted
                if message.message_id is not None
            ),
        )
        self._changed()

    async def async_cancel_batch(self, batch_id: str) -> dict[str, Any]:
        """Cancel every scheduled message of one send; each one's result.

        Raises:
            ServiceValidationError: no scheduled send has this batch id.
            HomeAssistantError: the provider refused, or cancelled none of them.
        """
        send = self.scheduled.get(batch_id)
        if send is None or not send.messages:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_batch",
                translation_placeholders={"batch_id": batch_id},
            )
        runtime = self.entry.runtime_data
        ids = [message_id for message_id, _recipient in send.messages]
        try:
            results = await runtime.gateway.cancel(ids)
        except GatewayError as err:
            raise gateway_error(self.hass, self.entry, err) from err
        by_id = {result.message_id: result for result in results}
        messages: list[dict[str, Any]] = []
        marked = False
        for message_id, recipient in send.messages:
            result = by_id.get(message_id)
            # None: the answer does not say (it may have been cancelled).
            canceled = result.canceled if result is not None else False
            if canceled and not (marked and runtime.gateway.cancels_whole_batch):
                runtime.tracker.async_mark_canceled(message_id)
                marked = True
            error = None
            if not canceled:
                error = (result.error if result else None) or "The provider said nothing of it"
            messages.append(
                {
                    "message_id": message_id,
                    "recipient": recipient,
                    "canceled": canceled,
                    "error": error,
                }
            )
        left = tuple(
            (message["message_id"], message["recipient"])
            for message in messages
            if not message["canceled"]
        )
        if left and len(left) == len(messages):
            unknown = [message for message in messages if message["canceled"] is None]
            if unknown:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="cancel_batch_outcome_unknown",
                    translation_placeholders={
                        "batch_id": batch_id,
                        "provider": runtime.gateway.title,
                        "error": unknown[0]["error"],
                    },
                )
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cancel_batch_failed",
                translation_placeholders={"batch_id": batch_id, "error": messages[0]["error"]},
            )
        if left:
            self.scheduled[batch_id] = replace(send, messages=left)
        else:
            del self.scheduled[batch_id]
        self._changed()
        return {"batch_id": batch_id, "messages": messages}

    # --- notify entities, gathered ----------------------------------------------------------

    async def async_notify(self, number: str, text: str) -> None:
        """Send ``text`` to one recipient entity's number, in one send with the others.

        Calls with the same text that arrive within ``NOTIFY_WINDOW`` (Home Assistant calls each
        target entity of ``notify.send_message`` separately, all at once) go out as one send;
        each call still gets its own recipient's error.
        """
        if self._stopped:
            raise EntryStoppedError(self.entry.title)
        loop = self.hass.loop
        future: asyncio.Future[None] = loop.create_future()
        calls = self._notify.get(text)
        if calls is None:
            calls = self._notify[text] = []
            loop.call_later(NOTIFY_WINDOW, self._start_notify, text)
        calls.append((number, future))
        await future

    @callback
    def _start_notify(self, text: str) -> None:
        calls = self._notify.pop(text, [])
        if calls:
            # Not a background task: an unload waits for a send under way, never cancels it
            # (its callers would wait for ever, the message perhaps sent).
            self.entry.async_create_task(
                self.hass, self._async_notify(text, calls), f"{DOMAIN} notify"
            )

    async def _async_notify(self, text: str, calls: list[tuple[str, asyncio.Future[None]]]) -> None:
        gateway = self.entry.runtime_data.gateway
        waiting: dict[str, list[asyncio.Future[None]]] = {}
        for number, future in calls:
            try:
                (normalized,) = gateway.normalize_recipients([number])
            except GatewayError as err:
                _settle(future, gateway_error(self.hass, self.entry, err))
                continue
            waiting.setdefault(normalized, []).append(future)
        # More recipients than one send takes go out in several sends, each with its answers.
        numbers = list(waiting)
        for start in range(0, len(numbers), gateway.max_recipients):
            group = numbers[start : start + gateway.max_recipients]
            await self._async_notify_group(text, {number: waiting[number] for number in group})

    async def _async_notify_group(
        self, text: str, waiting: dict[str, list[asyncio.Future[None]]]
    ) -> None:
        """One send of ``text`` to these numbers; each caller gets its recipient's outcome."""
        try:
            report = await self.async_send_report(
                SendRequest(recipients=tuple(waiting), message=text)
            )
        except HomeAssistantError as err:
            for futures in waiting.values():
                for future in futures:
                    _settle(future, err)
            return
        except Exception as err:  # noqa: BLE001  # handed to the callers, never lost
            for futures in waiting.values():
                for future in futures:
                    _settle(future, err)
            return
        outcomes = {message.recipient: message for message in report.messages}
        for recipient, futures in waiting.items():
            outcome = outcomes.get(recipient) or RecipientOutcome(
                recipient=recipient,
                accepted=False,
                status=DeliveryStatus.FAILED,
                sent_by=self.entry.entry_id,
                error="The provider said nothing of this recipient",
            )
            error: HomeAssistantError | None = None
            if outcome.status is DeliveryStatus.UNKNOWN or not (
                outcome.accepted or outcome.status is DeliveryStatus.RETRYING
            ):
                # A notification has no response to read: "may have been sent" is said.
                error = self._not_taken(outcome)
            for future in futures:
                _settle(future, error)

    # --- storage ----------------------------------------------------------------------------

    @callback
    def _changed(self) -> None:
        """Write the change with the next group; nobody waits for it (a failure is logged)."""
        self._store.async_changed()

    async def _async_write(self) -> None:
        """Return once the outbox as it is now is on disk.

        Raises:
            WriteError: it is not (the write failed, or this outbox was stopped: it writes
                nothing any more, and nothing may be promised from it).
        """
        await self._store.async_changed()

    async def _async_write_logged(self) -> None:
        """Like ``_async_write``, for a change whose failed write has nothing to undo."""
        with suppress(WriteError):  # logged by the store; the change goes with the next write
            await self._async_write()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "outbox": [item.as_dict() for item in self.outbox.values()],
            "scheduled": {batch_id: send.as_dict() for batch_id, send in self.scheduled.items()},
        }


def _later(item: OutboxItem, now: datetime, reason: str | GatewayError) -> OutboxItem:
    """The message as it waits for its next try, not being sent."""
    attempts = item.attempts + 1
    wait = min(RETRY_FIRST * 2**attempts, RETRY_LONGEST)
    return replace(
        item, attempts=attempts, next_try=now + wait, reason=str(reason), in_flight=False
    )


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _sendable(message: str) -> bool:
    """Whether any provider could take ``message``: not empty, visible, no lone surrogate."""
    try:
        check_message(message)
    except GatewayError:
        return False
    return True


def preview(entry: SmsGatewaysConfigEntry, message: str) -> dict[str, Any]:
    """What ``send_sms`` would report for ``message``, and whether the provider takes it."""
    gateway = entry.runtime_data.gateway
    info = analyze(message)
    max_length = gateway.max_length
    return {
        "encoding": info.encoding.value,
        "characters": info.characters,
        "length": info.length,
        "segments": info.segments,
        "max_length": max_length,
        "fits": _sendable(message) and (max_length is None or gateway.measure(info) <= max_length),
    }
