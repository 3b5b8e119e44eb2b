"""The home-grown versions the integration used before issue 18, kept to be measured.

``script/bench`` measures each against the standard tool the integration uses now (the same
figures, in the same run, one swapped for the other): ``parse_form`` against ``parse_qsl``,
``quoted`` and ``form_body`` against ``quote_plus`` and ``urlencode``, ``GroupWrite`` (a future
that refuses to be cancelled, awaited as is) against ``asyncio.shield``. None bought 10 % on a
figure of the table (benchmarks/README.md), so the integration no longer has them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_to_bytes, urlencode

from homeassistant.core import callback

from custom_components.sms_gateways.storage import GroupedStore, _retrieve

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


class GroupWrite(asyncio.Future[None]):
    """The write a group of changes awaits: one waiter's cancellation never cancels it."""

    def cancel(self, msg: Any | None = None) -> bool:
        """Refuse: the write belongs to every change of its group."""
        return False


class FormerGroupedStore(GroupedStore):
    """``GroupedStore`` as it was: each group's write a ``GroupWrite``, awaited as is."""

    @callback
    def _async_next_write(self) -> asyncio.Future[None]:
        if self._next is None:
            self._next = GroupWrite(loop=self.hass.loop)
            self._next.add_done_callback(_retrieve)
        return super()._async_next_write()
