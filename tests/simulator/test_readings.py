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
