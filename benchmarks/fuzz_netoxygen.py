"""Fuzz every NetOxygen reader with at least 10,000 generated inputs each (issue 9).

Run it as ``.venv/bin/python benchmarks/fuzz_netoxygen.py [examples]``. For each reader it prints
how many inputs it was given and any crash (an exception outside the library's ``GatewayError``
family, or a broken invariant), with the smallest input hypothesis found; the exit status is 1
when anything crashed. The strategies and checks are those of the default suite
(``tests/gateways/netoxygen_fuzz.py``), run there with far fewer examples.
"""

from __future__ import annotations

from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import Phase, example, given

from benchmarks.fuzzing import fuzz_settings
from tests.gateways.netoxygen_fuzz import PARSERS, Parser

DEFAULT_EXAMPLES = 10_000


def fuzz(name: str, parser: Parser, examples: int) -> tuple[int, str | None]:
    """Run one reader's property; the number of inputs tried and the crash, if any."""
    count = 0

    @fuzz_settings(examples, phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(parser.strategy)
    def run(value: object) -> None:
        nonlocal count
        count += 1
        parser.check(value)

    for seed in parser.seeds:
        run = example(seed)(run)
    try:
        run()
    except Exception as err:  # noqa: BLE001  # any crash is what this script reports
        return count, f"{type(err).__name__}: {err}"[:2000]
    return count, None


def main(argv: list[str]) -> int:
    examples = int(argv[1]) if len(argv) > 1 else DEFAULT_EXAMPLES
    crashed = 0
    for name, parser in PARSERS.items():
        started = time.monotonic()
        count, crash = fuzz(name, parser, examples)
        seconds = time.monotonic() - started
        print(f"{name}: {count} inputs in {seconds:.1f} s, {'CRASH' if crash else 'no crash'}")
        if crash:
            crashed += 1
            print(f"  {crash}")
    print(f"{len(PARSERS)} readers, {crashed} crashed")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
