"""Async clients for the NetOxygen, SMSFactor, Mobyt and 123-SMS.net SMS gateways.

Pure library: aiohttp, lxml, phonenumbers and the standard library; no Home Assistant import.
"""

from __future__ import annotations

import aiohttp

from .base import PreparedSms, SmsGateway
from .errors import (
    AccessDeniedError,
    AuthenticationError,
    EmptyMessageError,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
    InvalidSenderError,
    InvalidTextError,
    InvisibleMessageError,
    MessageRejectedError,
    MessageTooLongError,
    SchedulingError,
    SendOutcomeUnknownError,
    SendTimeError,
    SendTimeRangeError,
    TooManyRecipientsError,
    UnsupportedOperationError,
    outcome_cause,
)
from .mobyt import MobytGateway
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    Contact,
    Credit,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    HistoryEntry,
    InboundPage,
    InboundSms,
    MessageInfo,
    OutgoingSms,
    RecipientResult,
    SendResult,
)
from .netoxygen import NetOxygenGateway
from .numbers import mask_number, mask_numbers
from .sms123 import Sms123Gateway
from .smsfactor import SmsFactorGateway

GATEWAYS: dict[str, type[SmsGateway]] = {
    gateway.provider: gateway
    for gateway in (NetOxygenGateway, SmsFactorGateway, MobytGateway, Sms123Gateway)
}


def create_gateway(
    provider: str,
    session: aiohttp.ClientSession,
    *,
    username: str,
    password: str,
    api_url: str | None = None,
    region: str | None = None,
    timezone: str | None = None,
) -> SmsGateway:
    """A client for ``provider`` (a key of ``GATEWAYS``).

    Raises:
        ValueError: ``timezone`` is not an IANA time zone.
    """
    return GATEWAYS[provider](
        session,
        username=username,
        password=password,
        api_url=api_url,
        region=region,
        timezone=timezone,
    )


__all__ = [
    "GATEWAYS",
    "AccessDeniedError",
    "AccountInfo",
    "AuthenticationError",
    "Balance",
    "CancelResult",
    "Capability",
    "Contact",
    "Credit",
    "DeliveryReport",
    "DeliveryStatus",
    "EmptyMessageError",
    "Encoding",
    "GatewayConnectionError",
    "GatewayError",
    "GatewayResponseError",
    "HistoryEntry",
    "InboundPage",
    "InboundSms",
    "InsufficientCreditsError",
    "InvalidRecipientError",
    "InvalidSenderError",
    "InvalidTextError",
    "InvisibleMessageError",
    "MessageInfo",
    "MessageRejectedError",
    "MessageTooLongError",
    "MobytGateway",
    "NetOxygenGateway",
    "OutgoingSms",
    "PreparedSms",
    "RecipientResult",
    "SchedulingError",
    "SendOutcomeUnknownError",
    "SendResult",
    "SendTimeError",
    "SendTimeRangeError",
    "Sms123Gateway",
    "SmsFactorGateway",
    "SmsGateway",
    "TooManyRecipientsError",
    "UnsupportedOperationError",
    "create_gateway",
    "mask_number",
    "mask_numbers",
    "outcome_cause",
]
