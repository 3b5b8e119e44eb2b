"""Mobyt's low credits are judged on the line the account's sends draw from, not on the sum.

READINGS.md R17: CREDITS gives one line per message type and nation (``EE`` abroad). With
``N|FR|0;L|FR|500;EE||20`` the total is 520, yet every SMS Top to France fails.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.sms_gateways.const import (
    CONF_LOW_CREDITS_THRESHOLD,
    CONF_MESSAGE_TYPE,
    CONF_SENDER,
    DOMAIN,
)
from tests.conftest import RunningSimulator

from .common import setup_entry
from .conftest import ALICE, BOB, make_entry

LOW = "binary_sensor.mobyt_demo_low_credits"
LINES = [["N", "FR", 0], ["L", "FR", 500], ["EE", "", 20]]
SMS_TOP = {CONF_SENDER: "Maison", CONF_MESSAGE_TYPE: "N"}


async def _setup(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    options: dict[str, Any],
    recipients: dict[str, str],
    lines: list[list[Any]] | None = None,
) -> str:
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [list(line) for line in lines or LINES]
    account.credits = float(
        sum(line[2] for line in account.extra["lines"] if isinstance(line[2], int | float))
    )
    entry = await setup_entry(
        hass,
        make_entry(
            simulator,
            "mobyt",
            options={CONF_LOW_CREDITS_THRESHOLD: 10, **options},
            recipients=recipients,
        ),
    )
    return entry.entry_id


@pytest.mark.parametrize("reading", ["per_line", "pooled"])
async def test_type_n_to_france_with_an_empty_n_line(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
    reading: str,
) -> None:
    """On, and the repair shows, whatever pays a send: a false alarm, never silence."""
    simulator.play(mobyt__credits=reading)
    entry_id = await _setup(
        hass, simulator, {CONF_SENDER: "Maison", CONF_MESSAGE_TYPE: "n"}, {"Bob": BOB}
    )
    assert hass.states.get("sensor.mobyt_demo_credits").state == "520"
    assert hass.states.get(LOW).state == STATE_ON
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry_id}") is not None

    call = {"config_entry_id": entry_id, "recipients": [BOB], "message": "Hi"}
    if reading == "per_line":
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(DOMAIN, "send_sms", call, blocking=True)
        assert err.value.translation_key == "insufficient_credits"
    else:
        await hass.services.async_call(DOMAIN, "send_sms", call, blocking=True)


@pytest.mark.parametrize(
    ("options", "recipients", "lines", "state", "repair"),
    [
        # SMS Direct to France: the L line pays.
        ({CONF_MESSAGE_TYPE: "l"}, {"Bob": BOB}, LINES, STATE_OFF, False),
        # No type chosen and no sender: L.
        ({}, {"Bob": BOB}, LINES, STATE_OFF, False),
        # A sender and no type chosen: N.
        ({CONF_SENDER: "Maison"}, {"Bob": BOB}, LINES, STATE_ON, True),
        # Abroad (Switzerland has no line): EE pays, 20 left.
        (
            SMS_TOP,
            {"Alice": ALICE},
            LINES,
            STATE_OFF,
            False,
        ),
        (
            SMS_TOP,
            {"Alice": ALICE},
            [["N", "FR", 0], ["EE", "", 5]],
            STATE_ON,
            False,
        ),
        # One recipient at home and one abroad: the lowest of their lines.
        ({CONF_MESSAGE_TYPE: "L"}, {"Alice": ALICE, "Bob": BOB}, LINES, STATE_OFF, False),
        (
            {CONF_MESSAGE_TYPE: "L"},
            {"Alice": ALICE, "Bob": BOB},
            [["L", "FR", 500], ["EE", "", 0]],
            STATE_ON,
            True,
        ),
        # No recipients: the account's own country.
        ({CONF_SENDER: "Maison"}, {}, LINES, STATE_ON, True),
        # Lines that repeat a type and nation (the doc's own example repeats them) may be one
        # pool shown twice: 6, not 12 (R25; both readings are played below).
        ({CONF_SENDER: "Maison"}, {}, [["N", "FR", 6], ["N", "FR", 6]], STATE_ON, False),
    ],
)
async def test_the_line_the_sends_draw_from(  # noqa: PLR0917
    hass: HomeAssistant,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
    options: dict[str, Any],
    recipients: dict[str, str],
    lines: list[list[Any]],
    state: str,
    repair: bool,
) -> None:
    entry_id = await _setup(hass, simulator, options, recipients, lines)
    assert hass.states.get(LOW).state == state
    issue = issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry_id}")
    assert (issue is not None) is repair


@pytest.mark.parametrize("reading", ["separate", "one_pool"])
async def test_repeated_lines_never_warn_late(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
    reading: str,
) -> None:
    """R25: N|FR listed twice is 12 credits or one pool of 6; judged on 6 under both."""
    simulator.play(mobyt__repeated_lines=reading)
    lines = [["N", "FR", 6], ["N", "FR", 6], ["L", "FR", 500], ["EE", "", 20]]
    entry_id = await _setup(hass, simulator, SMS_TOP, {"Bob": BOB}, lines)
    assert hass.states.get("sensor.mobyt_demo_sms_top_credits_fr").state == "6"
    assert hass.states.get("sensor.mobyt_demo_credits").state == "526"
    assert hass.states.get(LOW).state == STATE_ON
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry_id}") is None


@pytest.mark.parametrize("amount", ["12,5", "illimité"])
async def test_an_unreadable_line_blocks_nothing(
    hass: HomeAssistant, simulator: RunningSimulator, amount: str
) -> None:
    """Set-up carries on; that line is unknown, the others are shown and judged."""
    lines = [["N", "FR", amount], ["L", "FR", 5], ["EE", "", 20]]
    entry_id = await _setup(hass, simulator, {CONF_MESSAGE_TYPE: "L"}, {"Bob": BOB}, lines)
    assert hass.config_entries.async_get_entry(entry_id).state.name == "LOADED"
    assert hass.states.get("sensor.mobyt_demo_sms_top_credits_fr").state == "unknown"
    assert hass.states.get("sensor.mobyt_demo_sms_direct_credits_fr").state == "5"
    assert hass.states.get("sensor.mobyt_demo_sms_abroad_credits").state == "20"
    assert hass.states.get("sensor.mobyt_demo_credits").state == "unknown"
    # SMS Direct to France is paid by the L line: 5 < 10, on.
    assert hass.states.get(LOW).state == STATE_ON


async def test_an_unreadable_line_that_may_pay_leaves_the_check_unknown(
    hass: HomeAssistant, simulator: RunningSimulator, issue_registry: ir.IssueRegistry
) -> None:
    lines = [["N", "FR", "12,5"], ["L", "FR", 0], ["EE", "", 0]]
    entry_id = await _setup(hass, simulator, SMS_TOP, {"Bob": BOB}, lines)
    assert hass.states.get(LOW).state == "unknown"
    assert issue_registry.async_get_issue(DOMAIN, f"no_credits_{entry_id}") is None
