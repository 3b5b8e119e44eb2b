"""Parsing XML from the network without entities, DTDs or network access, and within a size bound.

Used for provider replies and for what providers push to our webhook, which anyone can reach.
"""

from __future__ import annotations

import re
import threading
import xmlrpc.client

from lxml import etree

from .errors import GatewayResponseError
from .redact import redact

MAX_XML_BYTES = 256 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def excerpt(data: bytes | str, limit: int = 80) -> str:
    """A short, printable start of a reply, for error messages (never the whole body).

    Every live account's password is masked first (``redact``): a provider or a proxy that
    echoes the request would otherwise put it in an error or a log line.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else f"{text[:limit]}..."


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NON_UTF8_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_ENCODING_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_ALLOWED_ENCODINGS = frozenset(
    {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1"}
)


def check_xml(data: bytes, max_bytes: int = MAX_XML_BYTES) -> None:
    """Refuse what the DOCTYPE check could not see, then any DOCTYPE or ENTITY declaration.

    What ``parse_xml`` and ``loads_xmlrpc`` check before parsing, for a reader that may not need
    lxml. The check reads bytes, so a document in UTF-16 or UTF-32 (a BOM, NUL bytes, or such an
    encoding declared) is refused outright: no provider sends one.

    Raises:
        GatewayResponseError: too large, not UTF-8, or has a DOCTYPE or ENTITY declaration.
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
    check_xml(raw, max_bytes)
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


# The fast path of ``loads_xmlrpc`` reads only printable ASCII, tabs and newlines, without any
# reference or CDATA end; comments, instructions, attributes and other tags do not match.
_FAST_UNSAFE = re.compile(rb"[^\t\n\x20-\x25\x27-\x7e]")  # & (0x26) is a reference
_B = rb"[ \t\n]*"
# One scalar: its group says which (1 string, 2 int, 3 i4, 4 boolean, 5 untyped string).
_SCALAR = (
    rb"<value>(?:" + _B + rb"(?:<string>([^<]*)</string>|<int>(-?[0-9]{1,18})</int>"
    rb"|<i4>(-?[0-9]{1,18})</i4>|<boolean>([01])</boolean>)" + _B + rb"|([^<]*))</value>"
)
_FAST_SCALAR = re.compile(_SCALAR)
_SCALARS = rb"(?:" + re.sub(rb"\((?!\?)", b"(?:", _SCALAR) + _B + rb")*"
_ARRAY_OPEN = rb"<value>" + _B + rb"<array>" + _B + rb"<data>" + _B
_ARRAY_CLOSE = rb"</data>" + _B + rb"</array>" + _B + rb"</value>"
_FAST_ARRAY = re.compile(_ARRAY_OPEN + rb"(" + _SCALARS + rb")" + _ARRAY_CLOSE)
_TABLE = (
    _ARRAY_OPEN + rb"((?:" + _ARRAY_OPEN + _SCALARS + _ARRAY_CLOSE + _B + rb")*)" + _ARRAY_CLOSE
)
_OPENING = (
    rb"(?:<\?xml version=(?:'1\.0'|\"1\.0\")\?>)?"
    + _B
    + rb"<methodResponse>"
    + _B
    + rb"<params>"
    + _B
    + rb"<param>"
    + _B
)
_CLOSING = _B + rb"</param>" + _B + rb"</params>" + _B + rb"</methodResponse>" + _B
_FAST_FRAME = re.compile(_OPENING + rb"(<value>.*</value>)" + _CLOSING, re.DOTALL)
# An array of arrays (send_message's answer), framed: one pass checks it all.
_FAST_TABLE_REPLY = re.compile(_OPENING + _TABLE + _CLOSING)
# In a table's rows: a scalar (groups 1 to 5), or the end of a row (group 6).
_FAST_ROW_ITEM = re.compile(_SCALAR + rb"|(</data>)")


def _fast_value(match: re.Match[bytes]) -> object:
    """A ``_SCALAR`` match as ``xmlrpc.client`` reads it (int, boolean or text)."""
    kind = match.lastindex
    text = match.group(kind or 0)
    if kind in (2, 3):
        return int(text)
    if kind == 4:
        return text == b"1"
    return text.decode("ascii")


def _fast_rows(region: bytes) -> list[object]:
    """The rows of a table's checked region, each a list of its scalars.

    ``findall`` gives each item's groups as text ("" for a group that took no part): an int,
    i4 or boolean is never empty, and an empty string is "" whichever group held it.
    """
    rows: list[object] = []
    row: list[object] = []
    for text, number, i4, boolean, untyped, end in _FAST_ROW_ITEM.findall(region):
        if end:
            rows.append(row)
            row = []
        elif number or i4:
            row.append(int(number or i4))
        elif boolean:
            row.append(boolean == b"1")
        else:
            row.append((text or untyped).decode("ascii"))
    return rows


def _fast_scalars(region: bytes) -> list[object]:
    """The scalars of a run of ``_SCALAR`` values, each read as ``xmlrpc.client`` reads it."""
    return [_fast_value(match) for match in _FAST_SCALAR.finditer(region)]


def _fast_xmlrpc(data: bytes) -> tuple[object] | None:
    """The one value of a plain XML-RPC reply, as ``xmlrpc.client.loads`` reads it, or None.

    Reads the shapes of NetOxygen's answers: one string, int or boolean, an array of them, or an
    array of such arrays, in printable ASCII with blanks between tags. Anything else (a fault,
    a struct, a reference, CDATA, an attribute, a carriage return...) is None, for the general
    decoder. Tests prove both read the same for generated and hostile replies.
    """
    if b"]]>" in data or _FAST_UNSAFE.search(data):
        return None
    if table := _FAST_TABLE_REPLY.fullmatch(data):
        return (_fast_rows(table.group(1)),)
    frame = _FAST_FRAME.fullmatch(data)
    if frame is None:
        return None
    value = frame.group(1)
    if array := _FAST_ARRAY.fullmatch(value):
        return (_fast_scalars(array.group(1)),)
    if _FAST_SCALAR.fullmatch(value):
        return (_fast_scalars(value)[0],)
    return None


def loads_xmlrpc(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> tuple[object, ...]:
    """Decode an XML-RPC reply safely; an XML-RPC fault is raised as ``xmlrpc.client.Fault``.

    The plain shapes NetOxygen answers are read by ``_fast_xmlrpc`` (a third of the cost of a
    send's reading), the others by ``xmlrpc.client.loads``: both give the same values.

    Raises:
        GatewayResponseError: too large, has a DOCTYPE or ENTITY declaration, or is not XML-RPC.
        xmlrpc.client.Fault: the server answered with a fault.
    """
    # What the fast path reads cannot hold what ``check_xml`` refuses (only printable ASCII, no
    # declaration but the plain one, no ``<!``): only the size is checked before it.
    if len(data) <= max_bytes and (fast := _fast_xmlrpc(data)) is not None:
        return fast
    check_xml(data, max_bytes)
    return _decode_xmlrpc(data)


def _decode_xmlrpc(data: bytes) -> tuple[object, ...]:
    """``xmlrpc.client.loads``, its errors other than a fault as ``GatewayResponseError``."""
    try:
        params, _method = xmlrpc.client.loads(data, use_datetime=True)
    except xmlrpc.client.Fault:
        raise
    except (xmlrpc.client.ResponseError, ValueError, TypeError, IndexError) as err:
        raise GatewayResponseError(f"Malformed XML-RPC reply: {excerpt(data)!r}") from err
    except Exception as err:
        raise GatewayResponseError(f"Malformed XML-RPC reply: {excerpt(data)!r}") from err
    return params
