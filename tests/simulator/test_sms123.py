"""The 123-SMS.net simulator over HTTP, with JSON and XML request bodies, as the doc describes."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

import aiohttp
from lxml import etree
import pytest

from simulator.sms123 import Sms123Sim, international
from simulator.state import PARIS
from tests.conftest import RunningSimulator

DEMO = {"user": "demo", "cleAPI": "demo-password"}
JSON = "application/json"
XML = "application/xml"


def xml_body(params: dict[str, str]) -> bytes:
    """An ``<sms>`` document laid out like the doc's example (values padded with whitespace)."""
    root = etree.Element("sms")
    for name, value in params.items():
        etree.SubElement(root, name).text = f"\n    {value}\n  "
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


async def call(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    form: str = JSON,
    accept: str | None = None,
    no_accept: bool = False,
    body: bytes | None = None,
    method: str = "POST",
) -> dict[str, str]:
    """Call one endpoint and read the reply in the form it came (bare replies as ``code``)."""
    if body is None:
        body = json.dumps(params).encode() if form == JSON else xml_body(params or {})
    headers = {"Content-Type": form}
    if not no_accept:
        headers["Accept"] = accept or form
    async with session.request(
        method, f"{simulator.api_url('sms123')}{path}", data=body, headers=headers
    ) as response:
        assert response.status == 200
        text = await response.text()
        if response.content_type == JSON:
            return {key: str(value) for key, value in json.loads(text).items()}
        if response.content_type == XML:
            root = etree.fromstring(text.encode())
            assert root.tag == "reponse"
            return {child.tag: child.text or "" for child in root}
        assert response.content_type == "text/plain"
        return {"code": text}


async def code_of(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    path: str,
    params: dict[str, Any] | None = None,
    **kwargs: Any,
) -> str:
    return (await call(simulator, session, path, params, **kwargs))["code"]


def account(simulator: RunningSimulator, username: str = "demo") -> Any:
    return simulator.sim.state.accounts[("sms123", username)]


def send_params(
    numero: str = "+33612345678", message: str = "Hello", **more: str
) -> dict[str, str]:
    return {**DEMO, "numero": numero, "message": message, **more}


def diff_in(hours: float) -> str:
    return (datetime.now(PARIS) + timedelta(hours=hours)).strftime("%H%M%d%m%Y")


# --- formats -------------------------------------------------------------------------------------


async def test_demo_accounts(simulator: RunningSimulator) -> None:
    accounts = {
        username: (a.password, a.credits, a.blocked_ip, a.extra.get("email"))
        for (provider, username), a in simulator.sim.state.accounts.items()
        if provider == "sms123"
    }
    assert accounts == {
        "demo": ("demo-password", 100, False, "demo@example.com"),
        "empty": ("empty-password", 0, False, "empty@example.com"),
        "blocked": ("blocked-password", 100, True, "blocked@example.com"),
    }


