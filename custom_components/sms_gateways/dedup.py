"""Remembering what was already handled, so that a push the provider repeats fires once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
import hashlib
import time

DEFAULT_TTL = 7 * 24 * 3600.0
"""How long a key is kept: a week.

Neither SMSFactor's nor Mobyt's documentation says whether, how often or for how long a push that
was not answered 200 is tried again. Webhook senders commonly retry for hours, a few days at most;
a week covers that with a margin, outlives the 48 h a sent message is followed, and is the same week
after which a silent webhook lets polling resume.
"""
MAX_KEYS = 100_000
"""The bound on remembered keys (a few megabytes). A new key beyond it pushes out the oldest.

Refusing it instead (503 until old keys expire) let anyone holding the webhook address silence
the home for a week with 100,000 forged ids. Forgetting the oldest lets a copy fire twice only when
more than 100,000 new keys arrived between a push and its copy: a home gets far fewer in a week,
so only a flood can, and then only for a copy of a push older than the flood."""
MAX_KEY_LENGTH = 64
"""A longer key (a pushed id is the provider's text) is kept as a digest of itself."""


class DuplicateMemoryFullError(Exception):
    """No longer raised: a full memory forgets its oldest keys.

    Kept until the callers that still catch it (webhook, inbound, tracking) drop their handlers.
    """


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class RecentKeys:
    """A set of keys, each forgotten ``ttl`` seconds after it was added or when pushed out.

    Past ``max_keys`` the oldest keys are forgotten first.

    ``add`` checks and records in one synchronous step: called before any ``await``, two copies
    of one push that arrive together cannot both pass.
    """

    def __init__(self, *, ttl: float = DEFAULT_TTL, max_keys: int = MAX_KEYS) -> None:
        """Start empty."""
        self._ttl = ttl
        self._max_keys = max_keys
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` was added and has not expired."""
        expiry = self._expiry.get(_bounded(key)) if isinstance(key, str) else None
        return expiry is not None and expiry > time.time()

    def add(self, key: str, *, now: float | None = None) -> bool:
        """Record ``key``; False if it was already there (a duplicate)."""
        return self.add_all([key], now=now)[0]

    def add_all(self, keys: Iterable[str], *, now: float | None = None) -> list[bool]:
        """Record every key: for each, False if it was already there.

        A full memory makes room by forgetting its oldest keys.
        """
        now = time.time() if now is None else now
        self._expire(now)
        added: list[bool] = []
        for key in map(_bounded, keys):
            if key in self._expiry:
                added.append(False)
                continue
            self._expiry[key] = now + self._ttl
            added.append(True)
        # Insertion order is expiry order (one ttl for all), so the first keys are the oldest.
        while len(self._expiry) > self._max_keys:
            self._expiry.popitem(last=False)
        return added

    def discard(self, keys: Iterable[str]) -> None:
        """Forget keys recorded by a step that could not be completed (its write failed)."""
        for key in keys:
            self._expiry.pop(_bounded(key), None)

    def _expire(self, now: float) -> None:
        while self._expiry:
            key, expiry = next(iter(self._expiry.items()))
            if expiry > now:
                break
            del self._expiry[key]

    def dump(self) -> Mapping[str, float]:
        """Each key with its expiry, oldest first: the live mapping, to be serialized at once.

        Not copied: a store serializes it in the same step (a week of keys is written several
        times a second during a burst of pushes, and a copy cost more than the write).
        """
        return self._expiry

    def load(self, stored: object) -> None:
        """Restore what ``dump`` returned, skipping anything malformed or expired.

        Also reads the list of ``[key, expiry]`` pairs that versions before 2026-12 wrote.
        """
        now = time.time()
        if isinstance(stored, dict):
            items: Iterable[object] = stored.items()
        elif isinstance(stored, list):
            items = stored
        else:
            return
        for item in items:
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int | float)
                and item[1] > now
            ):
                self._expiry[_bounded(item[0])] = min(float(item[1]), now + self._ttl)
        self._expiry = OrderedDict(sorted(self._expiry.items(), key=lambda kv: kv[1]))
        while len(self._expiry) > self._max_keys:  # only a file written with a larger bound
            self._expiry.popitem(last=False)
