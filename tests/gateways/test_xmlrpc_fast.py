"""The fast XML-RPC paths read and write exactly what ``xmlrpc.client`` does.

``xml._fast_xmlrpc`` reads NetOxygen's plain replies and ``netoxygen.call_body`` writes its calls.
Each is checked against the standard library on generated documents: the fast reader either
declines (None) or gives the very values ``xmlrpc.client.loads`` gives, whatever the bytes, and
``loads_xmlrpc`` as a whole answers as the general decoder alone would (same value, same error).
"""

from __future__ import annotations

import re
from unittest.mock import patch
import xmlrpc.client

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import netoxygen
from custom_components.sms_gateways.gateways.errors import GatewayResponseError
from custom_components.sms_gateways.gateways.netoxygen import call_body
from custom_components.sms_gateways.gateways.xml import (
    _decode_xmlrpc,
    _fast_xmlrpc,
    check_xml,
    loads_xmlrpc,
)

PLAIN = "".join(chr(code) for code in range(0x20, 0x7F)) + "\t\n"
HOSTILE = [
    "<",
    ">",
    "/",
    "&",
    "&amp;",
    "&#65;",
    "\r",
    "\r\n",
    "\x00",
    "\x0b",
    "]]>",
    "<!--x-->",
    "<![CDATA[x]]>",
    "<?pi x?>",
    "<!DOCTYPE x>",
    "é",
    "\ufeff",
    " ",
    "\t",
    "\n",
    "a",
    "0",
    "-",
    "_",
    "<value>",
    "</value>",
    "<string>",
    "</string>",
    "<int>",
    "</int>",
    "<i4>",
    "<boolean>",
    "<array>",
    "</array>",
    "<data>",
    "</data>",
    "<value/>",
    '<value a="1">',
    "<x:value>",
    "<struct>",
    "<param>",
    "</params>",
    "<fault>",
]

_SCALARS = st.one_of(
    st.text(alphabet=PLAIN, max_size=12),
    st.text(max_size=6),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
)
_OTHERS = st.one_of(st.floats(allow_nan=False), st.binary(max_size=8), st.none())
VALUES = st.recursive(
    st.one_of(_SCALARS, _OTHERS),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(PLAIN, max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
# NetOxygen's shapes: a scalar, an array of them, an array of arrays of them.
_NETOXYGEN_SCALARS = st.one_of(
    st.text(alphabet=PLAIN.replace("&", "").replace("<", "").replace(">", ""), max_size=12),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
)
NETOXYGEN_VALUES = st.one_of(
    _NETOXYGEN_SCALARS,
    st.lists(_NETOXYGEN_SCALARS, max_size=4),
    st.lists(st.lists(_NETOXYGEN_SCALARS, max_size=4), max_size=4),
)


def _same(left: object, right: object) -> bool:
    """Equal, and of the same types all the way down (``True == 1`` is not enough)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right, strict=True))
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(map(_same, left, right, strict=True))
    return left == right


def _reply(value: object) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True).encode(
        "utf-8", "surrogatepass"
    )


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A reply as ``xmlrpc.client`` writes it, its blanks and tags changed, bytes mutated."""
    text = _reply(draw(st.one_of(NETOXYGEN_VALUES, VALUES))).decode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        blanks = st.sampled_from(["", " ", "\t", "\n\n", "\r\n", " \n "])
        text = "".join(
            piece + (draw(blanks) if index % 3 == 0 else "\n")
            for index, piece in enumerate(text.split("\n"))
        ).rstrip("\n")
    if draw(st.booleans()):
        text = draw(
            st.sampled_from(
                [
                    text,
                    text.replace("<?xml version='1.0'?>", '<?xml version="1.0"?>'),
                    text.replace("<?xml version='1.0'?>\n", ""),
                    text.replace("<?xml version='1.0'?>", " <?xml version='1.0'?>"),
                    text.replace("<?xml version='1.0'?>", "<?xml version='1.0' encoding='ascii'?>"),
                    text.replace("<string>", "").replace("</string>", ""),
                    text.replace("int>", "i4>"),
                    text.replace("<int>", "<i4>", 1),
                    text.replace("</params>", "</params>junk"),
                    text.replace("</param>", "</param>\n<param><value>x</value></param>", 1),
                ]
            )
        )
    if draw(st.booleans()):
        # Numbers dumps cannot write: 64 bits and more, signs, zeros, underscores, blanks.
        number = draw(
            st.integers(-(10**20), 10**20).map(str)
            | st.sampled_from(["+1", "007", "-0", "1_0", " 1", "1 ", "", "٣", "999999999999999999"])
        )
        text = re.sub(r"<(int|i4)>[^<]*</", rf"<\1>{number}</", text, count=1)
    data = text.encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 3))
        piece = draw(st.sampled_from(HOSTILE)).encode("utf-8")
        data = data[:position] + piece + data[position + cut :]
    return data


