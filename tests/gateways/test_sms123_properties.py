"""Every 123-SMS.net parser is total: any bytes give a model or a ``GatewayError``.

Seeded with the doc's codes and the simulator's replies in its three forms; the default suite
runs a modest number of examples (``benchmarks/fuzz_sms123.py`` runs 10,000 per parser).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import json
import math
from typing import Any
from unittest.mock import patch

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_gateways.gateways import (
    DeliveryStatus,
    GatewayError,
    GatewayResponseError,
    OutgoingSms,
    SendResult,
    Sms123Gateway,
    sms123,
)
from custom_components.sms_gateways.gateways.sms123 import (
    _CREDENTIAL_CODES,
    BALANCE_CODES,
    SEND_CODES,
    decode_message_id,
    encode_message_id,
    json_body,
    parse_balance,
    parse_reply,
    parse_send_code,
)
from custom_components.sms_gateways.gateways.transport import HttpReply
from simulator.sms123 import TEXTS
from tests.gateways.fuzzing import FUZZ

DEEP = [
    b"[" * 65_000,
    b'{"code":' * 65_000,
    b'{"a":[' * 32_000 + b"1" + b"]}" * 32_000,
    b"<a>" * 65_000,
    b'{"code": "80", "x": ' + b"[" * 65_000 + b"]" * 65_000 + b"}",
]


def _forms(code: str, extra: dict[str, Any] | None = None) -> list[bytes]:
    """A reply as the simulator gives it in each form (``reply_body`` json, xml, bare)."""
    fields = {"code": code, "message": TEXTS.get(code, "Solde du compte"), **(extra or {})}
    xml = "".join(f"<{key}>{value}</{key}>" for key, value in fields.items())
    return [
        json.dumps(fields).encode(),
        f'<?xml version="1.0" encoding="UTF-8"?>\n<reponse>{xml}</reponse>'.encode(),
        code.encode(),
    ]


SEEDS: list[bytes] = [
    *(form for code in TEXTS for form in _forms(code)),
    *_forms("100", {"solde": 100.0}),
    *_forms("42.5", {"solde": 42.5}),
    b"12,5",
    b'"82"',
    b"\xef\xbb\xbf80",
    b'{"reponse": {"code": "91", "libelle": "doublon"}}',
    b'{"code": 1e400}',
    b'{"solde": 99999999999999999999999999}',
    b'{"solde": "1' + b"0" * 5000 + b'"}',
    b'{"code": "\xc2\xb2"}',
    b"\xc2\xb980",
    b'<!DOCTYPE x [<!ENTITY e "80">]><code>&e;</code>',
    *DEEP,
]

_scalars = st.one_of(
    st.sampled_from([*TEXTS, "100", "42.5", "12,5", "-4", "²", "1e9", "nan", "inf"]),
    st.text(max_size=12),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
_keys = st.sampled_from(["code", "message", "solde", "credits", "status", "retour", "msg", "x"])
_json = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=4),
    lambda inner: st.dictionaries(_keys, st.one_of(_scalars, inner, st.lists(inner, max_size=3))),
    max_leaves=12,
)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


replies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(SEEDS),
    _json.map(_json_bytes),
    st.builds(
        lambda code, rest: _forms(code)[rest % 3], st.sampled_from(list(TEXTS)), st.integers(0, 2)
    ),
    st.text(max_size=60).map(lambda text: f"<reponse><code>{text}</code></reponse>".encode()),
)


def _total[T](parser: Callable[[bytes], T], body: bytes) -> T | None:
    """The parser's answer, or None when it raised one of the library's errors."""
    try:
        return parser(body)
    except GatewayError:
        return None


# --- the checks (also run by benchmarks/fuzz_sms123.py) ------------------------------------------


def check_reply(body: bytes) -> None:
    reply = _total(parse_reply, body)
    if reply is not None:
        assert isinstance(reply.fields, dict)
        _ = reply.code, reply.message


def check_balance(body: bytes) -> None:
    balance = _total(parse_balance, body)
    if balance is None:
        return
    assert math.isfinite(balance)
    reply = parse_reply(body)
    # solde/'s own codes are never a balance; another code is one only where the reply can be
    # nothing else (alone: a bare number, R33), never beside a message.
    assert reply.code not in BALANCE_CODES
    named = any(key in reply.fields for key in ("solde", "balance", "credits", "credit"))
    alone = set(reply.fields) <= {"code"}
    assert named or alone
    if reply.code in _CREDENTIAL_CODES:
        assert alone or named


def check_send_code(body: bytes) -> None:
    code = _total(parse_send_code, body)
    if code is not None:
        assert code.isascii()


def check_message_id(text: str) -> None:
    try:
        number, diff, message = decode_message_id(text)
    except ValueError:
        return
    assert isinstance(number, str)
    assert isinstance(message, str)
    assert diff is None or (len(diff) == 12 and diff.isascii() and diff.isdigit())


def check_send(body: bytes) -> None:
    """A send answered with ``body``: a result, or a library error; never "refused" for unknown."""
    result = _run_send(body)
    if isinstance(result, SendResult):
        (message,) = result.messages
        code = parse_send_code(body)
        assert code in SEND_CODES
        may_have_gone = code == "101"  # "Info" (R33): never refused
        assert message.accepted == (SEND_CODES[code].status is not None or may_have_gone)
        assert (message.status is DeliveryStatus.UNKNOWN) == may_have_gone


def check_cancel(body: bytes) -> None:
    gateway = _gateway()
    gateway.message_store["sms123:x"] = {
        "numero": "33612345601",
        "diff": "120030122031",
        "message": "hi",
        "until": "2100-01-01T00:00:00+00:00",
    }
    result = _run(gateway, gateway.cancel(["sms123:x"]), body)
    if isinstance(result, list):
        (canceled,) = result
        code = _total(parse_send_code, body)
        if code == "94":
            assert canceled.canceled is True
        elif code is None or code not in SEND_CODES or code in ("-2", "101"):
            assert canceled.canceled is None  # the answer does not say (R26): never "not"
        else:
            assert canceled.canceled is False


def _gateway() -> Sms123Gateway:
    gateway = Sms123Gateway(None, username="demo", password="demo-password")  # type: ignore[arg-type]
    gateway._pair = ("user", "cleAPI")
    return gateway


def _run(gateway: Sms123Gateway, call: Any, body: bytes) -> Any:
    async def post(*_args: Any, **_kwargs: Any) -> HttpReply:
        return HttpReply(200, body, "application/json")

    async def run() -> Any:
        try:
            return await call
        except GatewayError as err:
            return err

    with patch("custom_components.sms_gateways.gateways.transport.post", post):
        return asyncio.run(run())


def _run_send(body: bytes) -> Any:
    gateway = _gateway()
    return _run(
        gateway, gateway.send(OutgoingSms(recipients=("+33612345601",), message="hi")), body
    )


# --- the property tests ---------------------------------------------------------------------------


@FUZZ
@given(replies)
@example(b"[" * 65_000)
def test_parse_reply_is_total(body: bytes) -> None:
    check_reply(body)


@FUZZ
@given(replies)
@example(b'{"code": "505", "message": "Erreur : identifiant et/ou mot de passe non valides"}')
@example(b'{"code": "82", "message": "Erreur : le login et/ou mot de passe n\'est pas valide"}')
@example(b"82")
@example(b'{"code":' * 65_000)
def test_parse_balance_is_total_and_never_a_number_from_an_error(body: bytes) -> None:
    check_balance(body)


@FUZZ
@given(replies)
def test_parse_send_code_is_total(body: bytes) -> None:
    check_send_code(body)


message_ids = st.one_of(
    st.text(max_size=80).map(lambda text: f"sms123:{text}"),
    st.text(max_size=40),
    st.builds(
        encode_message_id,
        st.text(max_size=15),
        st.one_of(st.none(), st.text(max_size=14)),
        st.text(max_size=40),
    ),
    st.binary(max_size=200).map(lambda raw: "sms123:" + base64.urlsafe_b64encode(raw).decode()),
)


@FUZZ
@given(message_ids)
@example("sms123:" + base64.urlsafe_b64encode(b"[" * 3000).decode())
@example(encode_message_id("33612345601", "153012092031", "Déjà vu 👋"))
def test_decode_message_id_is_total(message_id: str) -> None:
    check_message_id(message_id)


@pytest.mark.parametrize("check", [check_send, check_cancel])
@settings(FUZZ, max_examples=60)
@given(body=replies)
@example(body=b"[" * 65_000)
@example(body=b'{"code":' * 65_000)
@example(body=b"80")
@example(body=b"77")
@example(body=b"94")
@example(body=b"81")
def test_send_and_cancel_are_total(check: Callable[[bytes], None], body: bytes) -> None:
    """The whole adapter, answered with any reply (the first recipient of a send, a cancel)."""
    check(body)


def test_a_crafted_deep_cancel_id_is_refused() -> None:
    deep = "sms123:" + base64.urlsafe_b64encode(b"[" * 65_000).decode()
    gateway = _gateway()

    (result,) = _run(gateway, gateway.cancel([deep]), b"94")

    assert not result.canceled


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.text() | st.sampled_from(["user", "cleAPI", "numero"]),
        st.text() | st.text(alphabet='"\\\x00\x1f\x7fé€\U0001f600\ud800 /<', max_size=10),
        max_size=6,
    )
)
def test_json_body_is_what_json_dumps_writes(fields: dict[str, str]) -> None:
    """A request's body is ``json.dumps``'s bytes for any text, lone surrogates included."""
    try:
        expected: bytes | None = json.dumps(fields).encode()
    except UnicodeEncodeError:
        expected = None
    if expected is None:
        with pytest.raises(UnicodeEncodeError):
            json_body(fields)
    else:
        assert json_body(fields) == expected


_REFUSED = GatewayResponseError


def _loads(text: str) -> object:
    """What ``_json_value`` answered when it called ``json.loads``: the value, or the refusal."""
    too_many = text.count("{") + text.count("[") > 16
    if too_many and sms123._json_depth(text) > 16:
        return _REFUSED
    try:
        return json.loads(text)
    except ValueError, RecursionError:
        return _REFUSED


@settings(max_examples=300)
@given(
    _json.map(json.dumps)
    | st.text(alphabet='{}[]",:0123456789.eE+-tfalsenu \t\n\r\ufeff\\x', max_size=30),
    st.text(alphabet=" \t\n\r\x0b\u00a0\ufeffx", max_size=3),
    st.text(alphabet=" \t\n\r\x0b\u00a0\ufeffx{", max_size=3),
)
def test_json_value_is_json_loads(text: str, before: str, after: str) -> None:
    """Any text, blanks or other characters around it: the value json.loads gives, or an error."""
    text = f"{before}{text}{after}"
    try:
        ours: object = sms123._json_value(text)
    except GatewayResponseError:
        ours = _REFUSED
    expected = _loads(text)
    # repr: NaN is never equal to itself, but writes the same.
    assert ours is expected or repr(ours) == repr(expected)
