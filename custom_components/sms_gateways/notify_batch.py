"""Notify entities of one account called together with the same text, gathered into one send.

Home Assistant calls each target entity of ``notify.send_message`` separately, all at once:
gathered, several recipients make one provider request, and each caller still gets its own
recipient's error.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .gateways import DeliveryStatus, GatewayError
from .send_request import EntryStoppedError, RecipientOutcome, SendPath, SendRequest

NOTIFY_WINDOW = 0.005
"""Seconds during which notify entity calls with the same text are gathered into one send."""


class NotifyBatch:
    """The notify calls of one account waiting to be sent together, by text."""

    def __init__(self, path: SendPath) -> None:
        """Each gathered send goes through ``path``."""
        self._path = path
        self.waiting: dict[str, list[tuple[str, asyncio.Future[None]]]] = {}

    @callback
    def stop(self) -> None:
        """Release the calls not begun: each caller sends again through the entry set up next."""
        for calls in self.waiting.values():
            for _number, future in calls:
                _settle(future, EntryStoppedError(self._path.entry.title))
        self.waiting.clear()

    async def async_notify(self, number: str, text: str) -> None:
        """Send ``text`` to one recipient entity's number, in one send with the others.

        Calls with the same text that arrive within ``NOTIFY_WINDOW`` (Home Assistant calls each
        target entity of ``notify.send_message`` separately, all at once) go out as one send;
        each call still gets its own recipient's error. Its one caller (``async_send_through``)
        hands it only an entry whose send path is not stopped; one stopped later refuses the
        gathered send with ``EntryStoppedError``, which each caller gets.
        """
        loop = self._path.hass.loop
        future: asyncio.Future[None] = loop.create_future()
        calls = self.waiting.get(text)
        if calls is None:
            calls = self.waiting[text] = []
            loop.call_later(NOTIFY_WINDOW, self._start_notify, text)
        calls.append((number, future))
        await future

    @callback
    def _start_notify(self, text: str) -> None:
        calls = self.waiting.pop(text, [])
        if calls:
            # Not a background task: an unload waits for a send under way, never cancels it
            # (its callers would wait for ever, the message perhaps sent).
            path = self._path
            path.entry.async_create_task(
                path.hass, self._async_notify(text, calls), f"{DOMAIN} notify"
            )

    async def _async_notify(self, text: str, calls: list[tuple[str, asyncio.Future[None]]]) -> None:
        gateway = self._path.gateway
        waiting: dict[str, list[asyncio.Future[None]]] = {}
        for number, future in calls:
            try:
                (normalized,) = gateway.normalize_recipients([number])
            except GatewayError as err:
                _settle(future, self._path.error(err))
                continue
            waiting.setdefault(normalized, []).append(future)
        # More recipients than one send takes go out in several sends, each with its answers.
        numbers = list(waiting)
        for start in range(0, len(numbers), gateway.max_recipients):
            group = numbers[start : start + gateway.max_recipients]
            await self._async_notify_group(text, {number: waiting[number] for number in group})

    async def _async_notify_group(
        self, text: str, waiting: dict[str, list[asyncio.Future[None]]]
    ) -> None:
        """One send of ``text`` to these numbers; each caller gets its recipient's outcome."""
        try:
            report = await self._path.async_send_report(
                SendRequest(recipients=tuple(waiting), message=text)
            )
        except HomeAssistantError as err:
            for futures in waiting.values():
                for future in futures:
                    _settle(future, err)
            return
        except Exception as err:  # noqa: BLE001  # handed to the callers, never lost
            for futures in waiting.values():
                for future in futures:
                    _settle(future, err)
            return
        outcomes = {message.recipient: message for message in report.messages}
        for recipient, futures in waiting.items():
            outcome = outcomes.get(recipient) or RecipientOutcome(
                recipient=recipient,
                accepted=False,
                status=DeliveryStatus.FAILED,
                sent_by=self._path.entry.entry_id,
                error="The provider said nothing of this recipient",
            )
            error: HomeAssistantError | None = None
            if outcome.status is DeliveryStatus.UNKNOWN or not (
                outcome.accepted or outcome.status is DeliveryStatus.RETRYING
            ):
                # A notification has no response to read: "may have been sent" is said.
                error = self._path.not_taken(outcome)
            for future in futures:
                _settle(future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
