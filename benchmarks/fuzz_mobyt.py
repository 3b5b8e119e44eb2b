"""Fuzz every reader of Mobyt data: at least 10,000 examples each, the count and any crash.

    .venv/bin/python -m benchmarks.fuzz_mobyt [examples per reader, default 10000]

Each reader (the reply and table readers, the push readers, the field readers, and every
gateway call end to end with its transport replaced) is fed hypothesis examples seeded with the
doc's example replies and the simulator's own replies and pushes (``tests/gateways/mobyt_fuzz``).
A reader passes when every input gives a model or a ``GatewayError``; anything else is a crash,
printed with the input hypothesis shrank it to. The exit status is the number of readers that
crashed.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import sys
import time
import traceback
from typing import Any

from hypothesis import given

from tests.gateways.mobyt_fuzz import CHECKS

from .fuzzing import fuzz_settings

DEFAULT_EXAMPLES = 10_000


def _runner(
    check: Callable[[Any], None], strategy: Any, examples: int, counter: list[int]
) -> Callable[[], None]:
    """A hypothesis test of ``check`` that counts its examples in ``counter``."""

    @fuzz_settings(examples)
    @given(strategy)
    def run(value: Any) -> None:
        counter[0] += 1
        check(value)

    return run


def fuzz(examples: int) -> int:
    """Run every check; the number that crashed."""
    # The readers log each row they leave out: thousands of lines that say nothing here.
    logging.getLogger("custom_components").setLevel(logging.CRITICAL)
    crashed = 0
    for name, (check, strategy) in CHECKS.items():
        counter = [0]
        run = _runner(check, strategy, examples, counter)
        started = time.perf_counter()
        try:
            run()
        except Exception:  # noqa: BLE001  # a crash is what we report
            crashed += 1
            outcome = "CRASH\n" + traceback.format_exc(limit=3)
        else:
            outcome = "ok"
        seconds = time.perf_counter() - started
        print(f"{name}: {counter[0]} examples in {seconds:.1f} s: {outcome}")
    return crashed


if __name__ == "__main__":
    sys.exit(fuzz(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EXAMPLES))