def _general(data: bytes) -> object:
    """What ``loads_xmlrpc`` answered before the fast path: the value, or the error's type."""
    try:
        check_xml(data, 256 * 1024)
        return _decode_xmlrpc(data)
    except (GatewayResponseError, xmlrpc.client.Fault) as err:
        return type(err)


@settings(max_examples=400)
@given(documents())
@example(
    b"<?xml version='1.0'?><methodResponse><params><param><value><int>12345678901234567890"
    b"</int></value></param></params></methodResponse>"
)
@example(
    b"<methodResponse><params><param><value><boolean>2</boolean></value></param></params></methodResponse>"
)
@example(
    b"<methodResponse><params><param><value><int> 1</int></value></param></params></methodResponse>"
)
@example(
    b"<methodResponse><params><param><value><int>1</i4></value></param></params></methodResponse>"
)
@example(b"<methodResponse><params><param><value>a\rb</value></param></params></methodResponse>")
@example(
    b"<?xml version='1.0' encoding='utf-16'?><methodResponse><params><param><value>1</value>"
    b"</param></params></methodResponse>"
)
@example(
    b"<!DOCTYPE x><methodResponse><params><param><value>1</value></param></params></methodResponse>"
)
@example(b"<methodResponse><params><param><value>\x00</value></param></params></methodResponse>")
@example(
    b"<methodResponse><params><param>"
    + b"<value><array><data>" * 300
    + b"</data></array></value>" * 300
    + b"</param></params></methodResponse>"
)
def test_fast_reader_reads_what_xmlrpc_client_reads(data: bytes) -> None:
    """Any bytes: the fast reader declines, or gives ``xmlrpc.client.loads``'s very values."""
    fast = _fast_xmlrpc(data)
    if fast is not None:
        expected, _method = xmlrpc.client.loads(data, use_datetime=True)
        assert _same(fast, expected)
    try:
        answer: object = loads_xmlrpc(data)
    except (GatewayResponseError, xmlrpc.client.Fault) as err:
        answer = type(err)
    general = _general(data)
    assert _same(answer, general) if isinstance(general, tuple) else answer is general


@settings(max_examples=300)
@given(NETOXYGEN_VALUES)
def test_fast_reader_reads_netoxygen_shapes(value: object) -> None:
    """NetOxygen's shapes, as a server writes them, are read by the fast path itself."""
    data = _reply(value)
    fast = _fast_xmlrpc(data)
    assert fast is not None
    assert _same(fast, (value,))


def test_a_plain_reply_is_bounded_too() -> None:
    """The fast path reads nothing larger than the bound: the size check comes first."""
    data = _reply([["41790000000", 1, "123"]])
    assert _fast_xmlrpc(data) is not None
    with pytest.raises(GatewayResponseError, match="larger than"):
        loads_xmlrpc(data, max_bytes=len(data) - 1)
    assert loads_xmlrpc(data, max_bytes=len(data)) == _fast_xmlrpc(data)


def test_fast_reader_declines_faults() -> None:
    """A fault goes to the general decoder, which raises it."""
    data = xmlrpc.client.dumps(xmlrpc.client.Fault(4, "no"), methodresponse=True).encode()
    assert _fast_xmlrpc(data) is None
    with pytest.raises(xmlrpc.client.Fault):
        loads_xmlrpc(data)


_TEXT = st.one_of(st.text(), st.text(alphabet="&<>]\r\x00\x0b\ud800é\U0001f600 ab", max_size=12))
PARAMS = st.lists(
    st.one_of(
        _TEXT,
        st.binary(max_size=130).map(xmlrpc.client.Binary),
        st.lists(_TEXT, max_size=3),
        st.lists(st.binary(max_size=60).map(xmlrpc.client.Binary), max_size=3),
    ),
    max_size=6,
)


