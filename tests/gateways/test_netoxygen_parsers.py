"""Property-based tests: every NetOxygen reader is total (issue 9).

Whatever the reply holds (nesting, huge numbers, Unicode digits, dates out of range, wrong
types), a reader returns a model or raises the library's ``GatewayError``; one bad row of a
batch never hides the others. The default suite runs a modest number of examples per reader;
``benchmarks/fuzz_netoxygen.py`` runs 10,000 or more.
"""

from __future__ import annotations

import logging

from hypothesis import example, given
import pytest

from custom_components.sms_gateways.gateways.errors import SendOutcomeUnknownError
from custom_components.sms_gateways.gateways.models import DeliveryStatus
from custom_components.sms_gateways.gateways.netoxygen import (
    parse_reply,
    read_send_answer,
    read_status_rows,
)
from tests.gateways.fuzzing import FUZZ
from tests.gateways.netoxygen_fuzz import PARSERS, RECIPIENTS, deep_nesting


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_reader_is_total(name: str) -> None:
    parser = PARSERS[name]

    @FUZZ
    @given(parser.strategy)
    def run(value: object) -> None:
        parser.check(value)

    for seed in parser.seeds:
        run = example(seed)(run)
    run()


def test_deep_nesting_reaches_the_readers() -> None:
    """5,000 nested arrays (issue 9's nesting attack) are read, then refused as no rows."""
    answer = parse_reply("send_message", deep_nesting(5000))
    with pytest.raises(SendOutcomeUnknownError):
        read_send_answer(answer, RECIPIENTS)
    assert read_status_rows(answer) == []


def test_a_bad_row_is_skipped_with_its_id(caplog: pytest.LogCaptureFixture) -> None:
    """The doc's rows around hostile ones: the good rows come back, the bad ones are named."""
    skipped: list[str | None] = []
    reports = read_status_rows(
        [
            ["1", 1, 1],
            ["2"],
            "junk",
            [{"not": "an id"}, 1, 1],
            ["3", {"sent_status": "²", "last_date": "9999-12-31T23-10"}],
            ["4", {"sent_status": 1, "last_status": 1, "last_date": "0001-01-01T00:00:00+14:00"}],
        ],
        skipped=skipped,
    )
    assert [(r.message_id, r.status) for r in reports] == [
        ("1", DeliveryStatus.DELIVERED),
        ("3", DeliveryStatus.UNKNOWN),
        ("4", DeliveryStatus.DELIVERED),
    ]
    assert reports[2].updated_at is None
    assert skipped == ["2", None, None]
    assert not caplog.records or all(r.levelno < logging.ERROR for r in caplog.records)
