"""A KO to a Mobyt order to several recipients, seen through ``send_sms`` (READINGS.md R23).

The doc says that a request not executed answers KO; it does not say that a KO was not
executed. The good numbers get the SMS at most once, counted at the simulator: a recipient is
sent again only when Mobyt's history proves the first order was not executed; otherwise it
may have been sent (accepted, status ``unknown``), never ``failed``, never in the outbox, never
given to the fallback account.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from custom_components.sms_gateways.const import CONF_FALLBACK_ENTRY_ID
from tests.conftest import RunningSimulator

from .common import send_sms, setup_entry
from .conftest import make_entry

GOOD = ("+33612340001", "+33612340002", "+33612340003")
REFUSED = "+33612349999"


def _orders_reaching(simulator: RunningSimulator, provider: str = "mobyt") -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in simulator.sim.state.messages.values():
        if message.provider == provider and message.status != "UNKNRCPT":
            counts[message.recipient] = counts.get(message.recipient, 0) + 1
    return counts


@pytest.mark.parametrize("bad_recipient", ["whole_order", "whole_order_unnamed"])
@pytest.mark.parametrize("history_order_id", ["kept", "blank"])
async def test_a_ko_executed_for_the_good_numbers(
    hass: HomeAssistant, simulator: RunningSimulator, bad_recipient: str, history_order_id: str
) -> None:
    simulator.play(
        mobyt__ko_executed="good_numbers",
        mobyt__bad_recipient=bad_recipient,
        mobyt__history_order_id=history_order_id,
    )
    fallback = await setup_entry(hass, make_entry(simulator, "sms123"))
    entry = await setup_entry(
        hass, make_entry(simulator, "mobyt", options={CONF_FALLBACK_ENTRY_ID: fallback.entry_id})
    )
    response = await send_sms(hass, entry, *GOOD, REFUSED, message="Alarm")
    assert _orders_reaching(simulator) == dict.fromkeys(GOOD, 1)
    assert not _orders_reaching(simulator, "sms123")
    assert [(m["accepted"], m["status"], m["sent_by"]) for m in response["messages"]] == [
        (True, "unknown", entry.entry_id)
    ] * 4
    assert all("may have been sent" in m["error"] for m in response["messages"])
    assert not entry.runtime_data.sending.outbox


async def test_a_ko_not_executed(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Proven not executed: the good numbers go once, the bad one is failed in Mobyt's words."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    response = await send_sms(hass, entry, *GOOD, REFUSED, message="Alarm")
    assert _orders_reaching(simulator) == dict.fromkeys(GOOD, 1)
    *good, refused = response["messages"]
    assert {(m["accepted"], m["status"]) for m in good} == {(True, "queued")}
    assert (refused["accepted"], refused["status"]) == (False, "failed")
    assert f"Invalid recipient: {REFUSED}" in refused["error"]
