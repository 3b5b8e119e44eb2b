"""Hostile XML is refused before it is parsed."""

from __future__ import annotations

from xml.sax.saxutils import escape
import xmlrpc.client

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways.errors import GatewayResponseError
from custom_components.sms_gateways.gateways.xml import (
    child_text,
    excerpt,
    loads_xmlrpc,
    parse_xml,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<response><status>&lol2;</status></response>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><response>&xxe;</response>"""


def test_parse_xml() -> None:
    """A plain document parses, CDATA included."""
    root = parse_xml("<inbox><sms from='1'><![CDATA[a <b> & c]]></sms></inbox>")
    assert root[0].text == "a <b> & c"


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_and_doctype_refused(document: bytes) -> None:
    """Billion laughs and external entities never reach the parser."""
    with pytest.raises(GatewayResponseError, match="DOCTYPE or ENTITY"):
        parse_xml(document)
    with pytest.raises(GatewayResponseError, match="DOCTYPE or ENTITY"):
        loads_xmlrpc(document)


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS.decode().encode("utf-16"),
        BILLION_LAUGHS.decode().encode("utf-16-le"),
        BILLION_LAUGHS.decode().encode("utf-32"),
        b'<?xml version="1.0" encoding="UTF-7"?><a>+ADw-</a>',
    ],
)
def test_other_encodings_refused(document: bytes) -> None:
    """A DOCTYPE hidden in UTF-16/32 (or UTF-7) cannot slip past the byte check."""
    with pytest.raises(GatewayResponseError, match="not in UTF-8"):
        parse_xml(document)
    with pytest.raises(GatewayResponseError, match="not in UTF-8"):
        loads_xmlrpc(document)


def test_utf8_and_latin1_declarations_pass() -> None:
    """The encodings providers use are read."""
    assert parse_xml('<?xml version="1.0" encoding="UTF-8"?><a>é</a>'.encode()).text == "é"
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert parse_xml(latin).text == "é"
    assert parse_xml(b"\xef\xbb\xbf<a>x</a>").text == "x"


def test_text_with_a_declared_encoding() -> None:
    """Text already decoded (a form field) is read as it is, whatever it declares."""
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><sms>fenêtre ouverte</sms>'
    assert parse_xml(text).text == "fenêtre ouverte"


def test_size_bound() -> None:
    """An oversized document is refused before parsing."""
    with pytest.raises(GatewayResponseError, match="larger than"):
        parse_xml(b"<a>" + b"x" * 100 + b"</a>", max_bytes=50)


@pytest.mark.parametrize("document", [b"not xml", b"<a><b></a>", b""])
def test_malformed(document: bytes) -> None:
    """Malformed XML is a bad-response error quoting an excerpt, never a crash."""
    with pytest.raises(GatewayResponseError):
        parse_xml(document)
    with pytest.raises(GatewayResponseError):
        loads_xmlrpc(document)


def test_xmlrpc_reply_and_fault() -> None:
    """A reply decodes; a fault is raised as a fault for the adapter to map."""
    reply = xmlrpc.client.dumps(([["41791234567", True, "42"]],), methodresponse=True)
    assert loads_xmlrpc(reply.encode()) == ([["41791234567", True, "42"]],)
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(3, "Bad login"), methodresponse=True)
    with pytest.raises(xmlrpc.client.Fault):
        loads_xmlrpc(fault.encode())


def test_excerpt_is_short() -> None:
    """Error messages quote a short, one-line start of a reply."""
    assert excerpt(b"a\n b") == "a b"
    assert excerpt("x" * 200, limit=10) == "xxxxxxxxxx..."


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("<inbox>\udc80</inbox>", id="lone-surrogate"),  # a form field decoded loosely
        pytest.param("<inbox>" + "x" * 300_000 + "</inbox>", id="text-over-the-bound"),
    ],
)
def test_text_that_cannot_be_parsed_is_a_bad_response(document: str) -> None:
    """Text (a pushed form field) that is not valid or too long is refused, never a crash."""
    with pytest.raises(GatewayResponseError):
        parse_xml(document)


_TAGS = st.sampled_from(["a", "b", "status"])
_CHILD = st.one_of(
    st.tuples(_TAGS, st.text(alphabet="xy& <", max_size=3)).map(
        lambda pair: f"<{pair[0]}>{escape(pair[1])}</{pair[0]}>"
    ),
    _TAGS.map(lambda tag: f"<{tag}/>"),
    _TAGS.map(lambda tag: f"<{tag}>t<a>inner</a>u</{tag}>"),
    st.just("<!-- status -->"),
    st.just("<?status x?>"),
)


@settings(max_examples=200)
@given(children=st.lists(_CHILD, max_size=6), tag=_TAGS)
def test_child_text_is_findtext(children: list[str], tag: str) -> None:
    """``child_text`` answers what lxml's ``findtext`` does, for any children."""
    root = parse_xml(f"<root>{''.join(children)}</root>".encode())
    assert child_text(root, tag) == root.findtext(tag)


def test_one_parser_per_thread() -> None:
    """The parser is made once per thread, and another thread gets its own."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from custom_components.sms_gateways.gateways import xml  # noqa: PLC0415

    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(xml._parser).result()
    assert xml._parser() is xml._parser()
    assert other is not xml._parser()
    assert parse_xml(b"<a>1</a>").text == "1"
