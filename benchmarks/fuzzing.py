"""The hypothesis settings every fuzz script runs its readers with: the suite's, scaled up."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, Phase, settings

from tests.gateways.fuzzing import FUZZ


def fuzz_settings(examples: int, phases: Sequence[Phase] | None = None) -> settings:
    """The suite's ``FUZZ`` with ``examples`` inputs per reader (and only ``phases``, if given).

    Every health check is off: the strategies are slow and filter much on purpose, and a fuzz run
    reports crashes, not how hypothesis feels about its inputs.
    """
    return settings(
        FUZZ,
        max_examples=examples,
        phases=FUZZ.phases if phases is None else phases,
        suppress_health_check=list(HealthCheck),
    )