@settings(max_examples=300)
@given(_TEXT.filter(bool), PARAMS)
def test_call_body_is_what_dumps_writes(method: str, params: list[object]) -> None:
    """The call's text is ``dumps``'s, characters XML forbids and lone surrogates included."""
    assert call_body(method, params) == xmlrpc.client.dumps(tuple(params), method)  # type: ignore[arg-type]


def _rows_by_recipient_as_before(
    recipients: tuple[str, ...], rows: list[object], region: str
) -> dict[str, list[object]]:
    """``_rows_by_recipient`` reading every destination through ``_destination_digits``."""
    with patch.object(netoxygen, "_is_key", return_value=False):
        return netoxygen._rows_by_recipient(recipients, rows, region)


_RECIPIENTS = st.lists(
    st.sampled_from(["+33612345678", "+41792223344", "+41791234567", "+4915112345678"]),
    min_size=1,
    max_size=3,
    unique=True,
)
_DESTINATIONS = st.one_of(
    st.sampled_from(["33612345678", "41792223344", "0792223344", "+41792223344", " 41792223344"]),
    st.sampled_from(["0041792223344", "4179222334", "", "x", "4915112345678"]),
    st.integers(0, 10**12),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.text(max_size=14),
)


@settings(max_examples=300)
@given(
    _RECIPIENTS,
    st.lists(st.one_of(st.lists(_DESTINATIONS, max_size=3), _DESTINATIONS), max_size=4),
    st.sampled_from(["CH", "FR"]),
)
def test_rows_found_as_before(recipients: list[str], rows: list[object], region: str) -> None:
    """A destination written as we sent it is matched at once, and to the same recipient."""
    found = netoxygen._rows_by_recipient(tuple(recipients), rows, region)
    assert found == _rows_by_recipient_as_before(tuple(recipients), rows, region)


@settings(max_examples=200)
@given(
    st.sampled_from(["+33612345678", "+41792223344"]),
    st.one_of(st.lists(_DESTINATIONS, max_size=4), _DESTINATIONS),
    st.sampled_from(["CH", "FR"]),
)
def test_one_row_for_one_recipient_is_its_row(recipient: str, row: object, region: str) -> None:
    """One row answering one recipient: the shortcut finds what matching each row finds."""
    found = netoxygen._rows_by_recipient((recipient,), [row], region)
    assert found == netoxygen._rows_matched((recipient,), [row], region)


@settings(max_examples=200)
@given(_TEXT, _TEXT, st.lists(st.tuples(_TEXT.filter(bool), PARAMS), min_size=1, max_size=3))
def test_call_text_is_call_body(
    username: str, password: str, calls: list[tuple[str, list[object]]]
) -> None:
    """A call whose start is remembered is the text ``call_body`` writes with the credentials."""
    gateway = netoxygen.NetOxygenGateway(None, username=username, password=password)  # type: ignore[arg-type]
    for method, params in [*calls, *calls]:
        expected = call_body(method, (username, password, *params))  # type: ignore[arg-type]
        assert gateway._call_text(method, params) == expected  # type: ignore[arg-type]


def _send_flag_as_before(value: object) -> bool | int | None:
    """``_send_flag`` reading every status through ``read_code``."""
    if value is False or value is True:
        return value
    code = netoxygen.read_code(value)
    if code == 0:
        return False
    if code == 1:
        return True
    return 9 if code == 9 else None


def _read_id_as_before(value: object) -> str | None:
    """``read_id`` asking for a bool and an int before a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 10**20 else None
    if isinstance(value, str):
        text = value.strip()
        if text and len(text) <= netoxygen._MAX_ID_LENGTH and not netoxygen._CONTROL.search(text):
            return text
    return None


_ROW_VALUES = st.one_of(
    st.integers(-(10**21), 10**21),
    st.sampled_from([0, 1, 9, 2, -1, 10**9, 10**20, True, False, None, 1.0, "1", " 9 ", "TRUE"]),
    st.text(max_size=70),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=300)
@given(_ROW_VALUES)
def test_status_and_id_read_as_before(value: object) -> None:
    """An int status is read at once, a string id first: both as the general way reads them."""
    assert netoxygen._send_flag(value) == _send_flag_as_before(value)
    assert type(netoxygen._send_flag(value)) is type(_send_flag_as_before(value))
    assert netoxygen.read_id(value) == _read_id_as_before(value)
