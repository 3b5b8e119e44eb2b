"""Remembering what was already handled, so that a push the provider repeats fires once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
import time

# Providers retry a push for hours at most; a week covers every retry window we know of.
DEFAULT_TTL = 7 * 24 * 3600.0
DEFAULT_MAX_KEYS = 20_000


class RecentKeys:
    """A bounded set of keys that forgets them after ``ttl`` seconds.

    ``add`` checks and records in one synchronous step: called before any ``await``, two copies
    of one push that arrive together cannot both pass.
    """

    def __init__(self, *, ttl: float = DEFAULT_TTL, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        """Start empty."""
        self._ttl = ttl
        self._max_keys = max_keys
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` was added and has not expired."""
        expiry = self._expiry.get(key) if isinstance(key, str) else None
        return expiry is not None and expiry > time.time()

    def add(self, key: str, *, now: float | None = None) -> bool:
        """Record ``key``; False if it was already there (a duplicate)."""
        now = time.time() if now is None else now
        self._expire(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + self._ttl
        while len(self._expiry) > self._max_keys:
            self._expiry.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        while self._expiry:
            key, expiry = next(iter(self._expiry.items()))
            if expiry > now:
                break
            del self._expiry[key]

    def dump(self) -> list[list[str | float]]:
        """A JSON-friendly copy, oldest first."""
        return [[key, expiry] for key, expiry in self._expiry.items()]

    def load(self, items: Iterable[object]) -> None:
        """Restore what ``dump`` returned, skipping anything malformed or expired."""
        now = time.time()
        for item in items:
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int | float)
                and item[1] > now
            ):
                self._expiry[item[0]] = float(item[1])
        self._expiry = OrderedDict(sorted(self._expiry.items(), key=lambda kv: kv[1]))
        while len(self._expiry) > self._max_keys:
            self._expiry.popitem(last=False)


def stored_datetime(value: object) -> datetime | None:
    """A moment read back from a store: None when absent or unreadable (a damaged file)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
