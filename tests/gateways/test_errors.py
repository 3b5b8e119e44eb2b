"""outcome_cause: the cause of an outcome-unknown text, for a caller that says the rest itself."""

from __future__ import annotations

import pytest

from custom_components.sms_gateways.gateways import outcome_cause


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "The provider did not answer; the request may have been received (no answer in time)",
            "The provider did not answer (no answer in time)",
        ),
        (
            "Fault 402; the message may have been sent, so it is not sent again",
            "Fault 402",
        ),
        ("XML refused; the message may have been sent", "XML refused"),
        (
            (
                "Unexpected reply; the message may have been sent: check Mobyt order 42 before "
                "sending again"
            ),
            "Unexpected reply",
        ),
        (
            (
                "KO 9, yet Mobyt's history lists it: it may have been sent (Mobyt order 42); not "
                "sent again"
            ),
            "KO 9, yet Mobyt's history lists it (Mobyt order 42)",
        ),
        (
            (
                "123-SMS answered the send to +41 in a way that does not say whether it was sent "
                "(-2: the message may have been sent, so it is not sent again)"
            ),
            "123-SMS answered the send to +41 (-2)",
        ),
        # Only the check a message id would repeat goes; without one it is the only pointer.
        (
            "The provider did not answer (dropped); check Mobyt order 42 before sending again",
            "The provider did not answer (dropped); check Mobyt order 42 before sending again",
        ),
        ("The provider answered HTTP 500", "The provider answered HTTP 500"),
    ],
)
def test_outcome_cause_leaves_the_cause_alone(text: str, cause: str) -> None:
    assert outcome_cause(text) == cause
