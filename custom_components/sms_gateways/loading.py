"""The loaded entry a send goes through: waited for while it loads or reloads, never assumed.

Home Assistant unloads an entry before it sets it up again (saving the options reloads it), and
loads it a moment after the integration's actions exist. A message given to an action or a
notify service in between waits, for a bounded time, for the entry to be loaded; an entry that
is not coming (disabled, failed, waiting to retry) refuses it with a translated error, so that
no message is ever dropped without a word.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CoreState, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN
from .runtime import SmsGatewaysConfigEntry
from .send_request import EntryStoppedError

LOAD_WAIT = 30.0
"""Seconds a send waits at most for its entry to be loaded (a reload takes about one)."""
_RECHECK = 1.0
"""Seconds between two looks at the entry, should a change of state go unnoticed."""
_RELOADS_FOLLOWED = 3
"""Reloads a send follows, one after the other, before it is refused."""
_COMING = (ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.UNLOAD_IN_PROGRESS)


def usable(entry: ConfigEntry[Any]) -> bool:
    """Whether the entry is loaded and its send path is not stopping."""
    if entry.state is not ConfigEntryState.LOADED:
        return False
    sending = getattr(getattr(entry, "runtime_data", None), "sending", None)
    return sending is not None and not sending.stopped


def _coming(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Whether the entry is on its way to being loaded (loading, reloading, or at start)."""
    if entry.disabled_by is not None:
        return False
    if entry.state in _COMING or entry.setup_lock.locked():
        return True
    if entry.state is ConfigEntryState.LOADED:
        # Loaded, its send path stopping: an unload has begun.
        return True
    # Not loaded yet while Home Assistant starts: its set-up comes.
    return entry.state is ConfigEntryState.NOT_LOADED and hass.state in (
        CoreState.not_running,
        CoreState.starting,
    )


async def async_wait_loaded(
    hass: HomeAssistant, entry: ConfigEntry[Any], timeout: float = LOAD_WAIT
) -> bool:
    """Wait until ``entry`` is loaded, if it is coming; whether it is loaded."""
    if usable(entry):
        return True
    if not _coming(hass, entry):
        return False
    changed = asyncio.Event()

    @callback
    def _changed(_change: ConfigEntryChange, changed_entry: ConfigEntry[Any]) -> None:
        if changed_entry.entry_id == entry.entry_id:
            changed.set()

    unsub = async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _changed)
    try:
        async with asyncio.timeout(timeout):
            while not usable(entry):
                if not _coming(hass, entry):
                    return False
                changed.clear()
                # A reload holds the entry's lock between its unload and its set-up: look
                # again now and then, not only at a change of state.
                try:
                    async with asyncio.timeout(_RECHECK):
                        await changed.wait()
                except TimeoutError:
                    continue
    except TimeoutError:
        return False
    finally:
        unsub()
    return True


async def async_loaded_entry(hass: HomeAssistant, entry_id: str) -> SmsGatewaysConfigEntry:
    """The loaded entry ``entry_id``, waited for while it loads or reloads.

    Raises:
        ServiceValidationError: there is no such entry of this integration.
        ServiceValidationError: the entry is not loaded and is not coming (with why).
    """
    entry: SmsGatewaysConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if await async_wait_loaded(hass, entry):
        return entry
    raise not_loaded_error(entry)


def not_loaded_error(entry: ConfigEntry[Any]) -> ServiceValidationError:
    """The error of a send to an account that is not loaded: nothing was sent or kept."""
    if entry.disabled_by is not None:
        key = "account_disabled"
    elif entry.state is ConfigEntryState.SETUP_RETRY:
        key = "account_setup_retry"
    elif entry.state in (ConfigEntryState.SETUP_ERROR, ConfigEntryState.MIGRATION_ERROR):
        key = "account_setup_failed"
    else:
        key = "account_not_loaded"
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"account": entry.title, "reason": entry.reason or ""},
    )


async def async_send_through[T](
    hass: HomeAssistant,
    entry_id: str,
    send: Callable[[SmsGatewaysConfigEntry], Awaitable[T]],
) -> T:
    """``send`` through the loaded entry; again through the next one if it unloaded first.

    An entry that unloads before a send began refuses it with ``EntryStoppedError`` (nothing
    was sent): it then goes through the entry set up again, once that is loaded.

    Raises:
        HomeAssistantError: the entry is not loaded and is not coming, or ``send``'s error.
    """
    for _ in range(_RELOADS_FOLLOWED):
        entry = await async_loaded_entry(hass, entry_id)
        try:
            return await send(entry)
        except EntryStoppedError:
            continue
    raise not_loaded_error(entry)
