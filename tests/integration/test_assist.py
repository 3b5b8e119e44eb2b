"""Answers from Assist: a trusted contact's SMS gets the conversation agent's answer by SMS.

SMS are pushed through the webhook (Mobyt's form) and answers are sent to the simulator over
real HTTP; the conversation agents are registered in the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any, Literal

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateways.const import (
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_SENDER,
    DEFAULT_ASSIST_AGENT,
    EVENT_INBOUND_SMS,
)
from custom_components.sms_gateways.gateways import InboundSms
from tests.conftest import RunningSimulator

from .common import ClientFactory, inbound_store_path, mobyt_pushes, setup_entry
from .conftest import ALICE, BOB, make_entry

STRANGER = "+33612345679"
OUR_NUMBER = "+33757000001"


class Agent(conversation.AbstractConversationAgent):
    """A conversation agent that answers ``answer`` (``{text}`` is the SMS) and keeps its inputs."""

    def __init__(self, answer: str, agent_id: str) -> None:
        """Answer ``answer`` to everything, registered as ``agent_id``."""
        self.answer = answer
        self.agent_id = agent_id
        self.inputs: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> Literal["*"]:
        """Every language."""
        return "*"

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer, in the conversation given or a new one."""
        self.inputs.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(self.answer.format(text=user_input.text))
        return conversation.ConversationResult(
            response=response,
            conversation_id=user_input.conversation_id or f"conversation-{len(self.inputs)}",
        )


async def _add_agent(hass: HomeAssistant, answer: str, kind: type[Agent] = Agent) -> Agent:
    """Register a conversation agent of ``kind`` answering ``answer``."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    agent_entry = MockConfigEntry(domain="test", title=answer)
    agent_entry.add_to_hass(hass)
    agent = kind(answer, agent_entry.entry_id)
    conversation.async_set_agent(hass, agent_entry, agent)
    return agent


async def _assisted(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    agent_id: str,
) -> tuple[MockConfigEntry, TestClient[Any, Any]]:
    """An account whose contacts' SMS go to ``agent_id``, and a client to push them with."""
    entry = await _account(hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: agent_id})
    return entry, await hass_client_no_auth()


@pytest.fixture
def answer() -> str:
    """What the agent answers (``{text}``: the SMS); tests override it with parametrize."""
    return "Done: {text}"


@pytest.fixture
async def agent(hass: HomeAssistant, answer: str) -> Agent:
    """The agent the account uses, answering ``answer``."""
    return await _add_agent(hass, answer)


@dataclass
class Answering:
    """An account answering its contacts with an agent, and a client to push SMS to it with."""

    hass: HomeAssistant
    entry: MockConfigEntry
    client: TestClient[Any, Any]
    agent: Agent

    async def push(self, message_id: str, text: str, *, sender: str = BOB) -> None:
        """A received SMS pushed by Mobyt, and what it starts, done."""
        await mobyt_pushes(self.hass, self.client, self.entry, message_id, text, sender=sender)


@pytest.fixture
async def answering(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    agent: Agent,
) -> Answering:
    """An account answering its contacts with ``agent``."""
    entry, client = await _assisted(hass, simulator, hass_client_no_auth, agent.agent_id)
    return Answering(hass, entry, client, agent)


async def _account(
    hass: HomeAssistant, simulator: RunningSimulator, **options: Any
) -> MockConfigEntry:
    return await setup_entry(
        hass,
        make_entry(
            simulator,
            "mobyt",
            options=options,
            recipients={"Alice": ALICE, "Bob": BOB},
            sender="Home",
        ),
    )


async def _received_from_bob(hass: HomeAssistant, entry: MockConfigEntry, text: str) -> None:
    """Bob's SMS handed to the account as a push hands it (no webhook); all it starts, done."""
    sms = InboundSms(
        sender=BOB,
        recipient=OUR_NUMBER,
        message=text,
        received_at=dt_util.utcnow(),
        message_id="1",
    )
    assert await entry.runtime_data.inbound.async_receive([sms], pushed=True) == 1
    await hass.async_block_till_done(wait_background_tasks=True)


def _sent(simulator: RunningSimulator) -> list[tuple[str, str]]:
    """(recipient, text) of every SMS the simulator took, oldest first."""
    return [
        ("+" + message.recipient.lstrip("+"), message.text)
        for message in simulator.sim.state.messages.values()
    ]


def _answered(agent: Agent, simulator: RunningSimulator) -> tuple[int, int]:
    """How many SMS ``agent`` was handed, and how many answers were sent."""
    return len(agent.inputs), len(_sent(simulator))


