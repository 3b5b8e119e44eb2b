"""The fault matrix: every provider under every fault, as the user sees it, against the simulator.

For each provider and each fault: what the ``send_sms`` action raises (translated, and "may have
been sent" whenever the request may have reached the provider), at most one send request in the
simulator's log, a reauthentication only for refused credentials, the credits sensor unavailable
while the provider fails, and everything working again once the fault ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
import copy
from dataclasses import dataclass
import socket
from typing import Any

import aiohttp
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways.const import CONF_KEEP_TRYING, CONF_SENDER, DOMAIN
from tests.conftest import RunningSimulator

from .common import entity_id_of, setup_entry
from .conftest import ALICE, DEMO_ACCOUNTS, make_entry

PROVIDERS = ["netoxygen", "smsfactor", "mobyt", "sms123"]
FAULTS = [
    "connect_timeout",
    "read_timeout",
    "connection_refused",
    "http500",
    "dropped",
    "malformed",
    "refused_credentials",
    "no_credits",
]
# Short enough for the suite, with the connect timeout well below the read timeout as in use.
TIMEOUT = aiohttp.ClientTimeout(total=5, sock_connect=0.2, sock_read=0.4)


@dataclass(frozen=True)
class Paths:
    """Where a provider takes a send, and where the credits refresh asks."""

    send: str
    refresh: str


PATHS = {
    "netoxygen": Paths("/netoxygen/api2/", "/netoxygen/api2/"),
    "smsfactor": Paths("/smsfactor/API/apiV2.php", "/smsfactor/API/getDr.php"),
    "mobyt": Paths("/mobyt/Mobyt/SENDSMS", "/mobyt/Mobyt/CREDITS"),
    "sms123": Paths("/sms123/api/send/", "/sms123/api/solde/"),
}

# What the user is told; None: the send goes through.
EXPECTED_SEND_ERROR = {
    "connect_timeout": "cannot_connect",
    "connection_refused": "cannot_connect",
    "read_timeout": "send_outcome_unknown",
    "http500": "send_outcome_unknown",
    "dropped": "send_outcome_unknown",
    "malformed": "send_outcome_unknown",
    "refused_credentials": "authentication_failed",
    "no_credits": "insufficient_credits",
}
# NetOxygen documents no fault: its no-credits fault is quoted, not classed (issue 8).
EXPECTED_FOR_PROVIDER = {("netoxygen", "no_credits"): "send_outcome_unknown"}
# The answer could not be read, but the adapter knows the id to check: Mobyt's order id is ours.
WITH_ID = {("mobyt", "malformed")}
# The request never left: the provider saw nothing.
NOTHING_REACHED = {"connect_timeout", "connection_refused"}
SIMULATOR_FAULTS = {"read_timeout": "delay", "http500": "http500", "dropped": "drop"} | {
    "malformed": "malformed"
}


@contextmanager
def _unresponsive_port() -> Iterator[int]:
    """A port whose listen queue is full: a connection to it never completes (connect timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect(server.getsockname())
            fillers.append(filler)
        yield server.getsockname()[1]
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def _closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Matrix:
    """One provider's entry, and the faults played against it."""

    def __init__(self, hass: HomeAssistant, simulator: RunningSimulator, provider: str) -> None:
        """Point the entry's gateway at the simulator with short timeouts."""
        self.hass = hass
        self.simulator = simulator
        self.provider = provider
        self.paths = PATHS[provider]
        self.entry: MockConfigEntry | None = None
        self._stack: list[Any] = []

    async def setup(self) -> MockConfigEntry:
        """Set up the entry."""
        # The error each fault raises, without the outbox (test_sending.py covers the outbox).
        self.entry = await setup_entry(
            self.hass,
            make_entry(
                self.simulator,
                self.provider,
                options={CONF_KEEP_TRYING: False},
                **{CONF_SENDER: "Home"},
            ),
        )
        self.gateway._timeout = TIMEOUT
        return self.entry

    @property
    def gateway(self) -> Any:
        """The entry's gateway."""
        assert self.entry is not None
        return self.entry.runtime_data.gateway

    @property
    def account(self) -> Any:
        """The simulator's account of the entry."""
        return self.simulator.sim.state.accounts[(self.provider, DEMO_ACCOUNTS[self.provider][0])]

    def start(self, fault: str) -> None:
        """Start ``fault`` on the send and refresh paths (it lasts until ``end``)."""
        if fault in SIMULATOR_FAULTS:
            for path in {self.paths.send, self.paths.refresh}:
                self.simulator.fault(path, SIMULATOR_FAULTS[fault], count=1000, seconds=0.8)
        elif fault == "connection_refused":
            self._point_at(_closed_port())
        elif fault == "connect_timeout":
            context = _unresponsive_port()
            self._stack.append(context)
            self._point_at(context.__enter__())
        elif fault == "refused_credentials":
            self._stack.append(("password", self.account.password))
            self.account.password = "changed-at-the-provider"
        elif fault == "no_credits":
            self._stack.append(("credits", self.account.credits))
            self._stack.append(("extra", copy.deepcopy(self.account.extra)))
            self.account.credits = 0
            for line in self.account.extra.get("lines", []):  # Mobyt: credits per line
                line[2] = 0

    def end(self) -> None:
        """Every fault over: the provider answers again."""
        self.simulator.sim.faults.clear()
        self.gateway._api_url = self.simulator.api_url(self.provider)
        while self._stack:
            item = self._stack.pop()
            if isinstance(item, tuple):
                setattr(self.account, item[0], item[1])
            else:
                item.__exit__(None, None, None)

    def _point_at(self, port: int) -> None:
        self.gateway._api_url = self.simulator.api_url(self.provider).replace(
            self.simulator.base_url, f"http://127.0.0.1:{port}"
        )

    def sends(self) -> int:
        """The send requests the simulator received (NetOxygen: calls of ``send_sms``)."""
        requests = self.simulator.requests(self.paths.send)
        if self.provider == "netoxygen":
            requests = [r for r in requests if "<methodName>send_message<" in r["body"]]
        return len(requests)

    async def send(self, message: str = "Hi") -> Any:
        """Call ``send_sms`` for Alice."""
        assert self.entry is not None
        return await self.hass.services.async_call(
            DOMAIN,
            "send_sms",
            {ATTR_CONFIG_ENTRY_ID: self.entry.entry_id, "recipients": [ALICE], "message": message},
            blocking=True,
            return_response=True,
        )

    def reauth_flows(self) -> list[Any]:
        """The reauthentication flows in progress."""
        return [
            flow
            for flow in self.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_REAUTH
        ]

    def credits_state(self) -> str:
        """The state of the credits sensor."""
        assert self.entry is not None
        state = self.hass.states.get(entity_id_of(self.hass, self.entry, "sensor", "credits"))
        assert state is not None
        return state.state


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_fault(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str, fault: str
) -> None:
    """The action says what the user must know, sends at most once, and all recovers."""
    matrix = Matrix(hass, simulator, provider)
    entry = await matrix.setup()
    coordinator = entry.runtime_data.coordinator
    assert matrix.credits_state() != STATE_UNAVAILABLE
    simulator.sim.requests.clear()
    matrix.start(fault)
    try:
        with pytest.raises(HomeAssistantError) as err:
            await matrix.send()
        sends = matrix.sends()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        credits_during = matrix.credits_state()
    finally:
        matrix.end()
    await hass.async_block_till_done()

    expected = EXPECTED_FOR_PROVIDER.get((provider, fault), EXPECTED_SEND_ERROR[fault])
    if (provider, fault) in WITH_ID:
        expected = f"{expected}_id"
        assert (err.value.translation_placeholders or {})["message_id"]
    assert err.value.translation_key == expected
    assert err.value.translation_domain == DOMAIN
    assert sends == (0 if fault in NOTHING_REACHED else 1)
    assert bool(matrix.reauth_flows()) == (fault == "refused_credentials")
    if expected.startswith("send_outcome_unknown"):
        placeholders = err.value.translation_placeholders or {}
        assert placeholders["provider"] == matrix.gateway.title
        # The provider's or the adapter's words are quoted in {error}; ours never say "refused".
        assert "refused" not in str(err.value).replace(placeholders["error"], "").lower()
        # What the user reads says each thing once, the cause in the provider's words.
        text = str(err.value).lower()
        assert text.count("may have been") == 1, text
        assert text.count("not sent again") == 1, text
        assert text.count("before sending again") <= 1, text
    if fault == "no_credits":
        assert credits_during in ("0", "0.0", STATE_UNKNOWN)
    else:
        # The credits sensor is unavailable while the provider fails.
        assert credits_during == STATE_UNAVAILABLE

    # Once the fault is over, a send goes through, once (another text: 123-SMS refuses the same
    # text to the same number within 24 h, and the first one may have been taken).
    simulator.sim.requests.clear()
    response = await matrix.send("Hi again")
    assert response is not None
    assert [m["accepted"] for m in response["messages"]] == [True]
    assert matrix.sends() == 1
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert matrix.credits_state() != STATE_UNAVAILABLE
    if provider != "smsfactor":  # no balance call: its credits come from the sends only
        assert float(matrix.credits_state()) > 0
