"""Property-based tests: every SMSFactor reader, and gateways/xml.py, is total.

Any bytes give a model or a ``GatewayError``, never another exception. The inputs are seeded with
the doc's own examples and with what the simulator answers, then mutated (cut, flipped, spliced)
or generated from scratch. ``benchmarks/fuzz_smsfactor.py`` runs the same properties with at least
10,000 examples each; the suite runs a modest number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs
import xmlrpc.client

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.sms_gateways.gateways import (
    DeliveryReport,
    GatewayError,
    GatewayResponseError,
    InboundSms,
    OutgoingSms,
    SendOutcomeUnknownError,
    SendResult,
    SmsFactorGateway,
)
from custom_components.sms_gateways.gateways.smsfactor import SEND_ERRORS
from custom_components.sms_gateways.gateways.xml import loads_xmlrpc, parse_xml
from simulator.smsfactor import SmsFactorSim, answer
from simulator.state import SimInbound, SimState
from tests.gateways.fuzzing import FUZZ
from tests.gateways.smsfactor_doc import DOC_INBOX

GATEWAY = SmsFactorGateway(
    aiohttp.ClientSession.__new__(aiohttp.ClientSession),
    username="demo@example.com",
    password="demo-password",
)
PREPARED = GATEWAY.prepare(
    OutgoingSms(recipients=("+33612345678", "+33698765432"), message="Alarme", sender="Maison")
)
REFERENCES = {"+33612345678": "a1b2c3d4e5f60718", "+33698765432": "0f1e2d3c4b5a6978"}
MESSAGE_ID = "12345:a1b2c3d4e5f60718"


def _sim_body(status: int, message: str, *rows: str, **fields: str) -> bytes:
    from lxml import etree  # noqa: PLC0415

    body = answer(status, message, *(etree.fromstring(row) for row in rows), **fields).body
    assert isinstance(body, bytes)
    return body


# --- seeds: the doc's examples (sections 1.3, 2.3, 3.1) and the simulator's answers ----------

SEND_SEEDS = [
    # The doc's template, filled in.
    (
        b"<response><status>1</status><message>Message envoy\xc3\xa9</message>"
        b"<ticket>123456</ticket><credits>98</credits></response>"
    ),
    (
        b"<response>\n  <status></status>\n  <message></ message >\n  <ticket></ticket>\n"
        b"  <credits></credits>\n</response>"
    ),
    _sim_body(1, "Message envoyé", ticket="42", credits="98"),
    _sim_body(-1, "Le login et le mot de passe ne correspondent pas."),
    _sim_body(-2, "Erreur XML : <sender> manquant"),
    _sim_body(-3, "Le nombre de crédits n'est pas suffisant"),
    _sim_body(-4, "La date différée n'est pas correcte"),
    _sim_body(-5, "La liste des destinataires contient une erreur."),
    _sim_body(-5, "La liste des destinataires contient une erreur.", ticket="43", credits="97"),
    _sim_body(-8, "Votre campagne est en cours de modération"),
    _sim_body(-99, "Erreur inconnue"),
]
REPORT_SEEDS = [
    b'<response><status>1</status><message></message><gsm number="" gsmsmsid="" /></response>',
    _sim_body(1, "OK", '<gsm number="33612345678" gsmsmsid="a1b2c3d4e5f60718">DELIVERED</gsm>'),
    _sim_body(1, "OK", '<gsm number="33612345678" gsmsmsid="a1b2c3d4e5f60718" status="SENT"/>'),
    _sim_body(1, "OK", '<gsm number="33612345678" gsmsmsid="a1b2c3d4e5f60718"/>'),
    _sim_body(
        1,
        "OK",
        '<gsm number="33612345678" gsmsmsid="a1b2c3d4e5f60718"><status>NOT_SENT</status></gsm>',
        '<gsm number="33698765432" gsmsmsid="0f1e2d3c4b5a6978">NOT_DELIVERED</gsm>',
    ),
    _sim_body(1, "OK"),
    _sim_body(-1, "Le login et le mot de passe ne correspondent pas."),
    _sim_body(-2, "Erreur XML : ticket inconnu"),
    _sim_body(-99, "Erreur inconnue : ticket inconnu"),
]


def _sim_inbox(text: str) -> str:
    push = SmsFactorSim(SimState()).inbound_push(
        SimInbound(
            1,
            "smsfactor",
            "demo@example.com",
            "+33612345678",
            "+33644630001",
            text,
            datetime(2025, 1, 15, 8, 30, tzinfo=UTC),
        )
    )
    assert push is not None
    return parse_qs(push.body.decode())["XML"][0]


INBOX_SEEDS = [DOC_INBOX, _sim_inbox("Oui <ok> & merci"), _sim_inbox("a ]]> b"), "<inbox/>"]
XMLRPC_SEEDS = [
    xmlrpc.client.dumps((["+41791234567", 1, "abc"],), methodresponse=True).encode(),
    xmlrpc.client.dumps(xmlrpc.client.Fault(4, "Unknown message identifier")).encode(),
    xmlrpc.client.dumps(({"a": [1, 2.5, True, "x"]},), methodresponse=True).encode(),
    (
        b"<?xml version='1.0'?><methodResponse><params><param><value><int>5</int></value>"
        b"</param></params></methodResponse>"
    ),
]

# --- strategies ---------------------------------------------------------------------------

_XML_BITS = st.sampled_from(
    [
        "<",
        ">",
        "/>",
        "</",
        "&",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "<![CDATA[",
        "]]>",
        '"',
        "'",
        "=",
        "\\",
        "<!DOCTYPE x>",
        "<?xml version='1.0' encoding='utf-16'?>",
        "\x00",
        "\ufeff",
        "\ud800",
        "<status>",
        "</status>",
        "<gsm",
        "<sms",
        "<ticket>",
        "</ticket>",
        "<credits>",
        " status=",
        " number=",
        " gsmsmsid=",
        " date=",
        " from=",
        " to=",
        "²",
        "\u0661",
        "1_0",
        "1e999",
        "nan",
        "-5",
        "-1",
        "1",
        "0001-01-01 00:00:00",
        "9999-12-31 23:59:59",
        "2030-10-27 02:30:00",
        "DELIVERED",
        "a1b2c3d4e5f60718",
        "9" * 5000,
    ]
)


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed cut, with bytes flipped, inserted or removed, or a piece repeated."""
    body = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "repeat", "bits"]))
        at = draw(st.integers(0, len(body)))
        if kind == "flip" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del body[at : at + draw(st.integers(1, 8))]
        elif kind == "cut":
            del body[at:]
        elif kind == "repeat":
            body[at:at] = bytes(body[at : at + 40]) * draw(st.integers(2, 50))
        else:
            body[at:at] = draw(_XML_BITS).encode("utf-8", "surrogatepass")
    return bytes(body)


