"""The readings machinery: choosing, resetting, the control API and ``--help``."""

from __future__ import annotations

import aiohttp
import pytest

from simulator.__main__ import main
from simulator.readings import Reading, Readings
from tests.conftest import RunningSimulator

POINT = Reading("answer", ("doc", "other"), "what the doc leaves open")


def test_choose_get_reset() -> None:
    readings = Readings({"demo": [POINT]})
    assert readings.get("demo.answer") == "doc"
    readings.choose("demo.answer", "other", base=True)
    readings.choose("demo.answer", "doc")
    readings.reset()
    assert readings.get("demo.answer") == "other"
    with pytest.raises(ValueError, match="unknown reading"):
        readings.choose("demo.nothing", "doc")
    with pytest.raises(ValueError, match="one of doc, other"):
        readings.choose("demo.answer", "third")
    assert readings.as_dict()["demo.answer"]["current"] == "other"
    assert "demo.answer = doc | other" in readings.help_text()
    assert Readings({}).help_text() == "Readings: none declared."


async def test_control_api_refuses_unknown(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    url = f"{simulator.base_url}/_control/readings"
    async with session.post(url, json={"nobody.nothing": "x"}) as response:
        assert response.status == 400
    async with session.post(url, json=["not", "a", "mapping"]) as response:
        assert response.status == 400
    async with session.get(url) as response:
        assert response.status == 200
        assert isinstance(await response.json(), dict)


def test_command_line_refuses_unknown_variant(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--variant", "nobody.nothing=x"])
    assert "unknown reading" in capsys.readouterr().err


def test_a_number_names_its_one_point() -> None:
    """``--variant R29=...`` picks the one point numbered R29; a shared number names none."""
    one = Reading("limit", ("a", "b"), "R29: one point")
    first = Reading("x", ("a", "b"), "R34: first of two")
    second = Reading("y", ("a", "b"), "R34: second of two")
    readings = Readings({"demo": [POINT, one, first, second]})
    readings.choose("R29", "b")
    assert readings.get("demo.limit") == "b"
    with pytest.raises(ValueError, match=r"several points: demo\.x, demo\.y"):
        readings.choose("R34", "b")
    with pytest.raises(ValueError, match="no reading is numbered R99"):
        readings.choose("R99", "b")
    assert readings.as_dict()["demo.limit"]["number"] == "R29"
    text = readings.help_text()
    assert (
        text.index("R29 demo.limit = a | b")
        < text.index("R34 demo.x")
        < text.index("demo.answer = doc | other")
    )


def test_help_lists_every_reading_under_its_number(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m simulator --help`` lists R1 to R34 (Mobyt's R23 and R25 come with h3)."""
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for number in (*range(1, 23), 24, 26, 27, 29, 30, 31, 32, 33, 34):
        assert f"  R{number} " in listed, f"R{number} is not listed"
