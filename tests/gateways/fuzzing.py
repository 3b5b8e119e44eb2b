"""The settings the property tests of the readers share."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
"""A modest number of examples in the suite (``benchmarks/fuzz_*.py`` run 10,000 a reader).

Deep, large and hostile inputs are the point of these tests: their size and slowness are no
failure, and what a run found is not stored (the seeds are in the tests).
"""
