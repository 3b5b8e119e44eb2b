"""Simulator of the smsfactor protocol (placeholder until its module is written)."""

from __future__ import annotations

from aiohttp import web

from .provider import ProviderSim
from .state import Account


class SmsFactorSim(ProviderSim):
    """Placeholder."""

    key = "smsfactor"

    def routes(self) -> list[web.RouteDef]:
        """No routes yet."""
        return []

    def demo_accounts(self) -> list[Account]:
        """No accounts yet."""
        return []
