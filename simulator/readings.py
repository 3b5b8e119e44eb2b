"""Readings: the answers a provider's doc leaves open, each of which the simulator can play.

Where a doc allows more than one reading (``shared/providers/READINGS.md``), the provider module
declares a :class:`Reading` with its choices, the first being what the simulator plays unless told
otherwise. ``python -m simulator --variant netoxygen.send_status=code`` (repeatable) or
``POST /_control/readings {"netoxygen.send_status": "code"}`` picks another one; tests run the
adapter under each and check that it stays safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


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
        reading = self.declared.get(name)
        if reading is None:
            raise ValueError(f"unknown reading {name!r}; known: {', '.join(sorted(self.declared))}")
        if value not in reading.choices:
            raise ValueError(f"{name} is one of {', '.join(reading.choices)}, not {value!r}")
        self.chosen[name] = value
        if base:
            self.base[name] = value

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
            }
            for name, reading in sorted(self.declared.items())
        }

    def help_text(self) -> str:
        """The readings as ``--help`` lists them."""
        if not self.declared:
            return "Readings: none declared."
        lines = ["Readings (--variant NAME=CHOICE; the first choice is the default):"]
        for name, reading in sorted(self.declared.items()):
            lines.append(f"  {name} = {' | '.join(reading.choices)}")
            lines.append(f"      {reading.description}")
        return "\n".join(lines)