async def test_a_trusted_contact_gets_assists_answer(
    hass: HomeAssistant, simulator: RunningSimulator, answering: Answering
) -> None:
    """Bob's SMS is handed to Assist in Home Assistant's language; its answer reaches Bob.

    His next SMS continues the same conversation; Alice's is another one.
    """
    await answering.push("1", "turn on the kitchen light")
    await answering.push("2", "and the hall")
    await answering.push("3", "is the door locked?", sender=ALICE.removeprefix("+"))

    assert _sent(simulator) == [
        (BOB, "Done: turn on the kitchen light"),
        (BOB, "Done: and the hall"),
        (ALICE, "Done: is the door locked?"),
    ]
    agent_id = answering.agent.agent_id
    assert [(i.text, i.language, i.agent_id) for i in answering.agent.inputs] == [
        ("turn on the kitchen light", hass.config.language, agent_id),
        ("and the hall", hass.config.language, agent_id),
        ("is the door locked?", hass.config.language, agent_id),
    ]
    conversations = [i.conversation_id for i in answering.agent.inputs]
    assert conversations == [None, "conversation-1", None]


async def test_a_stranger_is_never_answered(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    answering: Answering,
) -> None:
    """An SMS from a number that is no recipient, or from a name, never reaches Assist."""
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    await answering.push("1", "unlock the door", sender=STRANGER)
    await answering.push("2", "unlock the door", sender="Bob")
    await answering.push("3", "unlock the door", sender=STRANGER.removeprefix("+"))

    assert [e.data["trusted"] for e in events] == [False, False, False]
    assert answering.agent.inputs == []
    assert _sent(simulator) == []


async def test_off_by_default_and_on_without_a_reload(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    agent: Agent,
) -> None:
    """An account answers nothing until the option is on; turning it on needs no reload."""
    entry = await _account(hass, simulator, **{CONF_ASSIST_AGENT: agent.agent_id})
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "status", sender=BOB)
    assert agent.inputs == []
    assert _sent(simulator) == []

    sending = entry.runtime_data.sending
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_ASSIST: True})
    await hass.async_block_till_done()
    assert entry.runtime_data.sending is sending  # not reloaded
    await mobyt_pushes(hass, client, entry, "2", "status", sender=BOB)
    assert _sent(simulator) == [(BOB, "Done: status")]

    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_ASSIST: False})
    await hass.async_block_till_done()
    await mobyt_pushes(hass, client, entry, "3", "status", sender=BOB)
    assert _answered(agent, simulator) == (1, 1)


async def test_the_eleventh_answer_in_an_hour_is_not_sent(
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    answering: Answering,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten answers a contact an hour, then silence (logged once, the number masked).

    Another contact is still answered; an hour after the first answer, Bob is again.
    """
    caplog.set_level(logging.INFO)
    for n in range(12):
        await answering.push(str(n + 1), f"question {n}")
        freezer.tick(timedelta(minutes=1))
    assert len(answering.agent.inputs) == 10
    assert _sent(simulator) == [(BOB, f"Done: question {n}") for n in range(10)]
    limited = [
        r for r in caplog.records if "last hour" in r.getMessage() and r.levelno == logging.INFO
    ]
    assert len(limited) == 1
    assert "+3361•••5678" in limited[0].getMessage()
    assert all(BOB not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)

    await answering.push("13", "from Alice", sender=ALICE)
    assert _sent(simulator)[-1] == (ALICE, "Done: from Alice")

    freezer.tick(timedelta(minutes=49))  # the first answer is now an hour old
    await answering.push("14", "again")
    assert _sent(simulator)[-1] == (BOB, "Done: again")
    assert len(answering.agent.inputs) == 12


async def test_the_limit_holds_across_a_restart(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    answering: Answering,
) -> None:
    """The answers of the last hour are stored: a reload does not reset the count."""
    for n in range(6):
        await answering.push(str(n + 1), f"question {n}")
    assert await hass.config_entries.async_reload(answering.entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    for n in range(6, 12):
        await answering.push(str(n + 1), f"question {n}")
    assert _answered(answering.agent, simulator) == (10, 10)


@pytest.mark.parametrize("answer", ["The light is on"])
async def test_an_echo_of_our_answer_is_not_answered(
    simulator: RunningSimulator, freezer: FrozenDateTimeFactory, answering: Answering
) -> None:
    """Our own answer coming back from that number within seconds is not handed to Assist.

    Two answering machines would otherwise answer each other; the same text a while later is a
    question again.
    """
    await answering.push("1", "light?")
    freezer.tick(timedelta(seconds=5))
    await answering.push("2", "The light is on")
    await answering.push("3", "the  light is ON ")
    assert len(answering.agent.inputs) == 1
    assert _sent(simulator) == [(BOB, "The light is on")]

    # The same text from another contact is no echo of an answer to Bob.
    await answering.push("4", "The light is on", sender=ALICE)
    assert len(answering.agent.inputs) == 2

    freezer.tick(timedelta(minutes=2))
    await answering.push("5", "The light is on")
    assert _answered(answering.agent, simulator) == (3, 3)


def _unfired(message_id: str, text: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "sender": BOB,
        "recipient": OUR_NUMBER,
        "message": text,
        "received_at": "2024-07-15T21:05:09+02:00",
        "keyword": None,
    }


async def test_a_redelivered_sms_is_answered_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    answering: Answering,
) -> None:
    """An SMS fired again after a kill (``redelivered``) is answered only if it was not before.

    The first one was answered before the kill: fired again, it is not answered again. The
    second was recorded but killed before it fired: it is answered once, when it fires.
    """
    entry = answering.entry
    await answering.push("1", "close the shutters")
    assert _sent(simulator) == [(BOB, "Done: close the shutters")]

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # What a kill between recording the pushes and recording them as fired leaves.
    path = inbound_store_path(hass, entry)
    stored = json.loads(path.read_text("utf-8"))
    stored["data"]["seen"]["id:2"] = stored["data"]["seen"]["id:1"]
    stored["data"]["unfired"] = {
        "id:1": _unfired("1", "close the shutters"),
        "id:2": _unfired("2", "open the garage"),
    }
    path.write_text(json.dumps(stored), "utf-8")
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # The provider pushes them again too: handled already.
    await answering.push("1", "close the shutters")
    await answering.push("2", "open the garage")

    assert sorted((e.data["message"], e.data.get("redelivered")) for e in events) == [
        ("close the shutters", True),
        ("open the garage", True),
    ]
    assert [i.text for i in answering.agent.inputs] == ["close the shutters", "open the garage"]
    assert _sent(simulator) == [
        (BOB, "Done: close the shutters"),
        (BOB, "Done: open the garage"),
    ]


async def test_the_chosen_agent_answers(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """Of two agents, the one chosen in the options answers; the other is never called."""
    first = await _add_agent(hass, "first agent")
    second = await _add_agent(hass, "second agent")
    entry = await _account(
        hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: second.agent_id}
    )
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "hello", sender=BOB)
    assert first.inputs == []
    assert [i.text for i in second.inputs] == ["hello"]
    assert _sent(simulator) == [(BOB, "second agent")]


async def test_home_assistants_agent_by_default_answers_what_it_cannot_understand(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """Without a chosen agent, Home Assistant's own answers; gibberish gets its own reply."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = await _account(hass, simulator, **{CONF_ASSIST: True})
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "xyzzy plugh frobnicate", sender=BOB)
    result = await conversation.async_converse(
        hass, "xyzzy plugh frobnicate", None, Context(), language=hass.config.language
    )
    expected = result.response.speech["plain"]["speech"]
    assert expected
    assert _sent(simulator) == [(BOB, expected)]


