"""Readings: the answers a provider's doc leaves open, each of which the simulator can play.

Where a doc allows more than one reading (``shared/providers/READINGS.md``), the provider module
declares a :class:`Reading` with its choices, the first being what the simulator plays unless told
otherwise. ``python -m simulator --variant netoxygen.send_status=code`` (repeatable) or
``POST /_control/readings {"netoxygen.send_status": "code"}`` picks another one; tests run the
adapter under each and check that it stays safe. A point is also named by its number in
READINGS.md (``--variant R29=septets``) where that number names one point only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import re

_NUMBER = re.compile(r"^(R[0-9]+):")


@dataclass(frozen=True, slots=True)
class Reading:
    """One point a doc leaves open, and the answers the simulator can give there."""

    point: str
    """The name after the provider key: ``send_status`` in ``netoxygen.send_status``."""
    choices: tuple[str, ...]
    """The readings the simulator can play; the first is its default."""
    description: str
    """What the doc leaves open, and what each choice plays (shown by ``--help``)."""

    @property
    def default(self) -> str:
        """The reading played unless another is chosen."""
        return self.choices[0]

    @property
    def number(self) -> str | None:
        """Its number in READINGS.md (``R29``), which starts its description."""
        match = _NUMBER.match(self.description)
        return match.group(1) if match else None


def _order(item: tuple[str, Reading]) -> tuple[int, str]:
    """By number (unnumbered last), then by name."""
    name, reading = item
    number = reading.number
    return (int(number[1:]) if number else 1_000_000, name)


class Readings:
    """The readings every provider declares, and the one chosen at each point."""

    def __init__(self, declared: Mapping[str, Iterable[Reading]]) -> None:
        """Index the readings of each provider key by their full name (``provider.point``)."""
        self.declared: dict[str, Reading] = {
            f"{provider}.{reading.point}": reading
            for provider, readings in declared.items()
            for reading in readings
        }
        self.base: dict[str, str] = {}
        """Chosen on the command line: kept across a reset."""
        self.chosen: dict[str, str] = {}

    def choose(self, name: str, value: str, *, base: bool = False) -> None:
        """Play ``value`` at ``name`` from now on.

        Raises:
            ValueError: no such point, or no such reading there.
        """
        name = self.resolve(name)
        reading = self.declared.get(name)
        if reading is None:
            raise ValueError(f"unknown reading {name!r}; known: {', '.join(sorted(self.declared))}")
        if value not in reading.choices:
            raise ValueError(f"{name} is one of {', '.join(reading.choices)}, not {value!r}")
        self.chosen[name] = value
        if base:
            self.base[name] = value

    def resolve(self, name: str) -> str:
        """The full name (``provider.point``) of ``name``, which may be a number (``R29``).

        Raises:
            ValueError: a number that names several points, or none.
        """
        if not _NUMBER.match(f"{name}:"):
            return name
        named = sorted(full for full, reading in self.declared.items() if reading.number == name)
        if len(named) == 1:
            return named[0]
        if not named:
            raise ValueError(f"no reading is numbered {name}")
        raise ValueError(f"{name} names several points: {', '.join(named)}; name one of them")

    def get(self, name: str) -> str:
        """The reading played at ``name`` (its default unless another was chosen)."""
        return self.chosen.get(name) or self.declared[name].default

    def reset(self) -> None:
        """Back to the defaults, except what the command line chose."""
        self.chosen = dict(self.base)

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Every point with its choices and the one played (for the control API)."""
        return {
            name: {
                "choices": list(reading.choices),
                "current": self.get(name),
                "description": reading.description,
                "number": reading.number,
            }
            for name, reading in sorted(self.declared.items())
        }

    def help_text(self) -> str:
        """The readings as ``--help`` lists them."""
        if not self.declared:
            return "Readings: none declared."
        lines = [
            (
                "Readings (--variant NAME=CHOICE, NAME a point or, where it names one point, "
                "its number; the first choice is the default), by their number in READINGS.md:"
            )
        ]
        for name, reading in sorted(self.declared.items(), key=_order):
            number = f"{reading.number} " if reading.number else ""
            lines.append(f"  {number}{name} = {' | '.join(reading.choices)}")
            lines.append(f"      {reading.description}")
        return "\n".join(lines)
