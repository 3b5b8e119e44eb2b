"""NetOxygen adapter (placeholder until its module is written)."""

from __future__ import annotations

from typing import override
from zoneinfo import ZoneInfo

from .base import PreparedSms, SmsGateway
from .errors import UnsupportedOperationError
from .models import AccountInfo, SendResult


class NetOxygenGateway(SmsGateway):
    """Placeholder."""

    provider = "netoxygen"
    title = "NetOxygen"
    default_api_url = "https://sms.netoxygen.ch/api2/"
    default_region = "CH"
    timezone = ZoneInfo("Europe/Zurich")
    capabilities = frozenset()

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        raise UnsupportedOperationError("not yet")

    @override
    async def validate_credentials(self) -> AccountInfo:
        raise UnsupportedOperationError("not yet")