async def test_a_failing_agent_sends_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent that is gone: logged (number masked), nothing sent."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = await _account(
        hass, simulator, **{CONF_ASSIST: True, CONF_ASSIST_AGENT: "conversation.gone"}
    )
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "hello", sender=BOB)
    assert _sent(simulator) == []
    assert any("could not answer" in r.getMessage() for r in caplog.records)
    assert all(BOB not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


async def test_assist_is_set_up_when_first_needed(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Where the conversation integration is not loaded, the first SMS to answer loads it.

    (Received here without the webhook: the test client's HTTP server would refuse the views
    that loading it adds, which Home Assistant's own server accepts.)
    """
    assert await async_setup_component(hass, "homeassistant", {})
    entry = await _account(hass, simulator, **{CONF_ASSIST: True})
    assert "conversation" not in hass.config.components
    await _received_from_bob(hass, entry, "xyzzy plugh frobnicate")
    assert "conversation" in hass.config.components
    [(recipient, text)] = _sent(simulator)
    assert recipient == BOB
    assert text


# --- the options form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "offered"),
    [("mobyt", True), ("smsfactor", True), ("netoxygen", False), ("sms123", False)],
)
async def test_the_option_is_offered_where_sms_are_received(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str, *, offered: bool
) -> None:
    """Only an account that receives SMS offers Assist: off, with Home Assistant's agent.

    Its description says what Assist may control: the exposed entities.
    """
    entry = await setup_entry(hass, make_entry(simulator, provider, sender="Home"))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"].schema
    assert (CONF_ASSIST in schema) is offered
    assert (CONF_ASSIST_AGENT in schema) is offered
    if not offered:
        return
    defaults = {str(key): key.default() for key in schema if str(key).startswith("assist")}
    assert defaults == {CONF_ASSIST: False, CONF_ASSIST_AGENT: DEFAULT_ASSIST_AGENT}
    assert schema[CONF_ASSIST_AGENT].serialize() == {"selector": {"conversation_agent": {}}}
    strings = json.loads(
        (Path(__file__).parents[2] / "custom_components/sms_gateways/strings.json").read_text(
            "utf-8"
        )
    )
    description = strings["options"]["step"][provider]["data_description"][CONF_ASSIST]
    assert "exposed entities" in description


async def test_the_options_form_turns_it_on(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientFactory,
    agent: Agent,
) -> None:
    """Saved in the options form, the choice answers the next SMS (no reload)."""
    entry = await _account(hass, simulator)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SENDER: "Home", CONF_ASSIST: True, CONF_ASSIST_AGENT: agent.agent_id},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_ASSIST] is True
    client = await hass_client_no_auth()
    await mobyt_pushes(hass, client, entry, "1", "status", sender=BOB)
    assert [i.text for i in agent.inputs] == ["status"]
    assert _sent(simulator) == [(BOB, "Done: status")]
