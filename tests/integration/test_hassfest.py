"""The translation files pass the checks of hassfest, Home Assistant's integration validator.

hassfest is not published on PyPI (it lives in Home Assistant's repository under
``script/hassfest``), so its translation rules are restated here:

- a translation key (selector options, entity keys and states, action and field names, ...) is
  made of ``a-z``, ``0-9``, ``-`` and ``_``, does not start or end with ``-`` or ``_``, and has no
  two of them in a row; some levels (entity platforms, exceptions) must be slugs;
- a text has no HTML, no leading or trailing space, no URL, no placeholder in single quotes and
  only identifiers as placeholders; states, attribute names and units take no placeholder;
- a field described in ``data_description`` is also in ``data`` of the same step;
- a subentry type has ``entry_type`` and ``initiate_flow.user``; an action and each of its fields
  have a name and a description; an issue has a title and a description.

It runs on ``strings.json`` and every ``translations/*.json``, which HACS's hassfest action does
not do for the other languages but Home Assistant reads all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.util import slugify
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.sms_gateways.const import MESSAGE_TYPES

PACKAGE = Path(__file__).parents[2] / "custom_components" / "sms_gateways"
FILES = [PACKAGE / "strings.json", *sorted((PACKAGE / "translations").glob("*.json"))]

KEY = re.compile(r"[a-z0-9_-]+")
URL = re.compile(
    r"((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)[a-z0-9]+([-.][a-z0-9]+)*"
    r"\.[a-z]{2,5}",
    re.IGNORECASE,
)
HTML = re.compile(r"<[a-z/!][^>]*>", re.IGNORECASE)

type Problems = list[str]


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid translation key, or None."""
    if not KEY.fullmatch(key):
        return "need to be [a-z0-9-_]+"
    if key[0] in "-_" or key[-1] in "-_":
        return "cannot start or end with a hyphen or underscore"
    if re.search(r"[-_]{2}", key):
        return "cannot have two hyphens or underscores in a row"
    return None


def slug_problem(key: str) -> str | None:
    """Why ``key`` is not a slug (what ``cv.slug`` accepts), or None."""
    return None if slugify(key) == key else "need to be a slug"


def text_problem(value: Any, *, placeholders: bool = True) -> str | None:
    """Why ``value`` is not an acceptable translated text, or None."""
    if not isinstance(value, str):
        return "need to be a string"
    if value != value.strip():
        return "leading or trailing spaces"
    if HTML.search(value):
        return "HTML"
    if URL.search(value):
        return "a URL (use a description placeholder)"
    if re.search(r"'\{\w+\}'", value):
        return "a placeholder in single quotes"
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(value) if field]
    except ValueError as err:
        return f"unbalanced braces: {err}"
    if fields and not placeholders:
        return "placeholders are not allowed here"
    if any(not field.isidentifier() for field in fields):
        return "placeholders must be identifiers"
    return None


