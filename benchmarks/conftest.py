"""The test fixtures (simulator, config entries) for the benchmarks."""

from tests.conftest import session, simulator  # noqa: F401
from tests.integration.conftest import (  # noqa: F401
    _narrow_platforms,
    auto_enable_custom_integrations,
    init_integration,
    mock_config_entry,
    platforms,
    provider,
)
