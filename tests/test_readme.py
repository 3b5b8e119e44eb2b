"""The README's YAML examples parse, and name only actions and events the integration has."""

from __future__ import annotations

from pathlib import Path
import re

import yaml

from custom_components.sms_gateways.const import EVENT_DELIVERY_STATUS, EVENT_INBOUND_SMS

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
