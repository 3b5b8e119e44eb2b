"""Answers from Assist: an SMS from a trusted contact is handed to Assist, its answer sent back.

Only a contact of the account (the received SMS's ``trusted``: its sender is one of the
account's recipients) is ever handed to Assist or answered; anyone else gets nothing, not even
an error. The answer goes through the account's one send path (outbox, limits, fallback).

Each received SMS is considered once: its key is on disk before Assist acts on it, so an SMS
fired again (``redelivered``) is never answered twice; a kill in between leaves it unanswered
rather than answered twice. A loop guard stops two gateways answering each other: at most
``ANSWERS_PER_HOUR`` answers per contact in an hour, and no answer to an SMS that repeats,
within ``ECHO_WINDOW``, our own answer to that number.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
import hashlib
import logging
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from .const import CONF_ASSIST, CONF_ASSIST_AGENT, DEFAULT_ASSIST_AGENT, DOMAIN
from .contacts import Contact
from .dedup import RecentKeys
from .gateways.numbers import mask_number, mask_numbers
from .inbound import ReceivedSms, signal_inbound
from .loading import async_send_through
from .runtime import SmsGatewaysConfigEntry
from .send_request import SendReport, SendRequest
from .storage import WriteError, entry_grouped_store

_LOGGER = logging.getLogger(__name__)

ANSWERS_PER_HOUR = 10
"""Answers a contact gets at most in an hour: past it, its SMS are not answered (loop guard)."""
RATE_WINDOW = 3600.0
"""Seconds the answers are counted over."""
ECHO_WINDOW = 60.0
"""Seconds after our answer in which the same text from that number is taken for an echo."""
MAX_CONSIDERED = 10_000
"""Keys of SMS considered kept at most (a week each): far more than ten an hour per contact."""


ASSIST_STORE = "assist"
"""The part of an entry's stored state that keeps its considered SMS and recent answers."""


def _digest(text: str) -> str:
    """An answer's text as kept on disk: enough to know it again, not to read it."""
    folded = " ".join(text.split()).casefold()
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _plain_speech(result: conversation.ConversationResult) -> str:
    """The plain speech of Assist's answer, empty when it has none."""
    speech = result.response.speech.get("plain", {}).get("speech")
    return speech.strip() if isinstance(speech, str) else ""


@dataclass(slots=True)
class _Answer:
    """One answer to a contact: when it was decided, and its text's digest once known."""

    at: float
    digest: str = ""