def _structured(root: str, children: list[str]) -> st.SearchStrategy[bytes]:
    """A document shaped like SMSFactor's, with any text (escaped or not) in any place."""
    text = st.one_of(st.text(max_size=40), _XML_BITS)
    child = st.tuples(st.sampled_from(children), text, text).map(
        lambda part: f'<{part[0]} status="{part[2]}">{part[1]}</{part[0]}>'
    )
    return st.lists(child, max_size=6).map(
        lambda parts: f"<{root}>{''.join(parts)}</{root}>".encode("utf-8", "surrogatepass")
    )


def bodies(seeds: list[bytes], root: str, children: list[str]) -> st.SearchStrategy[bytes]:
    """Seeds, mutated seeds, structured documents and plain bytes."""
    return st.one_of(
        st.sampled_from(seeds),
        _mutated(seeds),
        _structured(root, children),
        st.binary(max_size=300),
    )


SEND_BODIES = bodies(SEND_SEEDS, "response", ["status", "message", "ticket", "credits"])
REPORT_BODIES = bodies(REPORT_SEEDS, "response", ["status", "message", "gsm"])
INBOX_DOCUMENTS = bodies([seed.encode() for seed in INBOX_SEEDS], "inbox", ["sms"]).map(
    lambda body: body.decode("utf-8", "replace")
)
XMLRPC_BODIES = bodies(XMLRPC_SEEDS, "methodResponse", ["params", "param", "value", "fault"])

