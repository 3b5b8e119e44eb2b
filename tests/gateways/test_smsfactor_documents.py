"""SMSFactor's documents, written as text, are the very text lxml wrote, refusals included.

The reference below is how the adapter built them before (``etree.SubElement``, then
``etree.tostring``): for any texts, numbers and send options the two give the same string, or
the same ``MessageRejectedError``; and the text parses back to the fields it was made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings, strategies as st
from lxml import etree
import pytest

from custom_components.sms_gateways.gateways import (
    GatewayResponseError,
    InvalidTextError,
    MessageRejectedError,
    OutgoingSms,
)
from custom_components.sms_gateways.gateways.base import PreparedSms
from custom_components.sms_gateways.gateways.encoding import analyze
from custom_components.sms_gateways.gateways.numbers import e164_digits
from custom_components.sms_gateways.gateways.smsfactor import (
    _DELAY_FORMAT,
    _NOT_XML,
    SmsFactorGateway,
    _answer,
    _children,
    _fast_answer,
    _response,
)
from custom_components.sms_gateways.gateways.transport import form_body
from custom_components.sms_gateways.gateways.xml import check_xml, child_text

# Characters lxml refuses, escapes, or keeps that a careless writer might not.
TRICKY = (
    "&<>\"'\r\n\t\x00\x01\x08\x0b\x0c\x1f\x7f\x85\ud800\udfff\ufffe\uffff\ufffdé€\U0001f600 a]]>"
)
TEXTS = st.one_of(st.text(max_size=20), st.text(alphabet=TRICKY, max_size=12))


def _add(parent: etree._Element, tag: str, text: str, **attributes: str) -> None:
    try:
        element = etree.SubElement(parent, tag, attributes)
        element.text = text
    except ValueError as err:
        raise MessageRejectedError(f"The {tag} has characters SMSFactor cannot receive") from err


def _authenticated(gateway: SmsFactorGateway, tag: str) -> etree._Element:
    root = etree.Element(tag)
    login = etree.SubElement(root, "authentication")
    _add(login, "username", gateway._username)
    _add(login, "password", gateway._password)
    return root


def lxml_send_document(
    gateway: SmsFactorGateway, prepared: PreparedSms, references: Mapping[str, str]
) -> str:
    """The send document as the adapter built it with lxml."""
    sms = prepared.sms
    root = _authenticated(gateway, "sms")
    message = etree.SubElement(root, "message")
    _add(message, "sender", prepared.sender or "")
    _add(message, "text", sms.message)
    _add(message, "isFlash", "1" if sms.flash else "0")
    _add(message, "type", "bookmark" if sms.bookmark_url else "longSMS")
    if sms.bookmark_url:
        _add(message, "bookmark", sms.bookmark_url)
    if sms.send_at is not None:
        _add(message, "delay", gateway.local_time(sms.send_at).strftime(_DELAY_FORMAT))
    recipients = etree.SubElement(root, "recipients")
    for recipient, reference in references.items():
        _add(recipients, "gsm", e164_digits(recipient), gsmsmsid=reference)
    return etree.tostring(root, encoding="unicode")


def lxml_report_document(gateway: SmsFactorGateway, ticket: str, reference: str) -> str:
    """The delivery report document as the adapter built it with lxml."""
    root = _authenticated(gateway, "deliveryreport")
    message = etree.SubElement(root, "message")
    _add(message, "ticket", ticket, gsmsmsid=reference)
    return etree.tostring(root, encoding="unicode")


# The tag of the document that holds each field the user typed.
_FIELD_TAGS = {"message": "text", "sender": "sender", "bookmark_url": "bookmark"}


def _outcome(write: object, *args: object) -> str | tuple[type[Exception], str]:
    """The text written, or the refusal and the tag of the field refused."""
    try:
        return write(*args)  # type: ignore[operator,no-any-return]
    except InvalidTextError as err:
        return (MessageRejectedError, _FIELD_TAGS[err.field])
    except MessageRejectedError as err:
        return (MessageRejectedError, str(err).split()[1])


def _gateway(username: str, password: str) -> SmsFactorGateway:
    return SmsFactorGateway(None, username=username, password=password)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(
    username=TEXTS,
    password=TEXTS,
    sender=st.one_of(st.none(), TEXTS),
    message=TEXTS,
    flash=st.booleans(),
    bookmark=st.one_of(st.none(), TEXTS),
    delay=st.one_of(st.none(), st.integers(1, 10**6)),
    recipients=st.lists(
        st.tuples(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True), TEXTS),
        min_size=1,
        max_size=3,
        unique_by=lambda pair: pair[0],
    ),
)
@example(
    username="a&b",
    password="<\r>",
    sender="Home",
    message="x\x0cy",
    flash=False,
    bookmark=None,
    delay=None,
    recipients=[("+33612345678", 'r"\n\t')],
)
def test_send_document_is_lxml_s(
    *,
    username: str,
    password: str,
    sender: str | None,
    message: str,
    flash: bool,
    bookmark: str | None,
    delay: int | None,
    recipients: list[tuple[str, str]],
) -> None:
    """Any texts and numbers: the same document as lxml's, or the same refusal."""
    gateway = _gateway(username, password)
    send_at = datetime.now(UTC) + timedelta(seconds=delay) if delay else None
    sms = OutgoingSms(
        recipients=tuple(number for number, _ in recipients),
        message=message,
        sender=sender,
        flash=flash,
        bookmark_url=bookmark or None,
        send_at=send_at,
    )
    prepared = PreparedSms(sms, sms.recipients, analyze(message or " "), sender)
    references = dict(recipients)
    expected = _outcome(lxml_send_document, gateway, prepared, references)
    # The form posted, quoted piece by piece, is lxml's document's form quoted whole.
    form = _outcome(gateway._send_form, prepared, references)
    assert form == (form_body({"XML": expected}) if isinstance(expected, str) else expected)
    if isinstance(expected, str):
        root = etree.fromstring(expected)
        assert root.findtext("message/text") == message
        assert [gsm.get("gsmsmsid") for gsm in root.iter("gsm")] == list(references.values())