class Checker:
    """Walks one translation file and collects what hassfest would reject."""

    def __init__(self) -> None:
        """No problem yet."""
        self.problems: Problems = []

    def key(self, key: str, where: str, rule: Callable[[str], str | None] = key_problem) -> None:
        """Check a key."""
        if (problem := rule(key)) is not None:
            self.problems.append(f"Invalid translation key {key!r} at {where}: {problem}")

    def text(self, value: Any, where: str, *, placeholders: bool = True) -> None:
        """Check a text."""
        if (problem := text_problem(value, placeholders=placeholders)) is not None:
            self.problems.append(f"Invalid text at {where}: {problem}")

    def texts(
        self, tree: Any, where: str, *, keys: bool = False, placeholders: bool = True
    ) -> None:
        """Check a mapping of texts (and its keys when ``keys``)."""
        if not isinstance(tree, dict):
            self.problems.append(f"{where} should be a mapping")
            return
        for key, value in tree.items():
            if keys:
                self.key(key, where)
            self.text(value, f"{where}.{key}", placeholders=placeholders)

    def require(self, tree: dict[str, Any], names: tuple[str, ...], where: str) -> None:
        """Check that each of ``names`` is there."""
        self.problems.extend(f"{where}: {name} is required" for name in names if name not in tree)

    def flow(self, flow: dict[str, Any], where: str, *, subentry: bool = False) -> None:
        """A config, options or subentry flow."""
        for step_id, step in flow.get("step", {}).items():
            here = f"{where}.step.{step_id}"
            for name in ("title", "description", "submit"):
                if name in step:
                    self.text(step[name], f"{here}.{name}")
            for name in ("data", "data_description", "menu_options", "menu_option_descriptions"):
                if name in step:
                    self.texts(step[name], f"{here}.{name}")
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            self.problems.extend(
                f"{here}: data_description key {key} is not in data" for key in sorted(extra)
            )
        for name in ("error", "abort", "progress", "create_entry"):
            if name in flow:
                self.texts(flow[name], f"{where}.{name}")
        if subentry:
            self.require(flow, ("entry_type", "initiate_flow"), where)
            self.require(flow.get("initiate_flow", {}), ("user",), f"{where}.initiate_flow")
        for name in ("entry_type", "flow_title"):
            if name in flow:
                self.text(flow[name], f"{where}.{name}")
        if "initiate_flow" in flow:
            self.texts(flow["initiate_flow"], f"{where}.initiate_flow")

    def entity(self, entity: dict[str, Any]) -> None:
        """Entity names, states, attributes and units."""
        for platform, keys in entity.items():
            self.key(platform, f"entity.{platform}", slug_problem)
            for key, info in keys.items():
                here = f"entity.{platform}.{key}"
                self.key(key, here)
                if "name" in info:
                    self.text(info["name"], f"{here}.name")
                if "unit_of_measurement" in info:
                    self.text(
                        info["unit_of_measurement"],
                        f"{here}.unit_of_measurement",
                        placeholders=False,
                    )
                self.texts(info.get("state", {}), f"{here}.state", keys=True, placeholders=False)
                for attribute, about in info.get("state_attributes", {}).items():
                    there = f"{here}.state_attributes.{attribute}"
                    self.key(attribute, there)
                    if "name" in about:
                        self.text(about["name"], f"{there}.name", placeholders=False)
                    self.texts(
                        about.get("state", {}), f"{there}.state", keys=True, placeholders=False
                    )

    def services(self, services: dict[str, Any]) -> None:
        """Action names and descriptions, with their fields."""
        for action, info in services.items():
            here = f"services.{action}"
            self.key(action, here)
            self.require(info, ("name", "description"), here)
            self.texts({k: v for k, v in info.items() if k in ("name", "description")}, here)
            for field, about in info.get("fields", {}).items():
                there = f"{here}.fields.{field}"
                self.key(field, there)
                self.require(about, ("name", "description"), there)
                self.texts(about, there)

    def selector(self, selectors: dict[str, Any]) -> None:
        """Translated options of select selectors."""
        for name, info in selectors.items():
            if name != "_":
                self.key(name, f"selector.{name}", slug_problem)
            for part in ("options", "choices", "unit_of_measurement"):
                if part in info:
                    self.texts(info[part], f"selector.{name}.{part}", keys=True)

    def check(self, tree: dict[str, Any]) -> Problems:
        """Everything of one file."""
        if "config" in tree:
            self.flow(tree["config"], "config")
        if "options" in tree:
            self.flow(tree["options"], "options")
        for subentry_type, flow in tree.get("config_subentries", {}).items():
            self.key(subentry_type, f"config_subentries.{subentry_type}", slug_problem)
            self.flow(flow, f"config_subentries.{subentry_type}", subentry=True)
        self.entity(tree.get("entity", {}))
        self.services(tree.get("services", {}))
        self.selector(tree.get("selector", {}))
        for key, info in tree.get("exceptions", {}).items():
            self.key(key, f"exceptions.{key}", slug_problem)
            self.texts(info, f"exceptions.{key}")
        for key, info in tree.get("issues", {}).items():
            self.key(key, f"issues.{key}", slug_problem)
            self.require(info, ("title", "description"), f"issues.{key}")
            self.texts(info, f"issues.{key}")
        for key, info in tree.get("device", {}).items():
            self.key(key, f"device.{key}")
            self.texts(info, f"device.{key}")
        return self.problems


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_hassfest_rules(path: Path) -> None:
    """Every key and text of the file is one hassfest accepts."""
    assert Checker().check(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({"selector": {"message_type": {"options": {"L": "x"}}}}, "'L'"),
        ({"selector": {"t": {"options": {"_l": "x"}}}}, "start or end"),
        ({"entity": {"sensor": {"a__b": {"name": "x"}}}}, "in a row"),
        ({"entity": {"sensor": {"a": {"state": {"on": "{x}"}}}}}, "placeholders"),
        ({"exceptions": {"Bad": {"message": "x"}}}, "slug"),
        ({"services": {"a": {"name": "x", "description": "see https://example.com"}}}, "URL"),
        ({"services": {"a": {"name": "x"}}}, "description is required"),
        ({"issues": {"a": {"title": " x", "description": "y"}}}, "spaces"),
        ({"config": {"step": {"s": {"data": {}, "data_description": {"a": "x"}}}}}, "not in data"),
        ({"config": {"error": {"a": "'{name}' is <b>bad</b>"}}}, "HTML"),
        ({"config": {"abort": {"a": "'{name}' is wrong"}}}, "single quotes"),
        ({"config_subentries": {"r": {"step": {}}}}, "entry_type is required"),
    ],
)
def test_the_rules_catch_what_hassfest_refuses(tree: dict[str, Any], expected: str) -> None:
    """The check is not vacuous: each rule rejects what hassfest rejects."""
    problems = Checker().check(tree)
    assert problems
    assert any(expected in problem for problem in problems), problems


def _selectors(tree: Any) -> Iterator[dict[str, Any]]:
    """Every select selector with a translation key in services.yaml."""
    if isinstance(tree, dict):
        select = tree.get("selector", {})
        if isinstance(select, dict) and isinstance(select.get("select"), dict):
            yield select["select"]
        for value in tree.values():
            yield from _selectors(value)


def test_selector_options_are_translated() -> None:
    """The options of each translated selector (services.yaml, the options flow) have texts."""
    strings = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
    selectors = list(_selectors(load_yaml_dict(str(PACKAGE / "services.yaml"))))
    selectors.append({"options": list(MESSAGE_TYPES), "translation_key": "message_type"})
    translated = [selector for selector in selectors if "translation_key" in selector]
    assert translated
    for selector in translated:
        options = strings["selector"][selector["translation_key"]]["options"]
        assert [str(option) for option in selector["options"]] == list(
            dict.fromkeys(str(option) for option in selector["options"])
        )
        assert set(map(str, selector["options"])) == set(options)
        assert all(key_problem(str(option)) is None for option in selector["options"])


def test_strings_and_english_agree() -> None:
    """strings.json and translations/en.json say the same."""
    strings = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((PACKAGE / "translations" / "en.json").read_text(encoding="utf-8"))
    assert strings == english