# --- the properties (each returns what it read, for the fuzz script) -------------------------


def _check_send_error(err: GatewayError) -> GatewayError:
    """Only a documented status refuses the message: what cannot be read is never "refused"."""
    if isinstance(err, SendOutcomeUnknownError):
        assert err.reference is None or ":" not in err.reference
    else:
        assert type(err) in {error for error, _ in SEND_ERRORS.values()}, err
        assert err.provider_code is not None
    return err


def check_send_reply(body: bytes) -> object:
    """A send answer is a result, a documented refusal, or an outcome unknown (never refused)."""
    try:
        result = GATEWAY.read_send_reply(body, PREPARED, REFERENCES)
    except GatewayError as err:
        return _check_send_error(err)
    assert isinstance(result, SendResult)
    assert all(message.accepted for message in result.messages)
    return result


def check_report_reply(body: bytes) -> object:
    try:
        report = GATEWAY.read_report_reply(body, MESSAGE_ID, "a1b2c3d4e5f60718")
    except GatewayError as err:
        return err
    assert isinstance(report, DeliveryReport)
    assert report.message_id == MESSAGE_ID
    assert len(report.provider_status) <= 64
    return report


def check_inbox(document: str) -> object:
    try:
        messages = GATEWAY.parse_inbound_push({"XML": document})
    except GatewayResponseError as err:
        return err
    for message in messages:
        assert isinstance(message, InboundSms)
        message.received_at.astimezone(UTC)
        assert message.received_at.isoformat()
    return messages


def check_parse_xml(body: bytes) -> object:
    """The bytes, and the same decoded as text (a pushed form field), each parse or fail."""
    outcome: object = None
    for data in (body, body.decode("utf-8", "surrogateescape")):
        try:
            outcome = parse_xml(data)
        except GatewayResponseError as err:
            outcome = err
    return outcome


def check_loads_xmlrpc(body: bytes) -> object:
    try:
        return loads_xmlrpc(body)
    except (GatewayResponseError, xmlrpc.client.Fault) as err:
        return err


PROPERTIES: dict[str, tuple[st.SearchStrategy[object], Callable[[object], object]]] = {
    "smsfactor send reply": (SEND_BODIES, check_send_reply),  # type: ignore[dict-item]
    "smsfactor getDr reply": (REPORT_BODIES, check_report_reply),  # type: ignore[dict-item]
    "smsfactor inbox push": (INBOX_DOCUMENTS, check_inbox),  # type: ignore[dict-item]
    "xml parse_xml": (SEND_BODIES | REPORT_BODIES | st.binary(max_size=500), check_parse_xml),  # type: ignore[dict-item]
    "xml loads_xmlrpc": (XMLRPC_BODIES, check_loads_xmlrpc),  # type: ignore[dict-item]
}
"""Every parser with its inputs and its property, for ``benchmarks/fuzz_smsfactor.py``."""


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_reader_is_total(name: str) -> None:
    """Any input gives a model or a ``GatewayError``, and the reader's property holds."""
    inputs, check = PROPERTIES[name]

    @FUZZ
    @given(inputs)
    def run(value: object) -> None:
        check(value)

    run()


def test_the_seeds_read_as_the_doc_says() -> None:
    """The unmutated seeds give what they mean (so the properties start from real answers)."""
    sent = GATEWAY.read_send_reply(SEND_SEEDS[2], PREPARED, REFERENCES)
    assert sent.batch_id == "42"
    assert sent.credits_remaining == 98
    report = GATEWAY.read_report_reply(REPORT_SEEDS[1], MESSAGE_ID, "a1b2c3d4e5f60718")
    assert report.provider_status == "DELIVERED"
    inbox = check_inbox(DOC_INBOX)
    assert isinstance(inbox, list)
    assert [m.message for m in inbox] == [
        "My message 1",
        "My message 2",
    ]
