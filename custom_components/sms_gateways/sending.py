"""The one send path: the actions, the notify entities and the legacy notify service send here.

A send is checked, then sent through the account in one request where the provider takes many
recipients, and what the provider took is handed on to delivery tracking. When the account
certainly could not take it (it could not be reached and the request never left; or it refused
the credentials, has no credits, or blocks us: nothing can have been sent), the same message goes
at once through the account's fallback account. If that cannot take it either and the account
could not be reached, the message waits in the outbox (persisted) and is tried again, waiting
longer each time, until it leaves or the account's ``give_up_after`` has passed. Nothing that
may have reached a provider is ever sent again, and no message is sent by both accounts.

The outbox (``outbox.py``), the scheduled sends (``scheduled.py``) and the gathered notify calls
(``notify_batch.py``) each send through this path, never around it.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
import logging
from typing import Any
from uuid import uuid4

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util.hass_dict import HassKey

from .compose import build_sms
from .const import (
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_KEEP_TRYING,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_KEEP_TRYING,
    DOMAIN,
)
from .coordinator import SmsGatewaysCoordinator
from .gateways import (
    AccessDeniedError,
    AuthenticationError,
    Capability,
    DeliveryStatus,
    GatewayError,
    PreparedSms,
    SchedulingError,
    SendResult,
    SendTimeError,
    SendTimeRangeError,
    SmsGateway,
    mask_numbers,
    outcome_cause,
)
from .gateways.encoding import analyze
from .gateways.user_input import check_encodable, check_message
from .listeners import Listeners
from .notify_batch import NotifyBatch
from .outbox import OUTBOX_STORE, Outbox, OutboxItem
from .scheduled import ScheduledSends
from .send_request import (
    EntryStoppedError,
    NotSentError,
    RecipientOutcome,
    SendReport,
    SendRequest,
    SentListener,
    certainly_not_sent,
    unreachable,
)
from .spend import DailyLimitError, DailySpend
from .storage import WriteError, entry_grouped_store
from .tracking import DeliveryTracker
from .translated_errors import gateway_error

_LOGGER = logging.getLogger(__name__)

_OUTBOXES: HassKey[dict[str, EntrySending]] = HassKey(f"{DOMAIN}_outboxes")
"""The one outbox of each entry that may read and write its file now."""


class EntrySending:
    """Send for one account: its fallback, its outbox, its gathered notify calls."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        gateway: SmsGateway,
        coordinator: SmsGatewaysCoordinator,
        tracker: DeliveryTracker,
        spend: DailySpend,
    ) -> None:
        """Nothing is read or tried until ``async_start``."""
        self.hass = hass
        self.entry = entry
        self.gateway = gateway
        self.coordinator = coordinator
        self.tracker = tracker
        self.spend = spend
        self._sent_listeners: Listeners[SendResult] = Listeners()
        self._store = entry_grouped_store(hass, entry.entry_id, OUTBOX_STORE, self._data_to_save)
        self._stopped = False
        """Stopping or stopped: no attempt starts any more."""
        self._stop_task: asyncio.Task[None] | None = None
        self._outbox = Outbox(self, tracker)
        self.scheduled = ScheduledSends(gateway, tracker, on_change=self.changed, error=self.error)
        self.notify_batch = NotifyBatch(self)

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
        self.scheduled.load(stored.get("scheduled", {}))
        await self._outbox.async_load(stored.get("outbox", []))

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
        self.notify_batch.stop()
        await self._outbox.async_stop()
        await self._store.async_close()
        outboxes = self.hass.data.get(_OUTBOXES, {})
        if outboxes.get(self.entry.entry_id) is self:
            del outboxes[self.entry.entry_id]

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

    def prepare(self, request: SendRequest) -> PreparedSms:
        """The account's message for ``request``, checked against its provider's rules.

        Raises:
            ServiceValidationError: the message, a number, the sender or the send time is wrong,
                or an option the provider does not have was asked for (nothing was sent).
        """
        if not request.recipients:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_recipients",
                translation_placeholders={"account": self.entry.title},
            )
        self._check_text(request)
        sms = build_sms(
            self.entry, self.gateway, request.recipients, request.message, request.options
        )
        try:
            return self.gateway.prepare(sms)
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
            raise self.error(err) from err
        except SchedulingError as err:
            send_at = sms.send_at.isoformat() if sms.send_at else ""
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="send_at_in_past",
                translation_placeholders={"send_at": send_at},
            ) from err
        except GatewayError as err:
            raise self.error(err) from err

    def _check_text(self, request: SendRequest) -> None:
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
            raise self.error(err) from err

    async def _async_deliver(self, prepared: PreparedSms) -> SendReport:
        """Send through the account, count the credits, hand what it took on for tracking.

        Raises:
            DailyLimitError: the account's daily limit refuses it; no request was made.
            GatewayError: the provider refused the whole send, or may or may not have taken it.
        """
        gateway = self.gateway
        # Spend guard: refused past the daily limit (DailyLimitError, nothing sent); counts what
        # the provider was handed once the request ends.
        spending = self.spend.async_reserve(prepared)
        try:
            with self.tracker.async_sending(), spending:
                result = spending.sent(await gateway.send(prepared.sms))
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
            self.async_remember_scheduled(result)
            self.async_sent(result)
        coordinator = self.coordinator
        if result.credits_remaining is not None:
            await coordinator.async_set_credits(result.credits_remaining)
        elif result.accepted and gateway.supports(Capability.BALANCE):
            await coordinator.async_request_refresh()
        if result.accepted:
            # The messages to follow are on disk before the send returns: a crash from here on
            # loses none of them. A failed write is logged by the store; the send did succeed.
            with suppress(WriteError):
                await self.tracker.async_wait_written()
        return SendReport.of(result, self.entry.entry_id)

    def error(
        self, err: GatewayError, *, sending: bool = False, canceling: str | None = None
    ) -> HomeAssistantError:
        """The translated error of this account's gateway error (a reauth if credentials)."""
        return gateway_error(
            self.hass, self.entry, self.gateway, err, sending=sending, canceling=canceling
        )

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
            raise self.not_taken(unknown[0] if unknown else report.messages[0])
        return report

    def not_taken(self, outcome: RecipientOutcome) -> HomeAssistantError:
        """The error of a recipient the provider did not take: refused, or maybe taken."""
        provider = self.title_of(outcome.sent_by)
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
        prepared = self.prepare(request)
        try:
            return await self.async_send_once(request, prepared)
        except NotSentError as err:
            failure = err.error
        if not (unreachable(failure) and self.keep_trying):
            raise self.error(failure, sending=True) from failure
        if self._stopped:
            # Unloaded while it was tried: the outbox of the entry set up next keeps it.
            raise EntryStoppedError(self.entry.title) from failure
        return await self._outbox.async_keep(request, prepared, failure)

    async def async_send_once(self, request: SendRequest, prepared: PreparedSms) -> SendReport:
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
            return await self._async_deliver(prepared)
        except GatewayError as err:
            if not certainly_not_sent(err):
                raise self.error(err, sending=True) from err
            failure = err
        _LOGGER.debug("%s could not take the send: %s", self.entry.title, failure)
        if isinstance(failure, AuthenticationError) and not isinstance(failure, AccessDeniedError):
            self.entry.async_start_reauth(self.hass)
        report = None if fell_back else await self._async_fall_back(request)
        if report is None:
            raise NotSentError(failure)
        return report

    def _cannot_pay(self, prepared: PreparedSms) -> bool:
        """Whether the last credits read says the account cannot pay for this message.

        Only for a provider that is asked for its credits (polled, so that a top-up is seen):
        a count learned from send responses alone would send every message elsewhere for good.
        """
        if not self.gateway.supports(Capability.BALANCE):
            return False
        available = self.coordinator.credits_for_message(prepared)
        if available is None:
            return False
        return available < prepared.info.segments * len(prepared.recipients)

    def _fallback_id(self) -> str | None:
        entry_id: str | None = self.entry.options.get(CONF_FALLBACK_ENTRY_ID)
        if not entry_id or entry_id == self.entry.entry_id:
            return None
        return entry_id

    @property
    def has_fallback(self) -> bool:
        """Whether the account has a fallback account (loaded or not)."""
        return self._fallback_id() is not None

    def _fallback(self) -> EntrySending | None:
        """The send path of the fallback account, if it is loaded."""
        entry_id = self._fallback_id()
        if entry_id is None:
            return None
        fallback = _loaded(self.hass, entry_id)
        if fallback is None:
            _LOGGER.warning(
                "The fallback account of %s is not loaded: the message is not sent through it",
                self.entry.title,
            )
        return fallback

    async def _async_fall_back(self, request: SendRequest) -> SendReport | None:
        """The send through the fallback account; None when it certainly could not take it.

        Raises:
            HomeAssistantError: the fallback refused it, or may have taken it.
        """
        fallback = self._fallback()
        if fallback is None:
            return None
        title = fallback.entry.title
        try:
            prepared = fallback.prepare(request)
        except HomeAssistantError as err:
            _LOGGER.warning("The fallback account %s cannot send it: %s", title, mask_numbers(err))
            return None
        try:
            return await fallback._async_deliver(prepared)  # noqa: SLF001  # the one send path
        except DailyLimitError as err:  # spend guard: the fallback's own limit; nothing sent
            _LOGGER.warning("The fallback account %s cannot send it: %s", title, err)
            return None
        except GatewayError as err:
            if not certainly_not_sent(err):
                raise fallback.error(err, sending=True) from err
            if isinstance(err, AuthenticationError) and not isinstance(err, AccessDeniedError):
                fallback.entry.async_start_reauth(self.hass)
            _LOGGER.warning(
                "The fallback account %s could not take it: %s", title, mask_numbers(err)
            )
            return None

    def title_of(self, entry_id: str) -> str:
        """The provider's title of the account that took a message (this one if unloaded)."""
        other = _loaded(self.hass, entry_id)
        return (other or self).gateway.title

    @callback
    def async_add_sent_listener(self, listener: SentListener) -> CALLBACK_TYPE:
        """Be told of every send the provider took (delivery tracking hooks in here)."""
        return self._sent_listeners.add(listener)

    @callback
    def async_sent(self, result: SendResult) -> None:
        """Hand a send's accepted messages on to the listeners."""
        self._sent_listeners.notify(result)

    # --- the outbox (outbox.py) -----------------------------------------------------------

    @property
    def outbox(self) -> dict[str, OutboxItem]:
        """The messages that wait in the outbox, by id."""
        return self._outbox.items

    @callback
    def async_add_outbox_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Be told whenever the outbox may have changed (its sensor and repair issue)."""
        return self._outbox.async_add_listener(listener)

    async def async_retry_due(self) -> None:
        """Try every message of the outbox whose time has come."""
        await self._outbox.async_retry_due()

    # --- scheduled sends (scheduled.py) ----------------------------------------------------

    @callback
    def async_remember_scheduled(self, result: SendResult) -> None:
        """Remember a scheduled send, so that ``cancel_sms`` can cancel it by its batch id."""
        self.scheduled.async_remember(result)

    async def async_cancel_batch(self, batch_id: str) -> dict[str, Any]:
        """Cancel every scheduled message of one send; each one's result (see ``scheduled``)."""
        return await self.scheduled.async_cancel_batch(batch_id)

    # --- notify entities, gathered (notify_batch.py) ---------------------------------------

    async def async_notify(self, number: str, text: str) -> None:
        """Send ``text`` to one recipient entity's number, in one send with the others."""
        await self.notify_batch.async_notify(number, text)

    # --- storage ----------------------------------------------------------------------------

    @callback
    def changed(self) -> None:
        """Write the change with the next group; nobody waits for it (a failure is logged)."""
        self._store.async_changed()

    async def async_write(self) -> None:
        """Return once the outbox as it is now is on disk.

        Raises:
            WriteError: it is not (the write failed, or this outbox was stopped: it writes
                nothing any more, and nothing may be promised from it).
        """
        await self._store.async_changed()

    async def async_write_logged(self) -> None:
        """Like ``async_write``, for a change whose failed write has nothing to undo."""
        with suppress(WriteError):  # logged by the store; the change goes with the next write
            await self.async_write()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "outbox": [item.as_dict() for item in self.outbox.values()],
            "scheduled": self.scheduled.as_dict(),
        }


def _loaded(hass: HomeAssistant, entry_id: str) -> EntrySending | None:
    """The send path of a loaded account of this integration, by its entry id."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    return hass.data.get(_OUTBOXES, {}).get(entry_id)


def _sendable(message: str) -> bool:
    """Whether any provider could take ``message``: not empty, visible, no lone surrogate."""
    try:
        check_message(message)
    except GatewayError:
        return False
    return True


def preview(gateway: SmsGateway, message: str) -> dict[str, Any]:
    """What ``send_sms`` would report for ``message``, and whether the provider takes it."""
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
