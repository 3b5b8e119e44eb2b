"""The SMSFactor adapter under the readings of R27, R29, R30 and R34, against the simulator.

Whichever reading the real server plays, the adapter stays safe: nothing is sent twice, nothing
refused that may have gone, no status left pending for want of a reference or a capital letter.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways import (
    AuthenticationError,
    DeliveryStatus,
    InvalidSenderError,
    MessageRejectedError,
    MessageTooLongError,
    OutgoingSms,
    SmsFactorGateway,
)
from custom_components.sms_gateways.gateways.smsfactor import DELIVERY_STATUSES, _form
from simulator.smsfactor import READINGS
from tests.conftest import RunningSimulator
from tests.gateways.calls import refused_before_sending

SEND = "/smsfactor/API/apiV2.php"
REPORT = "/smsfactor/API/getDr.php"
DEMO = ("demo@example.com", "demo-password")


def make_gateway(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    password: str = DEMO[1],
    **readings: str,
) -> SmsFactorGateway:
    """The demo account's adapter (with ``password``), the simulator playing ``readings``."""
    simulator.play(**readings)
    return simulator.gateway(SmsFactorGateway, session, password=password)


def sms(*recipients: str, **options: Any) -> OutgoingSms:
    options.setdefault("message", "Alarme maison")
    options.setdefault("sender", "Maison")
    return OutgoingSms(recipients=recipients, **options)


def test_the_new_readings_are_declared() -> None:
    numbers = {reading.point: reading.description.split(":")[0] for reading in READINGS}
    assert numbers["text_limit"] == "R29"
    assert numbers["body"] == "R30"
    assert numbers["getdr_case"] == numbers["getdr_reference"] == "R34"


# --- R29: "Limite : 1120 caractères" -------------------------------------------------------------


