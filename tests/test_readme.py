"""The README's YAML examples parse and name real actions and events; its provider table holds."""

from __future__ import annotations

from pathlib import Path
import re

import pytest
import yaml

from custom_components.sms_gateways.const import EVENT_DELIVERY_STATUS, EVENT_INBOUND_SMS
from custom_components.sms_gateways.gateways import GATEWAYS, Capability

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
SERVICES = yaml.safe_load(
    (ROOT / "custom_components/sms_gateways/services.yaml").read_text(encoding="utf-8")
)


def _walk(node: object) -> list[tuple[str, object]]:
    """Every (key, value) pair of a parsed YAML document, at any depth."""
    if isinstance(node, dict):
        pairs = list(node.items())
        for value in node.values():
            pairs += _walk(value)
        return pairs
    if isinstance(node, list):
        return [pair for item in node for pair in _walk(item)]
    return []


def test_every_example_parses() -> None:
    assert len(BLOCKS) >= 8
    for block in BLOCKS:
        yaml.safe_load(block)


def test_examples_name_real_actions_and_events() -> None:
    pairs = [pair for block in BLOCKS for pair in _walk(yaml.safe_load(block))]
    actions = {str(v) for k, v in pairs if k == "action" and str(v).startswith("sms_gateways.")}
    events = {str(v) for k, v in pairs if k == "event_type"}
    assert actions, "the README shows the actions"
    assert {action.removeprefix("sms_gateways.") for action in actions} <= set(SERVICES)
    assert events <= {EVENT_INBOUND_SMS, EVENT_DELIVERY_STATUS}
    fields = {k for k, _ in pairs}
    assert "config_entry_id" in fields


# --- the table of what each provider can do ------------------------------------------------------

_TABLE = README.split("## What each provider can do", 1)[1].split("\n\n", 2)[1]
_CELLS = {
    "scheduling / cancelling": {
        "yes / yes": {Capability.SCHEDULE, Capability.CANCEL},
        "yes / no": {Capability.SCHEDULE},
    },
    "flash SMS": {"yes": {Capability.FLASH}},
    "credits sensor": {"yes": {Capability.BALANCE}, "from sends": {Capability.CREDITS_FROM_SEND}},
    "delivery status": {
        "polled": {Capability.DELIVERY_STATUS},
        "pushed or polled": {Capability.DELIVERY_STATUS, Capability.STATUS_PUSH},
    },
    "received SMS": {
        "pushed": {Capability.INBOUND_PUSH},
        "pushed or polled": {Capability.INBOUND_PUSH, Capability.INBOUND_POLL},
    },
    "other": {
        "account status": {Capability.ACCOUNT_STATUS},
        "number check by the provider": {Capability.REMOTE_NORMALIZE},
        "WAP bookmark links": {Capability.BOOKMARK},
        "message history": {Capability.HISTORY},
        "voice (TTS)": {Capability.TTS},
        "test mode": {Capability.TEST_MODE},
        "contacts and groups": {Capability.CONTACTS},
    },
}
"""What a cell of the README's table promises, read as the adapters' capabilities."""


def _parts(name: str, cell: str) -> list[str]:
    """The cell's words that say a capability, without the details around them."""
    if name == "other":
        return cell.split(", ")
    if name == "credits sensor" and cell.startswith("yes"):
        return ["yes"]  # "yes, per type and country" is a balance too
    return [cell.split(" (", maxsplit=1)[0]]  # "yes / yes (the whole order)"


def _said_in_the_readme() -> dict[str, set[Capability]]:
    """Each provider's title and the capabilities its column of the README's table promises."""
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in _TABLE.splitlines()]
    titles = rows[0][1:]
    said: dict[str, set[Capability]] = {title: set() for title in titles}
    for name, *cells in rows[2:]:
        for title, cell in zip(titles, cells, strict=True):
            if name == "sender" and "SMS Top" in cell:
                said[title].add(Capability.MESSAGE_TYPE)  # Mobyt's two message types
            for part in _parts(name, cell):
                said[title] |= _CELLS.get(name, {}).get(part, set())
    return said


@pytest.mark.parametrize("provider", sorted(GATEWAYS))
def test_each_adapter_does_what_the_readme_table_says(provider: str) -> None:
    """The capabilities an adapter declares are those the README's table tells users of."""
    gateway = GATEWAYS[provider]
    assert set(gateway.capabilities) == _said_in_the_readme()[gateway.title]
