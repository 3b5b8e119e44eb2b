"""SMSFactor adapter (placeholder until its module is written)."""

from __future__ import annotations

from typing import override
from zoneinfo import ZoneInfo

from .base import PreparedSms, SmsGateway
from .errors import UnsupportedOperationError
from .models import AccountInfo, SendResult


class SmsFactorGateway(SmsGateway):
    """Placeholder."""

    provider = "smsfactor"
    title = "SMSFactor"
    default_api_url = "https://secure.smsfactor.com/API/"
    default_region = "FR"
    timezone = ZoneInfo("Europe/Paris")
    capabilities = frozenset()

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        raise UnsupportedOperationError("not yet")

    @override
    async def validate_credentials(self) -> AccountInfo:
        raise UnsupportedOperationError("not yet")
