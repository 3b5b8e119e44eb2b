"""Fuzz every SMSFactor reader and gateways/xml.py with at least 10,000 examples each.

Run: ``.venv/bin/python -m benchmarks.fuzz_smsfactor [examples]`` (default 10,000). The inputs
and properties are those of ``tests/gateways/test_smsfactor_parsers.py`` (seeded with the doc's
examples and the simulator's answers, then mutated or generated). Prints, per parser, how many
inputs it read, how many became a model and how many a ``GatewayError``, and any crash (an
exception outside that family, or a broken property) with the input that caused it. Exits 1 on
a crash.
"""

from __future__ import annotations

import logging
import sys
import time

from hypothesis import given

from custom_components.sms_gateways.gateways import GatewayError
from tests.gateways.test_smsfactor_parsers import PROPERTIES

from .fuzzing import fuzz_settings

DEFAULT_EXAMPLES = 10_000


def fuzz(name: str, examples: int) -> bool:
    """Run one parser's property ``examples`` times; return whether it never crashed."""
    strategy, check = PROPERTIES[name]
    counts = {"inputs": 0, "models": 0, "errors": 0}

    @fuzz_settings(examples)
    @given(strategy)
    def run(data: object) -> None:
        counts["inputs"] += 1
        outcome = check(data)
        counts["errors" if isinstance(outcome, (GatewayError, Exception)) else "models"] += 1

    started = time.monotonic()
    crash: BaseException | None = None
    try:
        run()
    except Exception as err:  # noqa: BLE001  # the crash is what we report
        crash = err
    seconds = time.monotonic() - started
    print(
        f"{name:24} {counts['inputs']:>7,} inputs  {counts['models']:>7,} models  "
        f"{counts['errors']:>7,} errors  {seconds:6.1f} s  "
        + ("no crash" if crash is None else f"CRASH: {crash!r}")
    )
    return crash is None


def main() -> int:
    """Fuzz every parser; 1 if any crashed."""
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EXAMPLES
    logging.disable(logging.WARNING)  # skipped records are logged: not what is measured here
    results = [fuzz(name, examples) for name in PROPERTIES]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
