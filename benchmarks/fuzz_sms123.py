"""Fuzz every 123-SMS.net parser: at least 10,000 examples each, the count and any crash printed.

Run: ``.venv/bin/python -m benchmarks.fuzz_sms123 [EXAMPLES]`` (default 10,000 per parser).
The checks and strategies are the property tests' (``tests/gateways/test_sms123_properties.py``),
which run a modest number of the same examples in the default suite. Exit status 1 on a crash.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import sys
import time
import traceback
from typing import Any

from hypothesis import Phase, given, strategies as st

from tests.gateways.test_sms123_properties import (
    SEEDS,
    check_balance,
    check_cancel,
    check_message_id,
    check_reply,
    check_send,
    check_send_code,
    message_ids,
    replies,
)

from .fuzzing import fuzz_settings

PARSERS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None], list[Any]]] = {
    "parse_reply": (replies, check_reply, SEEDS),
    "parse_balance (solde/)": (replies, check_balance, SEEDS),
    "parse_send_code (send/)": (replies, check_send_code, SEEDS),
    "decode_message_id (cancel_sms ids)": (message_ids, check_message_id, []),
    "send (first recipient, whole adapter)": (replies, check_send, SEEDS),
    "cancel (whole adapter)": (replies, check_cancel, SEEDS),
}


def fuzz(name: str, examples: int) -> bool:
    """Run one parser's check on ``examples`` generated inputs; True if nothing crashed."""
    strategy, check, seeds = PARSERS[name]
    count = 0
    crashes: list[str] = []

    def counted(value: Any) -> None:
        nonlocal count
        count += 1
        try:
            check(value)
        except Exception:
            crashes.append(f"{value!r:.200}\n{traceback.format_exc(limit=4)}")
            if len(crashes) >= 5:
                raise

    for seed in seeds:
        counted(seed)
    runner = fuzz_settings(examples, phases=[Phase.generate])(given(strategy)(counted))
    started = time.monotonic()
    with contextlib.suppress(Exception):  # the crashes are listed below
        runner()
    seconds = time.monotonic() - started
    print(f"{name}: {count} examples in {seconds:.1f} s, {len(crashes)} crash(es)")
    for crash in crashes:
        print(f"  CRASH {crash}")
    return not crashes


def main(argv: list[str]) -> int:
    """Fuzz every parser; 1 if any crashed."""
    examples = int(argv[0]) if argv else 10_000
    results = [fuzz(name, examples) for name in PARSERS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
