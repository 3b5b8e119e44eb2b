"""The credits and status of one provider account, polled and learned from every send."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MESSAGE_TYPE,
    CONF_SCAN_INTERVAL,
    CONF_SENDER,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    ISSUE_NO_CREDITS,
    STORAGE_VERSION,
)
from .contacts import recipient_numbers
from .gateways import (
    AccessDeniedError,
    AuthenticationError,
    Balance,
    Capability,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    PreparedSms,
    SmsGateway,
)
from .issues import async_raise_warning
from .storage import entry_store_key

_LOGGER = logging.getLogger(__name__)

ACCOUNT_STATUS_MAX_AGE = timedelta(days=1)
FIRST_ANSWER_RETRY = timedelta(seconds=30)
"""The wait before the provider, not answering since the start, is asked again; it doubles."""
FIRST_ANSWER_RETRY_LONGEST = timedelta(minutes=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountData:
    """What the entities show: the credits left and the account status."""

    balance: Balance | None = None
    """None until the provider has told us (SMSFactor: until the first send)."""
    account_status: str | None = None


class SmsGatewaysCoordinator(DataUpdateCoordinator[AccountData]):
    """Poll the credits (and NetOxygen's account status) of one account.

    A provider without a balance call (SMSFactor) is not polled: its credits come from the send
    responses only, and the last known count is stored so that it survives a restart.
    """

    config_entry: ConfigEntry[Any]

    def __init__(
        self, hass: HomeAssistant, config_entry: ConfigEntry[Any], gateway: SmsGateway
    ) -> None:
        """Poll at the interval of the options, if the provider can be polled at all."""
        self.gateway = gateway
        polled = gateway.supports(Capability.BALANCE) or gateway.supports(Capability.ACCOUNT_STATUS)
        minutes = config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=config_entry,
            name=f"{DOMAIN} {gateway.provider}",
            update_interval=timedelta(minutes=minutes) if polled else None,
        )
        self._store: Store[dict[str, float]] | None = None
        if not gateway.supports(Capability.BALANCE):
            self._store = credits_store(hass, config_entry.entry_id)
        self._stored_balance: Balance | None = None
        self._status_read_at: datetime | None = None
        self._unsub_first_answer: CALLBACK_TYPE | None = None
        self._first_answer_tries = 0
        # Nothing read yet: the entities are unavailable until the provider answers.
        self.data = AccountData()
        self.last_update_success = False

    async def async_start(self) -> None:
        """Read what is stored; ask the provider in the background, never holding up set-up.

        An account whose provider cannot be reached at start still loads (its sends wait in
        the outbox). Its readings are unavailable until the provider first answers: it is
        asked again, waiting longer each time, until it does; only an answer that proves the
        credentials wrong starts a reauth (the coordinator does so on ``ConfigEntryAuthFailed``).
        """
        await self._async_setup()
        self.config_entry.async_on_unload(self._async_cancel_first_answer)
        self.config_entry.async_create_background_task(
            self.hass, self._async_ask_until_answered(), f"{DOMAIN} first credits read"
        )

    @property
    def answered(self) -> bool:
        """Whether the provider answered the last credits read."""
        return self.last_update_success

    async def _async_ask_until_answered(self) -> None:
        await self.async_refresh()
        if self.last_update_success or isinstance(self.last_exception, ConfigEntryAuthFailed):
            return
        if self._first_answer_tries == 0:
            _LOGGER.warning(
                "%s could not be read at start (%s): its sends wait in the outbox, and its "
                "credits are shown once it answers",
                self.config_entry.title,
                self.last_exception,
            )
        wait = min(FIRST_ANSWER_RETRY * 2**self._first_answer_tries, FIRST_ANSWER_RETRY_LONGEST)
        self._first_answer_tries += 1
        self._unsub_first_answer = async_call_later(self.hass, wait, self._async_ask_again)

    @callback
    def _async_ask_again(self, _now: datetime) -> None:
        self._unsub_first_answer = None
        if self.last_update_success:
            # A send or a scheduled poll has had its answer meanwhile.
            return
        self.config_entry.async_create_background_task(
            self.hass, self._async_ask_until_answered(), f"{DOMAIN} credits read"
        )

    @callback
    def _async_cancel_first_answer(self) -> None:
        if self._unsub_first_answer is not None:
            self._unsub_first_answer()
            self._unsub_first_answer = None

    @override
    async def _async_setup(self) -> None:
        """Read the last known credits of a provider that cannot be asked for them."""
        if self._store is None:
            return
        stored = await self._store.async_load()
        if stored and isinstance(amount := stored.get("credits"), int | float):
            self._stored_balance = Balance(total=float(amount))

    @override
    async def _async_update_data(self) -> AccountData:
        """Ask the provider for the credits and status, in as few requests as it allows."""
        gateway = self.gateway
        try:
            if gateway.supports(Capability.BALANCE):
                balance: Balance | None = await gateway.get_balance()
            else:
                # Nothing to poll: check that the credentials still work (setup, manual update).
                info = await gateway.validate_credentials()
                balance = info.balance or self._known_balance()
            status = await self._async_account_status()
        except AccessDeniedError as err:
            # Refused from this address, not for the credentials: no reauth.
            raise self._update_failed(err) from err
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="authentication_failed",
                translation_placeholders=self._names(),
            ) from err
        except GatewayError as err:
            raise self._update_failed(err) from err
        self._async_update_credits_issue(balance)
        return AccountData(balance=balance, account_status=status)

    def _update_failed(self, err: GatewayError) -> UpdateFailed:
        """The translated error of an update the provider did not answer as asked."""
        names = self._names()
        placeholders: dict[str, str]
        match err:
            case AccessDeniedError():
                key, placeholders = (
                    "access_denied",
                    {"provider": names["provider"], "error": str(err)},
                )
            case GatewayConnectionError():
                key, placeholders = "update_failed", names
            case GatewayResponseError():
                key, placeholders = "invalid_response", {**names, "error": str(err)}
            case _:
                key, placeholders = "provider_error", {**names, "error": str(err)}
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    @callback
    def async_options_updated(self) -> None:
        """Apply options saved without a reload: the polling interval, what sends draw from."""
        if self.update_interval is not None:
            minutes = self.config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
            self.update_interval = timedelta(minutes=minutes)
        if self.data is not None and self.answered:
            self._async_update_credits_issue(self.data.balance)
        self.async_update_listeners()

    async def async_set_credits(self, credits_left: float) -> None:
        """Show the credits a send response carried, and remember them if we cannot ask."""
        balance = Balance(total=credits_left)
        if self._store is not None:
            await self._store.async_save({"credits": credits_left})
        self._async_update_credits_issue(balance)
        self.async_set_updated_data(replace(self.data or AccountData(), balance=balance))

    async def _async_account_status(self) -> str | None:
        """The account status, asked at most once a day: it seldom changes.

        So that a refresh is one request (the credits) on most days.
        """
        if not self.gateway.supports(Capability.ACCOUNT_STATUS):
            return None
        now = dt_util.utcnow()
        known = self.data.account_status if self.data is not None else None
        fresh = (
            self._status_read_at is not None and now - self._status_read_at < ACCOUNT_STATUS_MAX_AGE
        )
        if known is not None and fresh:
            return known
        status = await self.gateway.get_account_status()
        self._status_read_at = now
        return status

    def credits_for_sends(self, balance: Balance) -> float | None:
        """The credits the account's sends draw from, not the sum of every line (None: unknown).

        Mobyt pays a send from the line of its message type and the recipient's nation (the
        ``EE`` line abroad): with ``N|FR|0;L|FR|500;EE||20``, type N to France has 0 credits.
        The account's sends are those of its options (sender, message type) to its recipients.
        """
        entry = self.config_entry
        sender = entry.options.get(CONF_SENDER)
        return self.gateway.credits_for(
            balance,
            recipients=recipient_numbers(entry),
            sender=sender or None,
            message_type=entry.options.get(CONF_MESSAGE_TYPE),
        )

    def credits_for_message(self, prepared: PreparedSms) -> float | None:
        """The credits the last read leaves for this message's line; None if never read.

        Mobyt: the line of the message's type and its recipients' nation.
        """
        if self.data is None or self.data.balance is None:
            return None
        return self.gateway.credits_for(
            self.data.balance,
            recipients=prepared.recipients,
            sender=prepared.sender,
            message_type=prepared.sms.message_type,
        )

    def _known_balance(self) -> Balance | None:
        if self.data is not None and self.data.balance is not None:
            return self.data.balance
        return self._stored_balance

    def _names(self) -> dict[str, str]:
        return {"provider": self.gateway.title, "account": self.config_entry.title}

    @callback
    def _async_update_credits_issue(self, balance: Balance | None) -> None:
        """Raise a repair issue while the account has no credits left."""
        if balance is None:
            return
        issue_id = no_credits_issue_id(self.config_entry.entry_id)
        credits_left = self.credits_for_sends(balance)
        if credits_left is None:
            return  # a line that may pay could not be read: neither raised nor cleared
        if credits_left > 0:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        async_raise_warning(
            self.hass, issue_id, ISSUE_NO_CREDITS, {"account": self.config_entry.title}
        )


CREDITS_STORE = "credits"
"""The part of an entry's stored state that keeps its last known credits."""


def credits_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, float]]:
    """Where the last known credits of an entry are kept."""
    return Store(hass, STORAGE_VERSION, entry_store_key(entry_id, CREDITS_STORE))


def no_credits_issue_id(entry_id: str) -> str:
    """The repair issue raised while an entry has no credits."""
    return f"{ISSUE_NO_CREDITS}_{entry_id}"
