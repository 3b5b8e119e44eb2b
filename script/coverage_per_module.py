"""Fail when one module of the integration is covered less than the project's bound.

Coverage's own ``fail_under`` (``[tool.coverage.report]`` in ``pyproject.toml``) bounds the total
only: a well tested library can hide a module that is hardly tested at all. This reads the data
of the last test run (``.coverage``, written by pytest-cov) with coverage's own API and judges
every ``.py`` file under ``custom_components/sms_gateways`` alone, against the same bound and
with coverage's own rounding. A file that the run never measured counts as 0 %. ``script/test``
runs it after the whole suite.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
import sys

import coverage
from coverage.exceptions import NoDataError, NoSource
from coverage.results import should_fail_under

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "sms_gateways"


def _percent(cov: coverage.Coverage, path: Path) -> float | None:
    """The file's covered percentage (statements and branches), None when it was not measured."""
    measured = {str(Path(name).resolve()) for name in cov.get_data().measured_files()}
    if str(path.resolve()) not in measured:
        return None
    # The report of one file gives its percentage as coverage computes it for the total.
    try:
        return cov.report(morfs=[str(path)], file=io.StringIO())
    except NoDataError, NoSource:
        return None


def main() -> int:
    """Print the modules under the bound; non-zero when there is one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", default=str(ROOT / ".coverage"))
    args = parser.parse_args()
    cov = coverage.Coverage(data_file=args.data_file, config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    bound = cov.config.fail_under
    precision = cov.config.precision
    if bound <= 0:
        sys.stderr.write("coverage per module: no fail_under in pyproject.toml\n")
        return 1
    under: list[tuple[str, float]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        percent = _percent(cov, path)
        if percent is None:
            percent = 0.0
        if should_fail_under(percent, bound, precision):
            under.append((str(path.relative_to(ROOT)), percent))
    if under:
        sys.stderr.write(f"Modules covered less than {bound:g} %:\n")
        for name, percent in under:
            sys.stderr.write(f"  {name}: {percent:.{precision}f} %\n")
        return 2
    sys.stdout.write(
        f"Every module of {PACKAGE.relative_to(ROOT)} is covered at {bound:g} % or more.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
