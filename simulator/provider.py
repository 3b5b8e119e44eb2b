"""What each provider module of the simulator provides to the server."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from aiohttp import web

from .readings import Reading, Readings
from .state import Account, SimInbound, SimMessage, SimState


@dataclass(frozen=True, slots=True)
class Push:
    """A request the provider would make to a customer's URL."""

    body: bytes
    content_type: str


class CodedRefusalError(Exception):
    """A request the provider refuses with a code and its words, which its answer carries."""

    def __init__(self, code: int, message: str) -> None:
        """Keep the code and the words."""
        super().__init__(message)
        self.code = code
        self.message = message


class ProviderSim(ABC):
    """One provider's protocol, served under its own path prefix (e.g. ``/mobyt/``)."""

    key: str
    """The provider key, also the first path segment."""
    readings: tuple[Reading, ...] = ()
    """The points this provider's doc leaves open, each with the answers it can play."""

    def __init__(self, state: SimState) -> None:
        """Share the simulator's state; the simulator hands over the chosen readings."""
        self.state = state
        self.chosen = Readings({self.key: self.readings})

    def reading(self, point: str) -> str:
        """The reading played at ``point`` of this provider (``send_status``, ...)."""
        return self.chosen.get(f"{self.key}.{point}")

    @abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The provider's documented endpoints, with paths starting ``/<key>/``."""

    @abstractmethod
    def demo_accounts(self) -> list[Account]:
        """The accounts the simulator starts with (printed by ``script/develop``)."""

    def inbound_push(self, inbound: SimInbound) -> Push | None:
        """The push the provider makes for a received message, or None if it cannot push."""
        return None

    def status_push(self, message: SimMessage) -> Push | None:
        """The push the provider makes when a message's status changes, or None."""
        return None

    def keeps_inbound(self) -> bool:
        """Whether received messages can also be fetched by polling (Mobyt)."""
        return False