async def test_json_send_and_json_reply(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await call(simulator, session, "send/", send_params())

    assert reply == {"code": "80", "message": "Succès : le message a été envoyé"}
    (message,) = simulator.sim.state.messages.values()
    assert (message.provider, message.username, message.recipient, message.text) == (
        "sms123",
        "demo",
        "+33612345678",
        "Hello",
    )
    assert message.status == "queued"
    assert account(simulator).credits == 99


async def test_xml_send_with_email_and_pass_and_xml_reply(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    params = {"email": "demo@example.com", "pass": "demo-web-password"}
    params |= {"numero": "0612345678", "message": "Bonjour"}

    reply = await call(simulator, session, "send/", params, form=XML)

    assert reply["code"] == "80"
    (message,) = simulator.sim.state.messages.values()
    assert (message.recipient, message.text) == ("+33612345678", "Bonjour")


async def test_json_numbers_are_read_as_text(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    params = {**DEMO, "numero": 33612345678, "message": "Hi", "flash": None}

    assert await code_of(simulator, session, "send/", params) == "80"


@pytest.mark.parametrize(
    ("form", "body"),
    [
        (JSON, b"{not json"),
        (JSON, b"[1, 2]"),
        (JSON, json.dumps({**DEMO, "numero": ["1"], "message": "x"}).encode()),
        (JSON, json.dumps({**DEMO, "numero": "0612345678", "message": True}).encode()),
        (XML, b"<sms><user>demo</user>"),
        (XML, b"<message><user>demo</user></message>"),
        (XML, b"<sms><user><name>demo</name></user></sms>"),
        (XML, b'<!DOCTYPE sms [<!ENTITY u "demo">]><sms><user>&u;</user></sms>'),
        ("application/x-www-form-urlencoded", b"user=demo&cleAPI=demo-password"),
        ("text/xml", xml_body(DEMO)),
    ],
)
async def test_malformed_requests_answer_minus_one(
    simulator: RunningSimulator, session: aiohttp.ClientSession, form: str, body: bytes
) -> None:
    code = await code_of(simulator, session, "solde/", body=body, form=form, accept=JSON)

    assert code == "-1"


async def test_only_post_is_accepted(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    code = await code_of(simulator, session, "solde/", DEMO, method="GET")

    assert code == "-1"


async def test_without_accept_the_answer_is_minus_one_in_plain_text(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await call(simulator, session, "send/", send_params(), no_accept=True)

    assert reply == {"code": "-1"}
    assert not simulator.sim.state.messages


async def test_xml_comments_are_ignored(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    body = b"<sms><!-- me --><user>demo</user><cleAPI>demo-password</cleAPI></sms>"

    reply = await call(simulator, session, "solde/", body=body, form=XML)

    assert reply["solde"] == "100.0"


# --- credentials ---------------------------------------------------------------------------------

ENDPOINT_CREDENTIAL_CODES = [
    ("send/", "87", "88", "82"),
    ("solde/", "E501", "E502", "E505"),
    ("group/add/", "501", "502", "505"),
    ("group/upd/", "501", "502", "505"),
    ("group/del/", "501", "502", "505"),
    ("contact/add/", "501", "502", "505"),
    ("contact/upd/", "501", "502", "505"),
    ("contact/del/", "501", "502", "505"),
]


@pytest.mark.parametrize("codes", ENDPOINT_CREDENTIAL_CODES)
@pytest.mark.parametrize("form", [JSON, XML])
async def test_credential_codes_per_endpoint(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    codes: tuple[str, str, str, str],
    form: str,
) -> None:
    path, no_login, no_key, wrong = codes

    async def code(params: dict[str, str]) -> str:
        return await code_of(simulator, session, path, params, form=form)

    assert await code({"cleAPI": "demo-password"}) == no_login
    assert await code({"user": "", "cleAPI": "demo-password"}) == no_login
    assert await code({"user": "demo"}) == no_key
    assert await code({"email": "demo@example.com"}) == no_key
    assert await code({"user": "demo", "cleAPI": "nope"}) == wrong
    assert await code({"user": "ghost", "cleAPI": "demo-password"}) == wrong
    assert await code({"email": "demo@example.com", "pass": "nope"}) == wrong
    # user goes with cleAPI, email with pass.
    assert await code({"user": "demo", "pass": "demo-password"}) == no_key


async def test_send_refuses_a_login_that_is_not_an_email(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    params = {"email": "demo", "pass": "demo-password", "numero": "0612345678", "message": "x"}

    assert await code_of(simulator, session, "send/", params) == "87"


# --- send/ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"numero": ""}, "89"),
        ({"numero": "   "}, "89"),
        ({"message": ""}, "90"),
        ({"message": "  \n"}, "90"),
        ({"numero": "06 12 34 56 78"}, "84"),
        ({"numero": "06abc45678"}, "84"),
        ({"numero": "061234567"}, "84"),
        ({"numero": "+33612349999"}, "84"),
        ({"numero": "0033612341010"}, "101"),
        ({"flash": "yes"}, "-1"),
        ({"TTS": "1"}, "-1"),
        ({"senderid": "TwelveChars1"}, "97"),
        ({"senderid": "My Home"}, "80"),
        ({"senderid": "+33612345678"}, "97"),
        ({"senderid": "+Maison"}, "80"),
        ({"senderid": "Café & Co"}, "80"),
        ({"senderid": "+3361234567"}, "80"),
        ({"senderid": "33612345678"}, "80"),
        ({"diff": "2501"}, "85"),
        ({"diff": "256101012031"}, "85"),
        ({"diff": "120032132031"}, "85"),
        ({"diff": "120001012020"}, "85"),
        ({"diff": "120001012020s"}, "95"),
        ({"diff": "abcs"}, "85"),
        ({"numero": "+262692123456"}, "93"),
        ({"numero": "0692123456"}, "93"),
        ({"numero": "0590123456"}, "93"),
        ({"numero": "+590690123456"}, "93"),
        ({"numero": "+687751234"}, "93"),
        ({"test": "o"}, "92"),
        ({"test": "0"}, "92"),
        ({"test": "yes"}, "-1"),
        ({"flash": "o", "TTS": "o", "senderid": "Maison"}, "80"),
    ],
)
async def test_send_codes(
    simulator: RunningSimulator, session: aiohttp.ClientSession, params: dict[str, str], code: str
) -> None:
    assert await code_of(simulator, session, "send/", send_params(**params)) == code
    if code != "80":
        assert not simulator.sim.state.messages
        assert account(simulator).credits == 100


@pytest.mark.parametrize(("test_value", "real"), [("0", "o"), ("o", "0")])
async def test_an_account_reading_one_test_spelling_sends_the_other_for_real(
    simulator: RunningSimulator, session: aiohttp.ClientSession, test_value: str, real: str
) -> None:
    account(simulator).extra["test_value"] = test_value

    assert await code_of(simulator, session, "send/", send_params(test=test_value)) == "92"
    assert not simulator.sim.state.messages
    assert await code_of(simulator, session, "send/", send_params(test=real)) == "80"
    assert len(simulator.sim.state.messages) == 1
    assert account(simulator).credits == 99


async def test_blocked_ip_answers_96_on_send_only(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    blocked = {"user": "blocked", "cleAPI": "blocked-password"}

    assert await code_of(simulator, session, "send/", {**send_params(), **blocked}) == "96"
    assert await code_of(simulator, session, "solde/", blocked) == "100"


async def test_no_credits_answers_83(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    empty = {"user": "empty", "cleAPI": "empty-password"}

    assert await code_of(simulator, session, "send/", {**send_params(), **empty}) == "83"
    assert await code_of(simulator, session, "send/", {**send_params(test="o"), **empty}) == "83"


async def test_debit_per_segment(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    account(simulator).credits = 2

    assert await code_of(simulator, session, "send/", send_params(message="é" * 161)) == "80"
    assert account(simulator).credits == 0  # 161 GSM characters: two segments
    ucs2 = send_params(numero="+33612345679", message="ç" * 71)
    assert await code_of(simulator, session, "send/", ucs2) == "83"


async def test_same_message_within_24_hours_answers_91(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert await code_of(simulator, session, "send/", send_params()) == "80"
    assert await code_of(simulator, session, "send/", send_params(numero="0612345678")) == "91"
    assert await code_of(simulator, session, "send/", send_params(message="Other")) == "80"
    (first, _) = simulator.sim.state.messages.values()
    first.created_at -= timedelta(hours=25)
    assert await code_of(simulator, session, "send/", send_params()) == "80"


async def test_dom_tom_option(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    account(simulator).extra["dom_tom"] = True

    assert await code_of(simulator, session, "send/", send_params(numero="0692123456")) == "80"
    (message,) = simulator.sim.state.messages.values()
    assert message.recipient == "+262692123456"


async def test_sender_change_needs_stop_mention(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    account(simulator).extra["sender_requires_stop"] = True

    assert await code_of(simulator, session, "send/", send_params(senderid="Shop")) == "102"
    assert await code_of(simulator, session, "send/", send_params()) == "80"
    with_stop = send_params(senderid="Shop", message="Sale! STOP SMS au 36177")
    assert await code_of(simulator, session, "send/", with_stop) == "80"
    assert list(simulator.sim.state.messages.values())[-1].sender == "Shop"


async def test_scheduled_send_lifecycle_and_cancel(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    diff = diff_in(3)

    assert await code_of(simulator, session, "send/", send_params(diff=diff)) == "81"
    (message,) = simulator.sim.state.messages.values()
    assert message.status == "scheduled"
    assert message.scheduled_at is not None
    assert message.scheduled_at.strftime("%H%M%d%m%Y") == diff
    assert account(simulator).credits == 99
    await simulator.sim.advance()
    assert message.status == "scheduled"

    other_text = send_params(message="Other", diff=f"{diff}s")
    assert await code_of(simulator, session, "send/", other_text) == "95"
    other_date = send_params(diff=f"{diff_in(5)}s")
    assert await code_of(simulator, session, "send/", other_date) == "95"
    assert await code_of(simulator, session, "send/", send_params(diff=f"{diff}s"), form=XML) == (
        "94"
    )
    assert message.status == "canceled"
    assert account(simulator).credits == 100
    assert await code_of(simulator, session, "send/", send_params(diff=f"{diff}s")) == "95"
    # A cancelled message is no duplicate.
    assert await code_of(simulator, session, "send/", send_params(diff=diff)) == "81"


async def test_sent_messages_move_along(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await code_of(simulator, session, "send/", send_params())
    (message,) = simulator.sim.state.messages.values()

    await simulator.sim.advance()
    assert message.status == "sent"
    await simulator.sim.advance()
    assert message.status == "delivered"


@pytest.mark.parametrize(
    ("numero", "expected"),
    [
        ("+33612345678", "33612345678"),
        ("0033612345678", "33612345678"),
        ("33612345678", "33612345678"),
        ("0612345678", "33612345678"),
        ("0262123456", "262262123456"),
        ("0696123456", "596696123456"),
        ("06123456789", None),
        ("+0612345678", None),
        ("1234567", None),
        ("06-12-34-56-78", None),
    ],
)
def test_international(numero: str, expected: str | None) -> None:
    assert international(numero) == expected


# --- solde/ --------------------------------------------------------------------------------------


async def test_solde_in_every_form(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    account(simulator).credits = 12.5

    assert await call(simulator, session, "solde/", DEMO) == {
        "code": "12.5",
        "message": "Solde du compte",
        "solde": "12.5",
    }
    xml_reply = await call(simulator, session, "solde/", DEMO, form=XML)
    assert (xml_reply["code"], xml_reply["solde"]) == ("12.5", "12.5")
    json_body_xml_reply = await call(simulator, session, "solde/", DEMO, accept=XML)
    assert json_body_xml_reply["solde"] == "12.5"
    account(simulator).extra["reply_format"] = "bare"
    assert await call(simulator, session, "solde/", DEMO) == {"code": "12.5"}
    account(simulator).extra["reply_format"] = "xml"
    assert (await call(simulator, session, "solde/", DEMO))["solde"] == "12.5"


async def test_bare_replies_switch(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    sim = simulator.sim.providers["sms123"]
    assert isinstance(sim, Sms123Sim)
    sim.bare_replies = True
    account(simulator).extra["reply_format"] = "xml"

    assert await call(simulator, session, "solde/", DEMO) == {"code": "100"}
    assert await call(simulator, session, "send/", send_params(), form=XML) == {"code": "80"}
    assert await call(simulator, session, "group/del/", {**DEMO, "groupe": "x"}) == {"code": "517"}
    assert await call(simulator, session, "solde/", {"user": "demo"}) == {"code": "E502"}


async def test_forced_codes_answer_once_after_the_credential_check(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    account(simulator).extra["next_codes"] = ["-2", "-3"]

    assert await code_of(simulator, session, "solde/", {"user": "demo", "cleAPI": "x"}) == "E505"
    assert await code_of(simulator, session, "send/", send_params()) == "-2"
    assert await code_of(simulator, session, "solde/", DEMO) == "-3"
    assert await code_of(simulator, session, "solde/", DEMO) == "100"
    assert not simulator.sim.state.messages


# --- group/ and contact/ -------------------------------------------------------------------------


def groups(simulator: RunningSimulator) -> dict[str, dict[str, dict[str, str]]]:
    book: dict[str, dict[str, dict[str, str]]] = account(simulator).extra.setdefault("groups", {})
    return book


async def test_group_codes(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    async def code(path: str, form: str = JSON, **params: str) -> str:
        return await code_of(simulator, session, f"group/{path}/", {**DEMO, **params}, form=form)

    assert await code("add") == "-1"
    assert await code("add", groupe="Famille") == "514"
    assert await code("add", form=XML, groupe="Voisins") == "514"
    assert await code("add", groupe="Famille") == "513"
    assert await code("upd", groupe="Famille") == "-1"
    assert await code("upd", groupe="Absent", groupe_upd="X") == "517"
    assert await code("upd", groupe="Famille", groupe_upd="Voisins") == "513"
    assert await code("upd", groupe="Famille", groupe_upd="Famille") == "514"
    assert await code("upd", form=XML, groupe="Famille", groupe_upd="Maison") == "514"
    assert set(groups(simulator)) == {"Maison", "Voisins"}
    groups(simulator)["Maison"]["33612345678"] = {}
    assert await code("del", groupe="Maison") == "515"
    assert await code("del") == "-1"
    assert await code("del", groupe="Voisins") == "516"
    assert await code("del", groupe="Voisins") == "517"
    assert set(groups(simulator)) == {"Maison"}


async def test_contact_codes(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    async def code(path: str, form: str = JSON, **params: str) -> str:
        return await code_of(simulator, session, f"contact/{path}/", {**DEMO, **params}, form=form)

    groups(simulator).update({"A": {}, "B": {}})

    assert await code("add", numero="0612345678") == "-1"
    assert await code("add", groupe="A") == "-1"
    assert await code("add", groupe="A--", numero="0612345678") == "-1"
    assert await code("add", groupe="A", numero="0612345678", datea="310299") == "-1"
    assert await code("add", groupe="A", numero="0612345678", datea="12-2-68") == "-1"
    assert await code("add", groupe="A--Z", numero="0612345678") == "517"
    contact = {"nom": "Martin", "prenom": "Léa", "datea": "120268", "v2": "x"}
    assert await code("add", form=XML, groupe="A--B", numero="0612345678", **contact) == "507"
    assert groups(simulator)["B"]["33612345678"] == contact
    assert await code("add", groupe="B", numero="+33612345678") == "506"
    assert await code("add", groupe="A", numero="0612345679") == "507"

    assert await code("upd", groupe="A", numeroa="0612345678") == "-1"
    assert await code("upd", groupe="Z", numeroa="0612345678", numero="0612345670") == "517"
    assert await code("upd", groupe="A", numeroa="0612345600", numero="0612345670") == "508"
    assert await code("upd", groupe="B", numeroa="0612345679", numero="0612345670") == "510"
    assert await code("upd", groupe="A", numeroa="0612345678", numero="0612345679") == "506"
    # contact/upd/ names ONE group: "A--B" is a group of that name, which does not exist.
    assert await code("upd", groupe="A--B", numeroa="0612345678", numero="0612345670") == "517"
    assert await code("upd", groupe="A", numeroa="0612345678", numero="0612345670") == "507"
    assert set(groups(simulator)["A"]) == {"33612345670", "33612345679"}
    assert set(groups(simulator)["B"]) == {"33612345678"}

    assert await code("del") == "-1"
    assert await code("del", numero="0612345670", groupe="Z") == "517"
    assert await code("del", numero="0612345600") == "508"
    assert await code("del", numero="0612345670", groupe="B") == "510"
    assert await code("del", numero="0612345670", groupe="A") == "509"
    assert await code("del", form=XML, numero="0612345678") == "509"
    assert groups(simulator) == {"A": {"33612345679": {}}, "B": {}}


# --- readings (R18-R22) --------------------------------------------------------------------------


def test_readings_are_declared() -> None:
    names = {reading.point: reading.choices for reading in Sms123Sim.readings}
    assert names == {
        "reply_body": ("json", "bare", "xml"),
        "credentials": ("separate", "email_login", "shared"),
        "test_value": ("both", "o", "0"),
        "cancel_mismatch": ("refuse", "schedule", "send"),
        "numero": ("any", "international", "national"),
        "diff_timezone": ("paris", "utc"),
        "technical_error": ("not_sent", "sent"),
        "cancel_answer": ("documented", "technical_error", "undocumented", "unreadable"),
        "sender": ("length", "alphanumeric"),
        "info_101": ("not_sent", "sent"),
        "cedilla": ("ucs2", "gsm"),
    }


@pytest.mark.parametrize(
    ("numero", "point", "code"),
    [("+33612342020", "technical_error", "-2"), ("+33612341010", "info_101", "101")],
)
@pytest.mark.parametrize("played", ["not_sent", "sent"])
async def test_codes_that_do_not_say_whether_it_left_r24_r33(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    numero: str,
    point: str,
    *,
    code: str,
    played: str,
) -> None:
    """-2 and 101 answer the same whether the message left or not: the reading decides."""
    simulator.play(**{f"sms123__{point}": played})
    assert await code_of(simulator, session, "send/", send_params(numero=numero)) == code
    sent = played == "sent"
    assert len(simulator.sim.state.messages) == (1 if sent else 0)
    assert account(simulator).credits == (99 if sent else 100)


@pytest.mark.parametrize(
    ("point", "played", "scheduled_first", "code", "statuses"),
    [
        # R26: the cancel matches the message scheduled first.
        ("cancel_answer", "documented", True, "94", ["canceled"]),
        ("cancel_answer", "technical_error", True, "-2", ["scheduled"]),
        ("cancel_answer", "undocumented", True, "99", ["canceled"]),
        ("cancel_answer", "unreadable", True, "OK", ["canceled"]),
        # R21: the cancel matches no message.
        ("cancel_mismatch", "refuse", False, "95", []),
        ("cancel_mismatch", "schedule", False, "81", ["scheduled"]),
        ("cancel_mismatch", "send", False, "80", ["queued"]),
    ],
)
async def test_cancel_under_each_reading(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    point: str,
    played: str,
    *,
    scheduled_first: bool,
    code: str,
    statuses: list[str],
) -> None:
    """What a cancel (``diff`` + ``s``) answers and leaves, with or without a message to match."""
    simulator.play(**{f"sms123__{point}": played})
    diff = diff_in(3)
    if scheduled_first:
        assert await code_of(simulator, session, "send/", send_params(diff=diff)) == "81"

    assert await code_of(simulator, session, "send/", send_params(diff=f"{diff}s")) == code

    assert [message.status for message in simulator.sim.state.messages.values()] == statuses


async def test_a_cancel_matches_the_message_a_mismatched_cancel_scheduled(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """R21 read as "schedule": the next cancel of that date matches the new message."""
    simulator.play(sms123__cancel_mismatch="schedule")
    cancel = send_params(diff=f"{diff_in(2)}s")

    assert await code_of(simulator, session, "send/", cancel) == "81"
    assert await code_of(simulator, session, "send/", cancel) == "94"


@pytest.mark.parametrize("body", ["json", "bare", "xml"])
async def test_reply_body_reading(
    simulator: RunningSimulator, session: aiohttp.ClientSession, body: str
) -> None:
    simulator.play(sms123__reply_body=body)
    url = f"{simulator.api_url('sms123')}solde/"
    async with session.post(url, json=DEMO, headers={"Accept": JSON}) as response:
        text = await response.text()
    expected = {"json": JSON, "bare": "text/plain", "xml": XML}[body]
    assert response.content_type == expected
    assert "100" in text


@pytest.mark.parametrize(
    ("reading", "params", "opens"),
    [
        ("separate", {"email": "demo@example.com", "pass": "demo-web-password"}, True),
        ("separate", {"email": "demo@example.com", "pass": "demo-password"}, False),
        ("separate", {"user": "demo@example.com", "cleAPI": "demo-password"}, False),
        ("separate", {"user": "demo", "cleAPI": "demo-web-password"}, False),
        ("email_login", {"user": "demo@example.com", "cleAPI": "demo-password"}, True),
        ("email_login", {"email": "demo@example.com", "pass": "demo-password"}, False),
        ("shared", {"email": "demo@example.com", "pass": "demo-password"}, True),
        ("shared", {"email": "demo@example.com", "pass": "demo-web-password"}, True),
        ("shared", {"user": "demo@example.com", "cleAPI": "demo-password"}, False),
    ],
)
async def test_credentials_reading(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    params: dict[str, str],
    opens: bool,
) -> None:
    simulator.play(sms123__credentials=reading)

    code = await code_of(simulator, session, "solde/", params)

    assert (code != "E505") is opens
    assert await code_of(simulator, session, "solde/", DEMO) == "100"


@pytest.mark.parametrize(
    ("point", "reading", "params", "code"),
    [
        ("sender", "alphanumeric", {"senderid": "My Home"}, "97"),
        ("sender", "alphanumeric", {"senderid": "+Maison"}, "97"),
        ("sender", "alphanumeric", {"senderid": "Maison"}, "80"),
        ("test_value", "both", {"test": "o"}, "92"),
        ("test_value", "both", {"test": "0"}, "92"),
        ("test_value", "o", {"test": "0"}, "80"),
        ("test_value", "0", {"test": "o"}, "80"),
        ("test_value", "0", {"test": "0"}, "92"),
        ("numero", "any", {"numero": "0612345678"}, "80"),
        ("numero", "any", {"numero": "+33612345678"}, "80"),
        ("numero", "international", {"numero": "33612345678"}, "80"),
        ("numero", "international", {"numero": "+33612345678"}, "84"),
        ("numero", "international", {"numero": "0612345678"}, "84"),
        ("numero", "national", {"numero": "0612345678"}, "80"),
        ("numero", "national", {"numero": "33612345678"}, "84"),
    ],
)
async def test_send_code_under_each_reading(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    point: str,
    reading: str,
    params: dict[str, str],
    *,
    code: str,
) -> None:
    """The sender (R27), the value of ``test`` and the form of ``numero``: each reading's code."""
    simulator.play(**{f"sms123__{point}": reading})

    assert await code_of(simulator, session, "send/", send_params(**params)) == code


async def test_diff_timezone_reading(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.play(sms123__diff_timezone="utc")
    when = datetime.now(PARIS) + timedelta(hours=3)

    params = send_params(diff=when.strftime("%H%M%d%m%Y"))
    assert await code_of(simulator, session, "send/", params) == "81"

    (message,) = simulator.sim.state.messages.values()
    assert message.scheduled_at is not None
    assert message.scheduled_at.utcoffset() == timedelta(0)
    assert message.scheduled_at.strftime("%H%M") == when.strftime("%H%M")
