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

from custom_components.sms_gateways.gateways import MessageRejectedError, OutgoingSms
from custom_components.sms_gateways.gateways.base import PreparedSms
from custom_components.sms_gateways.gateways.encoding import analyze
from custom_components.sms_gateways.gateways.numbers import e164_digits
from custom_components.sms_gateways.gateways.smsfactor import (
    _DELAY_FORMAT,
    _NOT_XML,
    SmsFactorGateway,
)

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


def _outcome(write: object, *args: object) -> str | tuple[type[Exception], str]:
    try:
        return write(*args)  # type: ignore[operator,no-any-return]
    except MessageRejectedError as err:
        return (MessageRejectedError, str(err))


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
    ours = _outcome(gateway._send_document, prepared, references)
    assert ours == _outcome(lxml_send_document, gateway, prepared, references)
    if isinstance(ours, str):
        root = etree.fromstring(ours)
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
