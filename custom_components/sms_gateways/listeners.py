"""Callbacks told of a change, as Home Assistant's ``async_add_listener`` methods keep them."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, callback


class Listeners[*Args]:
    """The callbacks of one kind of change, called in the order they were added.

    One list, not the dispatcher: a listener's error reaches the code that made the change,
    as it did, and nothing is keyed by a signal name.
    """

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        """No listener yet."""
        self._listeners: list[Callable[[*Args], None]] = []

    @callback
    def add(self, listener: Callable[[*Args], None]) -> CALLBACK_TYPE:
        """Add a listener; returns the callback that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def notify(self, *args: *Args) -> None:
        """Call every listener (one removed meanwhile is still called this time)."""
        for listener in list(self._listeners):
            listener(*args)