@pytest.mark.parametrize("reading", ["characters", "septets"])
async def test_the_limit_counts_characters_and_a_septet_server_refuses_the_rest(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    """1,120 characters pass the local check even with € (two septets each); over, refused."""
    gateway = make_gateway(simulator, session, smsfactor__text_limit=reading)
    text = "€" * 600 + "a" * 520  # 1,120 characters, 1,720 septets

    with pytest.raises(MessageTooLongError):
        await gateway.send(sms("0612345678", message=text + "b"))
    assert simulator.requests(SEND) == []

    if reading == "characters":
        result = await gateway.send(sms("0612345678", message=text))
        assert result.messages[0].accepted
    else:
        # The server counts septets: it refuses the whole send, nothing left, nothing repeated
        # beyond the one raw-body try that -2 allows (R30).
        with pytest.raises(MessageRejectedError):
            await gateway.send(sms("0612345678", message=text))
        assert simulator.sim.state.messages == {}
    assert len(simulator.requests(SEND)) <= 2


def test_preview_and_prepare_count_as_the_doc_counts() -> None:
    gateway = SmsFactorGateway(None, username="u", password="p")  # type: ignore[arg-type]
    prepared = gateway.prepare(sms("0612345678", message="{" * 1120))
    assert prepared.info.characters == 1120
    assert gateway.measure(prepared.info) == 1120


# --- R30: the XML= field, or the raw body --------------------------------------------------------


@pytest.mark.parametrize("reading", ["either", "form", "raw"])
async def test_every_call_works_whichever_body_the_server_reads(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, smsfactor__body=reading)

    await gateway.validate_credentials()
    result = await gateway.send(sms("0612345678", "0698765432"))
    assert all(message.accepted for message in result.messages)
    assert len(simulator.sim.state.messages) == 2  # each recipient once
    reports = await gateway.get_delivery_status([m.message_id or "" for m in result.messages])
    assert {report.status for report in reports} == {DeliveryStatus.QUEUED}

    sends = simulator.requests(SEND)
    # Learned once: later sends go straight in the form the server reads.
    result = await gateway.send(sms("0611111111"))
    assert result.messages[0].accepted
    assert len(simulator.requests(SEND)) == len(sends) + 1


@pytest.mark.parametrize("reading", ["form", "raw"])
async def test_a_wrong_password_is_refused_whichever_body_the_server_reads(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    gateway = make_gateway(simulator, session, password="wrong", smsfactor__body=reading)
    with pytest.raises(AuthenticationError):
        await gateway.validate_credentials()


@pytest.mark.parametrize("reading", ["form", "raw"])
async def test_a_send_refused_minus_2_is_tried_raw_once_and_never_sent_twice(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str
) -> None:
    """-2 in the first form: the other form once; an accepted send is never posted again."""
    gateway = make_gateway(simulator, session, smsfactor__body=reading)
    result = await gateway.send(sms("0612345678"))
    assert result.messages[0].accepted
    assert len(simulator.sim.state.messages) == 1
    assert len(simulator.requests(SEND)) == (1 if reading == "form" else 2)


def test_the_raw_document_is_the_document_the_form_carries() -> None:
    """The raw body and the XML= field carry the same document (proven on the bytes)."""
    gateway = SmsFactorGateway(None, username="u&<x>", password='p"w')  # type: ignore[arg-type]
    prepared = gateway.prepare(sms("0612345678", "0698765432", message="a < b & ç €"))
    references = {recipient: f"r{index}" for index, recipient in enumerate(prepared.recipients)}
    document = gateway._send_document(prepared, references)
    assert _form(document) == gateway._send_form(prepared, references)


# --- R34: the case of the status words, and rows without a reference ------------------------------


@pytest.mark.parametrize("case", ["upper", "lower", "capitalized"])
@pytest.mark.parametrize("reference", ["echoed", "missing"])
@pytest.mark.parametrize("rows", ["reference", "ticket"])
async def test_reports_are_read_in_any_case_with_or_without_the_reference(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    case: str,
    reference: str,
    rows: str,
) -> None:
    gateway = make_gateway(
        simulator,
        session,
        smsfactor__getdr_case=case,
        smsfactor__getdr_reference=reference,
        smsfactor__getdr_rows=rows,
    )
    result = await gateway.send(sms("0612345678", "0612340000", "0698765432"))
    ids = [message.message_id or "" for message in result.messages]
    for _ in range(3):
        for message in simulator.sim.state.messages.values():
            message.status = {"queued": "sent", "sent": "delivered"}.get(
                message.status, message.status
            )
    simulator.sim.state.messages[
        next(k for k, m in simulator.sim.state.messages.items() if m.recipient == "33612340000")
    ].status = "failed"

    reports = {report.message_id: report for report in await gateway.get_delivery_status(ids)}

    assert [reports[i].status for i in ids] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
    ]


async def test_a_lone_row_without_a_reference_is_the_one_asked_for(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """One recipient, no number kept (a restart): the only row of the answer is its row."""
    gateway = make_gateway(simulator, session, smsfactor__getdr_reference="missing")
    result = await gateway.send(sms("0612345678"))
    gateway.message_store.clear()
    (report,) = await gateway.get_delivery_status([result.messages[0].message_id or ""])
    assert report.status is DeliveryStatus.QUEUED


async def test_rows_without_reference_nor_known_number_stay_unknown(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """Several rows, none naming the reference, the number forgotten: no guess is made."""
    gateway = make_gateway(
        simulator, session, smsfactor__getdr_reference="missing", smsfactor__getdr_rows="ticket"
    )
    result = await gateway.send(sms("0612345678", "0698765432"))
    gateway.message_store.clear()
    reports = await gateway.get_delivery_status([m.message_id or "" for m in result.messages])
    assert {report.status for report in reports} == {DeliveryStatus.UNKNOWN}


# --- R27: "Limite : 11 caractères alphanumériques" -----------------------------------------------


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("TwelveChars1", InvalidSenderError.TOO_LONG),
        ("My Home", InvalidSenderError.NOT_ALPHANUMERIC),
        ("Café", InvalidSenderError.NOT_ALPHANUMERIC),
        ("+336123456789", InvalidSenderError.TOO_LONG),
    ],
)
async def test_senders_the_doc_does_not_allow_are_refused_before_sending(
    simulator: RunningSimulator, session: aiohttp.ClientSession, sender: str, reason: str
) -> None:
    gateway = make_gateway(simulator, session)
    refused = gateway.send(sms("0612345678", sender=sender))
    assert (await refused_before_sending(simulator, InvalidSenderError, refused)).reason == reason


@pytest.mark.parametrize("sender", ["Nom2Societe", "33612345678", "+33612345678"])
async def test_senders_the_doc_allows_are_taken(
    simulator: RunningSimulator, session: aiohttp.ClientSession, sender: str
) -> None:
    gateway = make_gateway(simulator, session)
    result = await gateway.send(sms("0612345678", sender=sender))
    assert result.messages[0].accepted
    (message,) = simulator.sim.state.messages.values()
    assert message.sender == sender.removeprefix("+")


# --- R34, property: any case, and the row chosen only where it surely is the recipient's ---------

_GATEWAY = SmsFactorGateway(None, username="u", password="p")  # type: ignore[arg-type]


@given(
    st.sampled_from(sorted(DELIVERY_STATUSES)),
    st.sampled_from([str.lower, str.upper, str.capitalize, str.swapcase, str.title]),
)
def test_status_words_are_read_in_any_case(word: str, case: Any) -> None:
    body = (
        "<response><status>1</status><message/>"
        f'<gsm number="33612345678" gsmsmsid="r">{case(word)}</gsm></response>'
    ).encode()
    report = _GATEWAY.read_report_reply(body, "t:r", "r")
    assert report.status is DELIVERY_STATUSES[word]


_ROWS = st.lists(
    st.tuples(st.sampled_from([None, "r", "x", ""]), st.sampled_from(["33612345678", "336999"])),
    max_size=4,
)


@given(_ROWS, st.sampled_from([None, "33612345678"]))
def test_the_row_chosen_is_surely_the_recipients(
    rows: list[tuple[str | None, str]], number: str | None
) -> None:
    """Its reference; else a row naming none that is alone, or alone to have its number."""
    parts = []
    for index, (reference, digits) in enumerate(rows):
        attribute = "" if reference is None else f' gsmsmsid="{reference}"'
        parts.append(f'<gsm number="{digits}"{attribute}>w{index}</gsm>')
    body = f"<response><status>1</status><message/>{''.join(parts)}</response>".encode()

    report = _GATEWAY.read_report_reply(body, "t:r", "r", number)

    named = [index for index, (reference, _) in enumerate(rows) if reference == "r"]
    unnamed = [index for index, (reference, _) in enumerate(rows) if not reference]
    by_number = [index for index in unnamed if number and rows[index][1] == number]
    if named:
        expected = f"w{named[0]}"
    elif len(by_number) == 1:
        expected = f"w{by_number[0]}"
    elif len(rows) == 1 and unnamed:
        expected = f"w{unnamed[0]}"
    else:
        expected = ""
    assert report.provider_status == expected