class AssistAnswers:
    """Hand each trusted contact's SMS of one account to Assist and send its answer back."""

    def __init__(self, hass: HomeAssistant, entry: SmsGatewaysConfigEntry) -> None:
        """Nothing is read or listened to until ``async_start``."""
        self.hass = hass
        self.entry = entry
        self._store = entry_grouped_store(hass, entry.entry_id, ASSIST_STORE, self._data_to_save)
        self._considered = RecentKeys(max_keys=MAX_CONSIDERED)
        """The SMS already handed to Assist or left unanswered (by their inbound key)."""
        self._answers: dict[str, list[_Answer]] = {}
        """Each contact number's answers of the last hour, oldest first."""
        self._conversations: dict[str, str] = {}
        """Each contact number's conversation with Assist (Assist forgets it after a while)."""
        self._limit_logged: set[str] = set()
        self._unsub: CALLBACK_TYPE | None = None
        self._stopped = False

    @property
    def enabled(self) -> bool:
        """Whether the account answers with Assist (read at each SMS: no reload needed)."""
        return bool(self.entry.options.get(CONF_ASSIST, False))

    async def async_start(self) -> None:
        """Restore what was considered and answered, then listen to the received SMS."""
        stored = await self._store.async_load()
        if not isinstance(stored, dict):
            stored = {}
        self._considered.load(stored.get("considered"))
        answers = stored.get("answers")
        now = dt_util.utcnow().timestamp()
        for number, pairs in (answers if isinstance(answers, dict) else {}).items():
            kept = [
                _Answer(float(pair[0]), pair[1])
                for pair in (pairs if isinstance(pairs, list) else [])
                if isinstance(pair, list)
                and len(pair) == 2
                and isinstance(pair[0], int | float)
                and isinstance(pair[1], str)
                and now - RATE_WINDOW < pair[0] <= now
            ]
            if isinstance(number, str) and kept:
                self._answers[number] = kept
        self._unsub = async_dispatcher_connect(
            self.hass, signal_inbound(self.entry.entry_id), self._received
        )

    async def async_stop(self) -> None:
        """Stop listening and write what is pending; an answer being sent still goes."""
        self._stopped = True
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._store.async_close()

    @callback
    def _received(self, received: ReceivedSms) -> None:
        """Decide, before any ``await``, whether this SMS is handed to Assist."""
        contact = received.contact
        if self._stopped or not self.enabled or contact is None:
            # Never for a sender who is not one of the account's recipients.
            return
        if not self._considered.add(received.sms.dedup_key):
            _LOGGER.debug("Received SMS already considered for Assist: not answered again")
            return
        written = self._store.async_changed()
        now = dt_util.utcnow().timestamp()
        answers = self._recent(contact.number, now)
        digest = _digest(received.sms.message)
        if any(now - answer.at <= ECHO_WINDOW and answer.digest == digest for answer in answers):
            _LOGGER.info(
                "An SMS from %s repeats Assist's answer of a moment ago (another automatic "
                "answerer?): not answered",
                mask_number(contact.number),
            )
            return
        if len(answers) >= ANSWERS_PER_HOUR:
            log = _LOGGER.debug if contact.number in self._limit_logged else _LOGGER.info
            self._limit_logged.add(contact.number)
            log(
                "Assist answered %s %s times in the last hour: its SMS are not answered "
                "until the hour has passed",
                mask_number(contact.number),
                len(answers),
            )
            return
        self._limit_logged.discard(contact.number)
        answer = _Answer(now)
        answers.append(answer)
        self._answers[contact.number] = answers
        self.entry.async_create_background_task(
            self.hass,
            self._async_answer(received.sms.message, contact, answer, written),
            f"{DOMAIN} Assist answer {self.entry.title}",
        )

    def _recent(self, number: str, now: float) -> list[_Answer]:
        """The answers to ``number`` of the last hour."""
        return [answer for answer in self._answers.get(number, []) if now - answer.at < RATE_WINDOW]

    async def _async_answer(
        self, text: str, contact: Contact, answer: _Answer, written: asyncio.Future[None]
    ) -> None:
        """Hand the SMS to Assist once it is recorded as considered, then send the answer.

        Cancelled with the entry while Assist thinks: then nothing is sent.
        """
        try:
            await written
        except WriteError:
            _LOGGER.warning(
                "An SMS from %s is not handed to Assist: it could not be recorded, and could "
                "then be answered twice",
                mask_number(contact.number),
            )
            return
        agent_id = self.entry.options.get(CONF_ASSIST_AGENT) or DEFAULT_ASSIST_AGENT
        if conversation.DOMAIN not in self.hass.config.components and not (
            await async_setup_component(self.hass, conversation.DOMAIN, {})
        ):
            _LOGGER.warning(
                "Assist is not available: the SMS from %s is not answered",
                mask_number(contact.number),
            )
            return
        try:
            result = await conversation.async_converse(
                self.hass,
                text=text,
                conversation_id=self._conversations.get(contact.number),
                context=Context(),
                # A contact has no language of its own: Home Assistant's is used.
                language=self.hass.config.language,
                agent_id=agent_id,
            )
        except Exception:  # any agent's fault: logged, nothing sent
            _LOGGER.warning(
                "The conversation agent %s could not answer the SMS from %s",
                agent_id,
                mask_number(contact.number),
                exc_info=_LOGGER.isEnabledFor(logging.DEBUG),
            )
            return
        if result.conversation_id:
            self._conversations[contact.number] = result.conversation_id
        speech = _plain_speech(result)
        if not speech or self._stopped:
            _LOGGER.debug("Assist gave no answer to send (or the account unloads)")
            return
        answer.digest = _digest(speech)
        self._store.async_changed()
        request = SendRequest(recipients=(contact.number,), message=speech)
        # Tracked, not cancelled with the entry: a send that began ends, or waits in the outbox.
        self.hass.async_create_task(
            self._async_send(contact, request),
            f"{DOMAIN} send Assist answer {self.entry.title}",
            eager_start=True,
        )

    async def _async_send(self, contact: Contact, request: SendRequest) -> None:
        """Send the answer through the account (the entry set up again, after a reload)."""
        try:
            await async_send_through(self.hass, self.entry.entry_id, partial(_async_send, request))
        except HomeAssistantError as err:
            _LOGGER.warning(
                "Assist's answer to %s was not sent: %s",
                mask_number(contact.number),
                mask_numbers(err),
            )

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        now = dt_util.utcnow().timestamp()
        return {
            "considered": self._considered.dump(),
            "answers": {
                number: [[answer.at, answer.digest] for answer in recent]
                for number in list(self._answers)
                if (recent := self._recent(number, now))
            },
        }


async def _async_send(request: SendRequest, entry: SmsGatewaysConfigEntry) -> SendReport:
    return await entry.runtime_data.sending.async_send(request)
