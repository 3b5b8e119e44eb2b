"""What a release needs besides the code: licence, changelog, manifest, HACS and quality scale."""

from __future__ import annotations

from importlib.metadata import version as installed_version
import json
from pathlib import Path
import re

from awesomeversion import AwesomeVersion
import homeassistant
from homeassistant import const as ha_const
from homeassistant.util.yaml import load_yaml_dict
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "sms_gateways"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
RELEASE = re.compile(r"^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def test_licence() -> None:
    """An MIT licence at the root, where HACS and GitHub look for it."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_manifest_version_is_the_top_changelog_entry() -> None:
    """The manifest's version is the newest release of CHANGELOG.md, and releases go down."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = RELEASE.findall(changelog)
    assert releases, "no '## X.Y.Z - YYYY-MM-DD' entry"
    assert MANIFEST["version"] == releases[0][0]
    versions = [AwesomeVersion(version) for version, _ in releases]
    assert versions == sorted(versions, reverse=True)
    assert len(set(versions)) == len(versions)
    headings = re.findall(r"^## .*$", changelog, re.MULTILINE)
    # Only an "Unreleased" section may come before the newest release.
    assert headings[0] in (f"## {releases[0][0]} - {releases[0][1]}", "## Unreleased")


def _home_assistant_pins() -> dict[str, set[str]]:
    """The exact versions Home Assistant's core integrations and constraints pin, by package."""
    core = Path(homeassistant.__file__).parent
    lines = [
        line
        for manifest in sorted((core / "components").glob("*/manifest.json"))
        for line in json.loads(manifest.read_text(encoding="utf-8")).get("requirements", [])
    ]
    lines += (core / "package_constraints.txt").read_text(encoding="utf-8").splitlines()
    pins: dict[str, set[str]] = {}
    for line in lines:
        if not re.match(r"^[A-Za-z0-9][\w.\-\[\]]*==[\w.]+$", line.strip()):
            continue
        requirement = Requirement(line.strip())
        name = canonicalize_name(requirement.name)
        pins.setdefault(name, set()).update(spec.version for spec in requirement.specifier)
    return pins


def test_requirements_do_not_fight_other_integrations() -> None:
    """Ranges, not exact pins, that hold every version Home Assistant's integrations pin.

    Each range holds the version the tests run with and every version that this Home Assistant's
    own integrations pin (scrape pins lxml), and stops below the next major version.
    """
    pins = _home_assistant_pins()
    assert pins.get("lxml"), "Home Assistant's pins are read"
    for line in MANIFEST["requirements"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        operators = {spec.operator for spec in requirement.specifier}
        assert "==" not in operators, line
        assert {">=", "<"} <= operators, line
        assert requirement.specifier.contains(installed_version(name)), line
        for pinned in pins.get(name, ()):
            assert requirement.specifier.contains(pinned), f"{line} excludes {name}=={pinned}"


def test_hacs_manifest() -> None:
    """hacs.json names the integration and a Home Assistant version the tests run on."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["name"] == MANIFEST["name"]
    assert AwesomeVersion(ha_const.__version__) >= AwesomeVersion(hacs["homeassistant"])


def test_quality_scale_lines_are_explained() -> None:
    """Each rule is done, todo or exempt; whatever is not plainly done says why."""
    rules = load_yaml_dict(str(PACKAGE / "quality_scale.yaml"))["rules"]
    assert len(rules) >= 50
    for name, rule in rules.items():
        if rule == "done":
            continue
        assert isinstance(rule, dict), name
        assert rule["status"] in ("done", "todo", "exempt"), name
        if rule["status"] != "done":
            assert rule.get("comment"), name


def test_no_plain_config_entry() -> None:
    """strict-typing: every config entry is an SmsGatewaysConfigEntry, not a plain ConfigEntry."""
    plain = re.compile(r"(:|->)\s*ConfigEntry\b(?!\[)")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if plain.search(line)
    ]
    assert found == []
