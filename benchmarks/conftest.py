"""The test fixtures (simulator, config entries) for the benchmarks, and the table they fill."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import session, simulator  # noqa: F401
from tests.integration.conftest import (  # noqa: F401
    _narrow_platforms,
    auto_enable_custom_integrations,
    hass_config_dir,
    init_integration,
    mock_config_entry,
    platforms,
    provider,
)

from .table import ROWS, render


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Run the loop as Home Assistant runs it: the test harness's debug mode slows every call."""
    asyncio.get_running_loop().set_debug(False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print every figure measured in this run as one table."""
    if ROWS:
        terminalreporter.write_sep("=", "benchmarks: measured side by side in this run")
        terminalreporter.write_line(render(ROWS))
