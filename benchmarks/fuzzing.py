"""The hypothesis settings every fuzz script runs its readers with."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, Phase, settings


def fuzz_settings(examples: int, phases: Sequence[Phase] | None = None) -> settings:
    """``examples`` inputs per reader, however long they take, each run afresh (no database).

    The health checks are off: the strategies are slow and filter much on purpose, and a fuzz run
    reports crashes, not how hypothesis feels about its inputs.
    """
    if phases is None:
        phases = settings.default.phases
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )
