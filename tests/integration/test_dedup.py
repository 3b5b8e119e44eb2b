"""The bounded, expiring memory of what was already handled."""

from __future__ import annotations

import json
import time

from homeassistant.helpers.json import json_bytes

from custom_components.sms_gateways.dedup import RecentKeys


def test_a_key_passes_once() -> None:
    """The second copy of a push is a duplicate."""
    keys = RecentKeys()
    assert keys.add("id:1") is True
    assert keys.add("id:1") is False
    assert "id:1" in keys
    assert "id:2" not in keys
    assert 1 not in keys


def test_keys_expire_by_age_and_a_full_memory_forgets_the_oldest() -> None:
    """Old keys are forgotten after the TTL; past the bound the oldest make room, never refuse."""
    keys = RecentKeys(ttl=10, max_keys=3)
    keys.add("a", now=0)
    assert keys.add("a", now=11) is True  # expired, so new again
    for key in ("b", "c"):
        keys.add(key, now=12)
    assert len(keys) == 3
    assert keys.add("d", now=13) is True  # "a", the oldest, made room
    assert len(keys) == 3
    assert "a" not in keys
    assert keys.add_all(["e", "b", "f"], now=14) == [True, False, True]
    assert len(keys) == 3
    assert {"d", "e", "f"} == set(keys.dump())


def test_a_flood_of_forged_ids_never_silences_the_memory() -> None:
    """100,000 forged ids and more: a genuine push is still taken, and its copy is a duplicate."""
    keys = RecentKeys(max_keys=1000)
    for n in range(5000):
        assert keys.add(f"id:forged-{n}") is True
    assert len(keys) == 1000
    assert keys.add("id:genuine") is True
    assert keys.add("id:genuine") is False
    assert "id:forged-0" not in keys
    assert "id:forged-4999" in keys


def test_a_flood_does_not_flush_a_real_key() -> None:
    """36 forged pushes of 580 messages leave a real key in place: its retry is a duplicate."""
    keys = RecentKeys()
    assert keys.add("id:real") is True
    for push in range(36):
        keys.add_all(f"id:forged-{push}-{n}" for n in range(580))
    assert keys.add("id:real") is False


def test_all_or_nothing_and_forgetting() -> None:
    """``add_all`` says which keys are new; ``discard`` undoes a step that failed."""
    keys = RecentKeys()
    assert keys.add_all(["x", "y", "x"]) == [True, True, False]
    keys.discard(["x", "never"])
    assert "x" not in keys
    assert "y" in keys


def test_long_keys_are_kept_as_a_digest() -> None:
    """A pushed id of any length costs a bounded key, and still matches itself."""
    keys = RecentKeys()
    long_key = "id:" + "9" * 10_000
    assert keys.add(long_key) is True
    assert long_key in keys
    assert all(len(key) <= 64 for key in keys.dump())
    restored = RecentKeys()
    restored.load(keys.dump())
    assert restored.add(long_key) is False


def test_dump_and_load_survive_a_restart() -> None:
    """What is dumped loads back; malformed and expired items are skipped."""
    keys = RecentKeys(ttl=1000)
    keys.add("x")
    keys.add("y")
    written = json.loads(json_bytes({"seen": keys.dump()}))["seen"]
    restored = RecentKeys(ttl=1000, max_keys=1)
    restored.load({**written, "old": 0.0, "junk": "soon", "bool": True})
    assert "y" in restored
    assert "x" not in restored  # a file written with a larger bound keeps the newest
    assert "old" not in restored
    assert len(restored) == 1
    assert restored.add("y") is False


def test_the_list_written_by_earlier_versions_loads() -> None:
    """A file written before the keys were kept as a mapping still says what was handled."""
    soon = time.time() + 1000
    restored = RecentKeys(ttl=1000)
    restored.load([["x", soon], ["old", 0.0], "junk", ["z"], [1, 2]])
    assert "x" in restored
    assert len(restored) == 1
    for damaged in (None, "seen", 42, {"x": "tomorrow"}):
        empty = RecentKeys()
        empty.load(damaged)
        assert len(empty) == 0
