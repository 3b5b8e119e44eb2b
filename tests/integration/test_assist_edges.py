"""Answers from Assist at the edges: a record that fails, Assist missing, no answer, a failed send.

SMS are pushed through the webhook (Mobyt's form), or received directly where the webhook
cannot be used; answers go to the simulator over real HTTP.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateways import storage
from custom_components.sms_gateways.const import (
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_KEEP_TRYING,
    DOMAIN,
)
from custom_components.sms_gateways.storage import WriteError
from tests.conftest import RunningSimulator

from .common import mobyt_pushes
from .conftest import ALICE, BOB
from .test_assist import (
    Agent,
    ClientFactory,
    _account,
    _add_agent,
    _received_from_bob,
    _sent,
)
from .test_sending import _cut

MASKED_BOB = "+3361•••5678"


def _said(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    """The messages logged at INFO or above that have ``words``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and words in r.getMessage()
    ]


def _no_full_number(caplog: pytest.LogCaptureFixture) -> bool:
    return all(BOB not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


async def test_an_sms_that_cannot_be_recorded_is_not_answered(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The disk refuses the record that it was considered: Assist is not asked, nothing sent.

    Answered without the record, it could be answered twice; a warning says why (number
    masked). The SMS itself is received as usual.
    """
    assist = await _add_agent(hass, "Done: {text}")
    entry = await _account(
        hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: assist.agent_id}
    )
    client = await hass_client_no_auth()
    write = storage.write_utf8_file

    def _assist_disk_full(path: str, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".assist"):
            raise WriteError("disk full")
        write(path, *args, **kwargs)

    with patch.object(storage, "write_utf8_file", _assist_disk_full):
        await mobyt_pushes(hass, client, entry, "1", "open the garage", sender=BOB)
    assert assist.inputs == []
    assert _sent(simulator) == []
    [warning] = _said(caplog, "not handed to Assist")
    assert MASKED_BOB in warning
    assert _no_full_number(caplog)


async def test_assist_that_cannot_be_set_up_answers_nothing(
    hass: HomeAssistant, simulator: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The conversation integration fails to set up: logged (number masked), nothing sent.

    (Received without the webhook, as in test_assist.py's set-up on first need.)
    """
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await _account(hass, simulator, **{CONF_ASSIST: True})
    with patch("homeassistant.components.conversation.async_setup", return_value=False):
        await _received_from_bob(hass, entry, "open the garage")
    assert "conversation" not in hass.config.components
    assert _sent(simulator) == []
    [warning] = _said(caplog, "Assist is not available")
    assert MASKED_BOB in warning
    assert _no_full_number(caplog)


class SilentAgent(Agent):
    """An agent that answers nothing and keeps no conversation."""

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """An empty answer, without a conversation id."""
        result = await super().async_process(user_input)
        return conversation.ConversationResult(response=result.response, conversation_id=None)


async def test_an_agent_with_nothing_to_say_sends_nothing(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """An empty answer is not sent as an empty SMS; with no conversation kept, each SMS is new."""
    silent = await _add_agent(hass, "", SilentAgent)
    entry = await _account(
        hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: silent.agent_id}
    )
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "are you there?", sender=BOB)
    await mobyt_pushes(hass, client, entry, "2", "hello?", sender=BOB)
    assert [i.text for i in silent.inputs] == ["are you there?", "hello?"]
    assert [i.conversation_id for i in silent.inputs] == [None, None]
    assert _sent(simulator) == []


async def test_an_answer_that_cannot_be_sent_is_logged(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The provider cannot be reached and the account does not keep trying: a warning says why.

    The number is masked; nothing is sent or kept for later.
    """
    assist = await _add_agent(hass, "Done: {text}")
    entry = await _account(
        hass,
        simulator,
        **{CONF_ASSIST: True, CONF_ASSIST_AGENT: assist.agent_id, CONF_KEEP_TRYING: False},
    )
    client = await hass_client_no_auth()
    _cut(entry)
    await mobyt_pushes(hass, client, entry, "1", "status", sender=BOB)
    assert [i.text for i in assist.inputs] == ["status"]
    assert _sent(simulator) == []
    assert not entry.runtime_data.sending.outbox
    [warning] = _said(caplog, "was not sent")
    assert MASKED_BOB in warning
    assert _no_full_number(caplog)


def _write_assist_store(
    hass: HomeAssistant, entry: MockConfigEntry, answers: dict[str, Any]
) -> None:
    """What a stopped entry left in its Assist store: nothing considered, these answers."""
    path = Path(hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}.assist"))
    envelope = {"version": 1, "minor_version": 1, "key": path.name}
    data = {"considered": [], "answers": answers}
    path.write_text(json.dumps({**envelope, "data": data}), "utf-8")


async def test_stored_answers_past_the_hour_or_unreadable_do_not_count(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """After a restart, answers older than an hour, and records that make no sense, are dropped.

    Bob had ten answers two hours ago: he is answered again; Alice's unreadable records do not
    block her either.
    """
    assist = await _add_agent(hass, "Done: {text}")
    entry = await _account(
        hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: assist.agent_id}
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    two_hours_ago = dt_util.utcnow().timestamp() - 7200
    _write_assist_store(
        hass,
        entry,
        {
            BOB: [[two_hours_ago + n, "digest"] for n in range(10)],
            ALICE: [["late", "x"], [1], "x", [two_hours_ago, 3]] * 5,
        },
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "still there?", sender=BOB)
    await mobyt_pushes(hass, client, entry, "2", "me too", sender=ALICE)
    assert _sent(simulator) == [(BOB, "Done: still there?"), (ALICE, "Done: me too")]
    assert len(assist.inputs) == 2
