"""The home-grown versions the integration used before issue 18, kept to be measured.

``script/bench`` measures each against the standard tool the integration uses now (the same
figures, in the same run, one swapped for the other): ``parse_form`` against ``parse_qsl``,
``quoted`` and ``form_body`` against ``quote_plus`` and ``urlencode``: neither bought 10 % on a
figure of the table (benchmarks/README.md), so the integration no longer has them. And the
other way round, ``ShieldedGroupedStore`` (each waiter of a write an ``asyncio.shield``) against
the future per waiter ``GroupedStore`` keeps now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import quote_plus, unquote_to_bytes, urlencode

from homeassistant.core import callback

from custom_components.sms_gateways.storage import GroupedStore, WriteError

MAX_FIELDS = 32


def parse_form(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, max_num_fields=32, errors="strict")``."""
    if text.count("&") >= MAX_FIELDS:
        raise ValueError("too many fields")
    pairs: list[tuple[str, str]] = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


def _unquote_plus(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        return unquote_to_bytes(text).decode("utf-8")
    return text


_UNQUOTED_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
)
_PLUS_QUOTED = {
    code: "+" if code == 0x20 else f"%{code:02X}"
    for code in range(0x80)
    if chr(code) not in _UNQUOTED_CHARACTERS
}


def quoted(text: str) -> str:
    """``quote_plus(text)``: ASCII text in one ``str.translate``."""
    return text.translate(_PLUS_QUOTED) if text.isascii() else quote_plus(text)


def form_body(fields: Mapping[str, str]) -> bytes:
    """``urlencode(fields).encode("ascii")``, quoting only what needs it."""
    table = _PLUS_QUOTED
    pairs: list[str] = []
    for key, value in fields.items():
        if type(key) is not str or type(value) is not str:
            return urlencode(fields).encode("ascii")
        pairs.append(
            f"{key.translate(table) if key.isascii() else quote_plus(key)}="
            f"{value.translate(table) if value.isascii() else quote_plus(value)}"
        )
    return "&".join(pairs).encode("ascii")


class ShieldedGroupedStore(GroupedStore):
    """``GroupedStore`` as it was until 2026-12-07: each waiter an ``asyncio.shield``.

    Of one future of the write: four callbacks of the event loop a waiter, where a future per
    waiter costs none but the waiter's own wake-up.
    """

    @callback
    def _waiter(
        self, waiters: list[asyncio.Future[None]], error: WriteError | None = None
    ) -> asyncio.Future[None]:
        if error is not None:
            return super()._waiter(waiters, error)
        if not waiters:
            waiters.append(self.hass.loop.create_future())
        waiter = asyncio.shield(waiters[0])
        waiter.add_done_callback(_retrieve)
        return waiter


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
