"""Parsing XML from the network without entities, DTDs or network access, and within a size bound.

Used for provider replies and for what providers push to our webhook, which anyone can reach.
"""

from __future__ import annotations

import re
import threading
import xmlrpc.client

from lxml import etree

from .errors import GatewayResponseError

MAX_XML_BYTES = 256 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def excerpt(data: bytes | str, limit: int = 80) -> str:
    """A short, printable start of a reply, for error messages (never the whole body)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}..."


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NON_UTF8_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_ENCODING_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_ALLOWED_ENCODINGS = frozenset(
    {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1"}
)


def _check(data: bytes, max_bytes: int) -> None:
    """Refuse what the DOCTYPE check could not see, then any DOCTYPE or ENTITY declaration.

    The check reads bytes, so a document in UTF-16 or UTF-32 (a BOM, NUL bytes, or such an
    encoding declared) is refused outright: no provider sends one.
    """
    if len(data) > max_bytes:
        raise GatewayResponseError(f"XML document larger than {max_bytes} bytes")
    if data.startswith(_NON_UTF8_BOMS) or b"\x00" in data:
        raise GatewayResponseError("XML document not in UTF-8 refused")
    declared = _ENCODING_DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in _ALLOWED_ENCODINGS:
        raise GatewayResponseError("XML document not in UTF-8 refused")
    if _DOCTYPE.search(data):
        raise GatewayResponseError("XML document with a DOCTYPE or ENTITY declaration refused")


def _new_parser() -> etree.XMLParser:
    """A parser with every dangerous feature set off explicitly (defaults vary across lxml)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser, made once.

    An lxml parser is reusable but not shareable across threads, and making one is a good part
    of what parsing a short reply costs.
    """
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _new_parser()
    return parser


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse an XML document safely and return its root element.

    Raises:
        GatewayResponseError: too large, has a DOCTYPE or ENTITY declaration, or is not XML.
    """
    if isinstance(data, str):
        # Text is already decoded: its declared encoding no longer applies, so it is dropped.
        if len(data) > max_bytes:  # each character is at least one byte
            raise GatewayResponseError(f"XML document larger than {max_bytes} bytes")
        try:
            raw = _DECLARATION.sub("", data, count=1).encode()
        except UnicodeEncodeError as err:  # a lone surrogate: not text any parser can read
            raise GatewayResponseError("XML document that is not valid text refused") from err
    else:
        raw = data
    _check(raw, max_bytes)
    try:
        root = etree.fromstring(raw, parser=_parser())
    except (etree.LxmlError, ValueError) as err:
        raise GatewayResponseError(f"Malformed XML: {excerpt(raw)!r}") from err
    if root is None:
        raise GatewayResponseError("Empty XML document")
    return root


def child_text(element: etree._Element, tag: str) -> str | None:
    """What ``element.findtext(tag)`` gives for a plain tag, without lxml's path machinery.

    The first such child's text, ``""`` for an empty one, None without one.
    """
    for child in element.iterchildren(tag):
        return child.text or ""
    return None


def loads_xmlrpc(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> tuple[object, ...]:
    """Decode an XML-RPC reply safely; an XML-RPC fault is raised as ``xmlrpc.client.Fault``.

    Raises:
        GatewayResponseError: too large, has a DOCTYPE or ENTITY declaration, or is not XML-RPC.
        xmlrpc.client.Fault: the server answered with a fault.
    """
    _check(data, max_bytes)
    try:
        params, _method = xmlrpc.client.loads(data, use_datetime=True)
    except xmlrpc.client.Fault:
        raise
    except (xmlrpc.client.ResponseError, ValueError, TypeError, IndexError) as err:
        raise GatewayResponseError(f"Malformed XML-RPC reply: {excerpt(data)!r}") from err
    except Exception as err:
        raise GatewayResponseError(f"Malformed XML-RPC reply: {excerpt(data)!r}") from err
    return params
