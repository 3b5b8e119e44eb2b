"""Notify entity calls gathered into one send: a caller that goes away, an adapter's bug.

Each send goes to the simulator over real HTTP; the gathering window is widened so that the
test can act while calls wait in it.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways import notify_batch
from tests.conftest import RunningSimulator

from .common import notify_entities, setup_entry
from .conftest import ALICE, BOB, make_entry
from .test_send_edges import _until
from .test_sending import _sent

ALICE_ENTITY = "notify.netoxygen_demo_alice"
BOB_ENTITY = "notify.netoxygen_demo_bob"


async def _account(hass: HomeAssistant, simulator: RunningSimulator) -> MockConfigEntry:
    return await setup_entry(
        hass, make_entry(simulator, "netoxygen", recipients={"Alice": ALICE, "Bob": BOB})
    )


async def test_a_caller_gone_while_gathered_leaves_the_others_their_send(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A script stopped while its notification waits to be gathered: Bob's call still ends.

    The gathered send had Alice in it already: it goes out once, to both, and Bob's caller is
    answered (it would wait for ever were the cancelled call's answer to fail the others).
    """
    entry = await _account(hass, simulator)
    with patch.object(notify_batch, "NOTIFY_WINDOW", 0.2):
        alice = hass.async_create_task(notify_entities(hass, ALICE_ENTITY, "Door open"))
        await _until(lambda: bool(entry.runtime_data.sending.notify_batch.waiting))
        bob = hass.async_create_task(notify_entities(hass, BOB_ENTITY, "Door open"))
        await _until(
            lambda: len(entry.runtime_data.sending.notify_batch.waiting.get("Door open", [])) == 2
        )
        alice.cancel()
        await asyncio.wait_for(bob, 10)
    with pytest.raises(asyncio.CancelledError):
        await alice
    sent = _sent(simulator, "netoxygen")
    assert sorted("+" + m.recipient.lstrip("+") for m in sent) == sorted([ALICE, BOB])
    assert {m.text for m in sent} == {"Door open"}


async def test_an_adapters_bug_fails_every_gathered_call(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A bug in the adapter while gathered calls are sent: each caller gets the error, none hangs.

    Nothing reaches the provider.
    """
    entry = await _account(hass, simulator)
    gateway = entry.runtime_data.gateway

    def _broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("adapter bug")

    with patch.object(gateway, "prepare", _broken), pytest.raises(RuntimeError, match="bug"):
        await asyncio.wait_for(notify_entities(hass, [ALICE_ENTITY, BOB_ENTITY], "Door open"), 10)
    assert _sent(simulator, "netoxygen") == []