@settings(max_examples=200)
@given(TEXTS, TEXTS, TEXTS, TEXTS)
def test_report_document_is_lxml_s(username: str, password: str, ticket: str, ref: str) -> None:
    """Any ticket and reference: the same document as lxml's, or the same refusal."""
    gateway = _gateway(username, password)
    ours = _outcome(gateway._report_document, ticket, ref)
    assert ours == _outcome(lxml_report_document, gateway, ticket, ref)


def test_refused_exactly_what_lxml_refuses() -> None:
    """Each code point where XML's rules change (and a sample of the others): refused alike."""
    element = etree.Element("t")
    codes = [
        *range(0x3000),
        *range(0xD700, 0xE100),
        *range(0xFFF0, 0x10100),
        *range(0x3000, 0x110000, 97),
        0x10FFFF,
    ]
    for code in codes:
        try:
            element.text = f"a{chr(code)}"
        except ValueError:
            lxml_refuses = True
        else:
            lxml_refuses = False
        assert bool(_NOT_XML.search(chr(code))) is lxml_refuses, hex(code)


def test_refusal_names_the_first_field() -> None:
    """The error names the first field lxml would have refused."""
    gateway = _gateway("demo\x00", "pass")
    with pytest.raises(MessageRejectedError, match="username"):
        gateway._report_document("1", "\x01")


_TAGS = st.sampled_from(["status", "message", "ticket", "credits", "cost", "Status", "a"])
_ANSWER_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=TRICKY, max_size=8),
    st.sampled_from(["1", "-1", "27", "1e+09", "Message envoyé", " 1 ", "\n", "\t"]),
)


@st.composite
def answers(draw: st.DrawFn) -> bytes:
    """An answer as SMSFactor (or the simulator) writes it, then mutated byte by byte."""
    fields = draw(st.lists(st.tuples(_TAGS, _ANSWER_TEXT), max_size=5))
    declaration = draw(
        st.sampled_from(
            [
                "<?xml version='1.0' encoding='UTF-8'?>\n",
                '<?xml version="1.0" encoding="UTF-8"?>',
                "<?xml version='1.0' encoding='utf-8'?>\n",
                "<?xml version='1.0'?>\n",
                "",
            ]
        )
    )
    inner = "".join(f"<{tag}>{text}</{tag}>" for tag, text in fields)
    data = f"{declaration}<response>{inner}</response>\n".encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(data)))
        piece = draw(
            st.sampled_from(
                [
                    b"<",
                    b"&amp;",
                    b"<!--x-->",
                    b"<![CDATA[x]]>",
                    b"\xff",
                    b"\xc3",
                    b"\r",
                    b" ",
                    b"<x/>",
                    b"\x00",
                    b"<!DOCTYPE x>",
                    b"<!ENTITY x 'y'>",
                ]
            )
        )
        data = data[:position] + piece + data[position + draw(st.integers(0, 2)) :]
    return data


def _lxml_answer(body: bytes) -> object:
    try:
        check_xml(body)
        return _children(_response(body))
    except GatewayResponseError as err:
        return type(err)


@settings(max_examples=400)
@given(answers())
@example(b"<?xml version='1.0' encoding='UTF-8'?>\n<response><status>1</status></response>")
@example(b"<?xml version='1.0' encoding='UTF-8'?><response><message> </message></response>")
def test_answer_read_as_lxml_reads_it(body: bytes) -> None:
    """Any bytes: the fast reader declines or gives lxml's children, and ``_answer`` agrees."""
    fast = _fast_answer(body)
    expected = _lxml_answer(body)
    if fast is not None:
        assert fast == expected
    try:
        answer: object = _answer(body)
    except GatewayResponseError as err:
        answer = type(err)
    assert answer == expected


@settings(max_examples=200)
@given(answers())
def test_children_are_child_text(body: bytes) -> None:
    """``_children`` answers, for every tag, what ``child_text`` answers."""
    try:
        root = _response(body)
    except GatewayResponseError:
        return
    fields = _children(root)
    for tag in ["status", "message", "ticket", "credits", "cost", "Status", "a", "x"]:
        assert fields.get(tag) == child_text(root, tag)


def test_a_plain_answer_is_bounded_too() -> None:
    """The fast reader reads nothing larger than the bound: the size check comes first."""
    text = "x" * (256 * 1024)
    body = f"<?xml version='1.0' encoding='UTF-8'?><response><message>{text}</message></response>"
    assert _fast_answer(body.encode()) is not None
    with pytest.raises(GatewayResponseError, match="larger than"):
        _answer(body.encode())


def test_simulator_answer_is_read_fast() -> None:
    """The simulator's send answer takes the fast path."""
    body = (
        b"<?xml version='1.0' encoding='UTF-8'?>\n<response><status>1</status><message>"
        b"Message envoy\xc3\xa9</message><ticket>27</ticket><credits>1e+09</credits></response>"
    )
    assert _fast_answer(body) == {
        "status": "1",
        "message": "Message envoyé",
        "ticket": "27",
        "credits": "1e+09",
    }
