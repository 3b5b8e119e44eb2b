"""The bounded, expiring memory of what was already handled."""

from __future__ import annotations

from custom_components.sms_gateways.dedup import RecentKeys


def test_a_key_passes_once() -> None:
    """The second copy of a push is a duplicate."""
    keys = RecentKeys()
    assert keys.add("id:1") is True
    assert keys.add("id:1") is False
    assert "id:1" in keys
    assert "id:2" not in keys
    assert 1 not in keys


def test_keys_expire_and_are_bounded() -> None:
    """Old keys are forgotten after the TTL, and the oldest go first past the bound."""
    keys = RecentKeys(ttl=10, max_keys=3)
    keys.add("a", now=0)
    assert keys.add("a", now=11) is True  # expired, so new again
    for key in ("b", "c", "d"):
        keys.add(key, now=12)
    assert len(keys) == 3
    assert keys.add("a", now=13) is True  # "a" was pushed out by the bound


def test_dump_and_load_survive_a_restart() -> None:
    """What is dumped loads back; malformed and expired items are skipped."""
    keys = RecentKeys(ttl=1000)
    keys.add("x")
    keys.add("y")
    restored = RecentKeys(ttl=1000, max_keys=1)
    restored.load([*keys.dump(), ["old", 0.0], "junk", ["z"], [1, 2]])
    assert "y" in restored
    assert "x" not in restored  # the bound keeps the newest
    assert "old" not in restored
    assert restored.add("y") is False
