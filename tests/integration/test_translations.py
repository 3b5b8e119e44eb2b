"""Every text the integration shows exists, in English, French, German and Italian alike."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.sms_gateways.services import ACTIONS

PACKAGE = Path(__file__).parents[2] / "custom_components" / "sms_gateways"
ENGLISH = json.loads((PACKAGE / "translations" / "en.json").read_text(encoding="utf-8"))


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys.add(f"{prefix}{key}")
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


def _source(*modules: str) -> str:
    return "\n".join((PACKAGE / module).read_text(encoding="utf-8") for module in modules)


def _placeholders(tree: dict[str, Any], prefix: str = "") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found |= _placeholders(value, f"{prefix}{key}.")
        else:
            found[f"{prefix}{key}"] = set(re.findall(r"{(\w+)}", value))
    return found


LANGUAGES = ["fr", "de", "it"]


def test_every_translation_is_tested() -> None:
    """A translation added to translations/ is one the test below checks."""
    found = {path.stem for path in (PACKAGE / "translations").glob("*.json")}
    assert found == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_text(language: str) -> None:
    """French, German and Italian say everything English says, with the same placeholders."""
    other = json.loads((PACKAGE / "translations" / f"{language}.json").read_text("utf-8"))
    assert _keys(other) == _keys(ENGLISH)
    assert _placeholders(other) == _placeholders(ENGLISH)


def test_strings_are_the_english_texts() -> None:
    """strings.json and translations/en.json do not drift apart."""
    strings = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
    assert strings == ENGLISH


def test_every_raised_error_is_translated() -> None:
    """Each translation key an error is raised with has its message."""
    source = _source(
        "compose.py",
        "translated_errors.py",
        "services.py",
        "coordinator.py",
        "notify.py",
        "sending.py",
        "send_request.py",
        "outbox.py",
        "scheduled.py",
        "notify_batch.py",
        "loading.py",
        "spend.py",
    )
    used = set(re.findall(r'translation_key="([a-z_]+)"', source))
    used |= set(re.findall(r'^\s+key(?:, \w+)* = "([a-z_]+)"', source, re.MULTILINE))
    used -= {"no_credits"}  # the repair issue, below
    assert used
    assert used <= set(ENGLISH["exceptions"])
    assert "no_credits" in ENGLISH["issues"]


def test_every_flow_error_is_translated() -> None:
    """Each error and abort reason of the flows has its text."""
    source = _source("config_flow.py")
    errors = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    reasons = set(re.findall(r'reason="([a-z_]+)"', source))
    known = (
        set(ENGLISH["config"]["error"])
        | set(ENGLISH["options"]["error"])
        | set(ENGLISH["config_subentries"]["recipient"]["error"])
    )
    assert errors <= known
    aborts = set(ENGLISH["config"]["abort"]) | set(
        ENGLISH["config_subentries"]["recipient"]["abort"]
    )
    assert reasons <= aborts


def test_every_action_is_described() -> None:
    """services.yaml and the translations describe exactly the fields each action takes.

    The translations also describe the legacy notify services (``notify.sms_gateways`` and
    ``notify.<account>``), which notify.py registers with those texts and notify's fields.
    """
    described = load_yaml_dict(str(PACKAGE / "services.yaml"))
    legacy = {"notify_all_accounts", "notify_account"}
    assert set(described) == set(ACTIONS) == set(ENGLISH["services"]) - legacy
    for name in legacy:
        assert set(ENGLISH["services"][name]["fields"]) == {"message", "title", "target", "data"}
    for name, action in ACTIONS.items():
        fields = {str(marker) for marker in action.schema.schema}
        assert set(described[name]["fields"]) == fields, name
        assert set(ENGLISH["services"][name]["fields"]) == fields, name
