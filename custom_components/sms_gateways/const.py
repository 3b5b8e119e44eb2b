"""Constants of the SMS Gateways integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "sms_gateways"
