"""The NetOxygen simulator, spoken to in raw XML-RPC as the doc's own clients do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
import uuid
import xmlrpc.client

import aiohttp
import pytest

from simulator.netoxygen import (
    FAULT_AUTH,
    FAULT_CREDITS,
    FAULT_METHOD,
    FAULT_PARAMS,
    FAULT_PARSE,
    FAULT_REQUEST,
    ZURICH,
)
from tests.conftest import RunningSimulator

PATH = "/netoxygen/api2/"
DEMO = ("demo", "demo-password")
WRONG = ("demo", "wrong")

# The request of the doc's PHP example (PEAR XML_RPC): a bare string dest, four parameters.
PHP_EXAMPLE = b"""<?xml version="1.0"?>
<methodCall>
<methodName>send_message</methodName>
<params>
<param><value><string>demo</string></value></param>
<param><value><string>demo-password</string></value></param>
<param><value><string>0792223344</string></value></param>
<param><value><string>test message</string></value></param>
</params>
</methodCall>"""


async def post(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    body: bytes,
    content_type: str = "text/xml",
) -> Any:
    """POST a raw body; the single result, or the fault raised."""
    async with session.post(
        simulator.api_url("netoxygen"), data=body, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/xml"
        reply = await response.read()
    params, _ = xmlrpc.client.loads(reply)
    return params[0]


async def call(
    simulator: RunningSimulator, session: aiohttp.ClientSession, method: str, *params: Any
) -> Any:
    return await post(simulator, session, xmlrpc.client.dumps(params, method).encode())


async def send_message(
    simulator: RunningSimulator, session: aiohttp.ClientSession, *params: Any
) -> Any:
    """``send_message`` from the demo account: the destinations, the text, any further parameter."""
    return await call(simulator, session, "send_message", *DEMO, *params)


async def fault_of(
    simulator: RunningSimulator, session: aiohttp.ClientSession, method: str, *params: Any
) -> int:
    with pytest.raises(xmlrpc.client.Fault) as err:
        await call(simulator, session, method, *params)
    return int(err.value.faultCode)


def credits_of(simulator: RunningSimulator, username: str = "demo") -> float:
    return simulator.sim.state.accounts[("netoxygen", username)].credits


def test_demo_accounts(simulator: RunningSimulator) -> None:
    accounts = simulator.sim.state.accounts
    demo = accounts[("netoxygen", "demo")]
    assert (demo.password, demo.credits, demo.extra["status"]) == ("demo-password", 100, "regular")
    assert accounts[("netoxygen", "empty")].credits == 0
    assert accounts[("netoxygen", "free")].extra["status"] == "free"


async def test_php_example_request(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    rows = await post(simulator, session, PHP_EXAMPLE)
    ((destination, status, message_id),) = rows
    assert (destination, status) == ("41792223344", 1)
    message = simulator.sim.state.messages[message_id]
    assert (message.recipient, message.text, message.status) == (
        "41792223344",
        "test message",
        "queued",
    )
    assert message.sender == "textobox.ch"  # the doc: no default set, textobox.ch
    assert credits_of(simulator) == 99


async def test_perl_example_base64_parameters(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The doc's fuller Perl script sends dest and message as UTF-8 base64."""
    dest = xmlrpc.client.Binary(b"+41792223344")
    text = xmlrpc.client.Binary("Grüezi".encode())
    ((_, status, message_id),) = await send_message(simulator, session, dest, text)
    assert status == 1
    assert simulator.sim.state.messages[message_id].text == "Grüezi"
    bad = xmlrpc.client.Binary(b"\xff\xfe")
    assert await fault_of(simulator, session, "send_message", *DEMO, bad, "x") == FAULT_PARAMS


@pytest.mark.parametrize(
    "number", ["0792223344", "+41792223344", "0041792223344", "41792223344", "079 222 33 44"]
)
async def test_number_forms(
    simulator: RunningSimulator, session: aiohttp.ClientSession, number: str
) -> None:
    ((destination, status, message_id),) = await send_message(simulator, session, [number], "hi")
    assert (destination, status) == ("41792223344", 1)
    assert simulator.sim.state.messages[message_id].recipient == "41792223344"


@pytest.mark.parametrize(
    ("number", "cleaned"),
    [
        ("022/364 8000", "41223648000"),
        ("+33 6 12 34 56 78", "33612345678"),
        ("0041 79 222 33 44", "41792223344"),
        ("(022) 364 80 00", "41223648000"),
        ("call me", ""),
        ("+", ""),
        ("0792", ""),
        ("", ""),
        ("+41-79x", ""),
    ],
)
async def test_clean_number(
    simulator: RunningSimulator, session: aiohttp.ClientSession, number: str, cleaned: str
) -> None:
    assert await call(simulator, session, "clean_number", *DEMO, number) == cleaned


async def test_one_request_many_rows(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    rows = await send_message(simulator, session, ["0791234567", "0781234567"], "a" * 200)
    assert [row[:2] for row in rows] == [["41791234567", 1], ["41781234567", 1]]
    assert rows[0][2] != rows[1][2]
    # Two parts of 153 septets, for each of two recipients.
    assert credits_of(simulator) == 96
    assert {m.segments for m in simulator.sim.state.messages.values()} == {2}
    assert len(simulator.requests(PATH)) == 1


async def test_unicode_parts_are_billed(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send_message(simulator, session, ["0791234567"], "ç" * 71)
    assert credits_of(simulator) == 98


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (("0791239999", "hi", ""), 5),
        (("not a number", "hi", ""), 5),
        (("0791234567", "   ", ""), 7),
        (("0791234567", "a" * 1531, ""), 8),
        (("0791234567", "ç" * 671, ""), 8),
    ],
)
async def test_refused_rows(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    send: tuple[str, str, str],
    code: int,
) -> None:
    """Each refusal the doc lists, as a row of its own rather than a fault."""
    dest, message, sender = send
    ((_, status, error),) = await send_message(simulator, session, [dest], message, sender)
    assert (status, error) == (0, code)
    assert simulator.sim.state.messages == {}
    assert credits_of(simulator) == 100


@pytest.mark.parametrize(
    ("sender", "refused"),
    [("TwelveLetter", True), ("My-Shop", True), ("+41791234567890123", True), ("+12", False)],
)
async def test_sender_rules_r27(
    simulator: RunningSimulator, session: aiohttp.ClientSession, sender: str, *, refused: bool
) -> None:
    """R27: the doc sets no rule (any sender taken); network_rule plays error 6."""
    ((_, status, _),) = await send_message(simulator, session, ["0791234567"], "hi", sender)
    assert status == 1
    simulator.play(netoxygen__sender="network_rule")
    ((_, status, error),) = await send_message(simulator, session, ["0791234568"], "hi", sender)
    assert (status, error) == ((0, 6) if refused else (1, error))


async def test_the_default_sender_when_the_account_may_not_choose(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The doc: not allowed to change the sender, the default one is used."""
    simulator.sim.state.accounts[("netoxygen", "demo")].extra["fixed_sender"] = True
    ((_, status, message_id),) = await send_message(
        simulator, session, ["0791234567"], "hi", "textobox.ch.example"
    )
    assert status == 1
    assert simulator.sim.state.messages[message_id].sender == "textobox.ch"


@pytest.mark.parametrize("sender", ["HomeAlarm", "+41791234567", "0791234567"])
async def test_accepted_senders(
    simulator: RunningSimulator, session: aiohttp.ClientSession, sender: str
) -> None:
    ((_, status, message_id),) = await send_message(
        simulator, session, ["0791234567"], "a" * 1530, sender
    )
    assert status == 1
    assert simulator.sim.state.messages[message_id].sender == sender
    assert credits_of(simulator) == 90


async def test_refused_and_accepted_in_one_call(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    rows = await send_message(simulator, session, ["0791239999", "0791234567"], "x")
    assert rows[0] == ["41791239999", 0, 5]
    assert rows[1][:2] == ["41791234567", 1]
    assert list(simulator.sim.state.messages) == [rows[1][2]]
    assert credits_of(simulator) == 99


async def test_no_credits_is_a_fault(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    empty = ("empty", "empty-password")
    assert await fault_of(simulator, session, "send_message", *empty, "0791234567", "x") == (
        FAULT_CREDITS
    )
    assert simulator.sim.state.messages == {}
    # Not enough for every recipient: nothing is sent.
    simulator.sim.state.accounts[("netoxygen", "demo")].credits = 1
    code = await fault_of(simulator, session, "send_message", *DEMO, ["0791234567"] * 2, "x")
    assert code == FAULT_CREDITS
    assert credits_of(simulator) == 1
    assert simulator.sim.state.messages == {}


async def test_bad_credentials(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    assert await call(simulator, session, "auth", *DEMO) is True
    assert await call(simulator, session, "auth", *WRONG) is False
    assert await call(simulator, session, "auth", "nobody", "x") is False
    for method in ("get_credits", "get_guid", "account_status"):
        assert await call(simulator, session, method, *WRONG) is False
    for method, extra in (
        ("send_message", ("0791234567", "x")),
        ("clean_number", ("0791234567",)),
        ("get_status", (["1"],)),
        ("cancel_message", (["1"],)),
    ):
        assert await fault_of(simulator, session, method, *WRONG, *extra) == FAULT_AUTH
    assert simulator.sim.state.messages == {}


async def test_account_calls(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    assert await call(simulator, session, "get_credits", *DEMO) == 100
    assert await call(simulator, session, "account_status", *DEMO) == "regular"
    assert await call(simulator, session, "account_status", "free", "free-password") == "free"
    guid = await call(simulator, session, "get_guid", *DEMO)
    assert str(uuid.UUID(guid)) == guid
    assert await call(simulator, session, "get_guid", *DEMO) == guid
    assert await call(simulator, session, "get_guid", "free", "free-password") != guid
    simulator.sim.state.accounts[("netoxygen", "demo")].credits = -3
    assert await call(simulator, session, "get_credits", *DEMO) == -3


async def test_scheduled_message_lifecycle(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    when = (datetime.now(ZURICH) + timedelta(days=1)).replace(microsecond=0)
    wire = when.strftime("%Y-%m-%d %H:%M:%S")
    ((_, status, message_id),) = await send_message(
        simulator, session, ["0791234567"], "later", "", wire, "flash"
    )
    assert status == 9  # "Pending: the message is scheduled"
    message = simulator.sim.state.messages[message_id]
    assert (message.status, message.scheduled_at, message.extra["type"]) == (
        "scheduled",
        when,
        "flash",
    )
    ((_, info),) = await call(simulator, session, "get_status", *DEMO, [message_id])
    assert (info["sent_status"], info["last_status"], info["sent_date"]) == (9, 9, wire)
    assert info["sent_status_text"] == "Pending"
    assert info["last_status_text"] == "Message scheduled"
    assert (info["from"], info["to"], info["length"]) == ("textobox.ch", "41791234567", 5)

    await simulator.sim.advance()  # not its time yet
    assert message.status == "scheduled"

    assert credits_of(simulator) == 99
    assert await call(simulator, session, "cancel_message", *DEMO, [message_id]) == [
        [message_id, True]
    ]
    assert credits_of(simulator) == 100
    ((_, info),) = await call(simulator, session, "get_status", *DEMO, message_id)
    assert (info["sent_status"], info["sent_status_text"]) == (10, "Message canceled")
    assert await call(simulator, session, "cancel_message", *DEMO, message_id) == [
        [message_id, False]
    ]


@pytest.mark.parametrize(
    "date",
    [
        "2001-01-01 00:00:00",
        "tomorrow",
        "",
        xmlrpc.client.DateTime("20010101T00:00:00"),
    ],
)
async def test_past_or_invalid_date_sends_now(
    simulator: RunningSimulator, session: aiohttp.ClientSession, date: Any
) -> None:
    ((_, status, message_id),) = await send_message(
        simulator, session, ["0791234567"], "now", "", date
    )
    assert status == 1
    assert simulator.sim.state.messages[message_id].status == "queued"
    assert await call(simulator, session, "cancel_message", *DEMO, [message_id]) == [
        [message_id, False]
    ]


async def test_scheduled_by_xmlrpc_datetime(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    when = (datetime.now(ZURICH) + timedelta(days=1)).replace(microsecond=0)
    stamp = xmlrpc.client.DateTime(when.replace(tzinfo=None))
    ((_, status, message_id),) = await send_message(
        simulator, session, ["0791234567"], "x", "", stamp
    )
    assert status == 9
    assert simulator.sim.state.messages[message_id].scheduled_at == when


async def test_status_follows_the_lifecycle(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    rows = await send_message(
        simulator, session, ["0791234567", "0791230000", "0791237777"], "x", "HomeAlarm"
    )
    ids = [row[2] for row in rows]

    async def codes() -> list[tuple[int, int]]:
        answer = await call(simulator, session, "get_status", *DEMO, ids)
        assert [row[0] for row in answer] == ids
        return [(info["sent_status"], info["last_status"]) for _, info in answer]

    assert await codes() == [(1, 8)] * 3
    await simulator.sim.advance()
    assert await codes() == [(1, 3)] * 3
    await simulator.sim.advance()
    assert await codes() == [(1, 1), (1, 5), (1, 6)]
    ((_, info),) = await call(simulator, session, "get_status", *DEMO, ids[0])
    assert info["from"] == "HomeAlarm"
    delivered_at = simulator.sim.state.messages[ids[0]].delivered_at
    assert delivered_at is not None
    assert info["last_date"] == delivered_at.astimezone(ZURICH).strftime("%Y-%m-%d %H:%M:%S")


async def test_ids_of_nobody_or_of_another_account(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    ((_, _, message_id),) = await call(
        simulator, session, "send_message", "free", "free-password", ["0791234567"], "x"
    )
    answer = await call(simulator, session, "get_status", *DEMO, [message_id, "999", 5])
    assert answer == [[message_id, False], ["999", False], ["5", False]]
    assert await call(simulator, session, "cancel_message", *DEMO, [message_id]) == [
        [message_id, False]
    ]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("send_message", (*DEMO, "0791234567")),  # message missing
        ("send_message", (*DEMO, "0791234567", "x", "", "", "text", "extra")),
        ("auth", (*DEMO, "extra")),
        ("auth", ("demo",)),
        ("get_status", DEMO),
        ("auth", (1, "demo-password")),
        ("send_message", (*DEMO, [], "x")),
        ("send_message", (*DEMO, [1.5], "x")),
        ("send_message", (*DEMO, "0791234567", 42)),
        ("send_message", (*DEMO, "0791234567", "x", "", "", "mms")),
        ("clean_number", (*DEMO, ["0791234567"])),
        ("cancel_message", (*DEMO, {"id": "1"})),
    ],
)
async def test_wrong_parameters_are_faults(
    simulator: RunningSimulator, session: aiohttp.ClientSession, method: str, params: Any
) -> None:
    assert await fault_of(simulator, session, method, *params) == FAULT_PARAMS
    assert simulator.sim.state.messages == {}


async def test_unknown_method(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    assert await fault_of(simulator, session, "send_sms", *DEMO) == FAULT_METHOD


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>" + PHP_EXAMPLE[22:],
            "text/xml",
            FAULT_PARSE,
        ),
        (b"send_message demo demo-password", "text/xml", FAULT_PARSE),
        (PHP_EXAMPLE.replace(b"test message", b"x" * 300_000), "text/xml", FAULT_PARSE),
        (PHP_EXAMPLE, "application/x-www-form-urlencoded", FAULT_REQUEST),
        (xmlrpc.client.dumps(("x",), methodresponse=True).encode(), "text/xml", FAULT_REQUEST),
    ],
)
async def test_refused_bodies(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    body: bytes,
    content_type: str,
    code: int,
) -> None:
    with pytest.raises(xmlrpc.client.Fault) as err:
        await post(simulator, session, body, content_type)
    assert err.value.faultCode == code
    assert simulator.sim.state.messages == {}


async def test_account_added_through_the_control_api(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{simulator.base_url}/_control/accounts",
        json={"provider": "netoxygen", "username": "shop", "password": "s3cret", "credits": 7},
    ) as response:
        assert response.status == 200
    assert await call(simulator, session, "get_credits", "shop", "s3cret") == 7
    assert await call(simulator, session, "account_status", "shop", "s3cret") == "regular"
    guid = await call(simulator, session, "get_guid", "shop", "s3cret")
    assert guid == str(uuid.uuid5(uuid.NAMESPACE_URL, "netoxygen:shop"))


# --- the readings the doc leaves open (READINGS.md R1 to R8) -----------------------------------


async def test_reading_false_answer(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert isinstance(await call(simulator, session, "get_credits", *DEMO), int)
    simulator.play(netoxygen__false_answer="no_value")
    assert await call(simulator, session, "auth", *DEMO) is True
    assert await call(simulator, session, "get_credits", *DEMO) is False
    assert await call(simulator, session, "get_guid", *DEMO) is False
    assert await call(simulator, session, "account_status", *DEMO) == "regular"


async def test_reading_fault_texts(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.play(netoxygen__fault_texts="misleading")
    with pytest.raises(xmlrpc.client.Fault) as wrong:
        await call(simulator, session, "send_message", *WRONG, "0791234567", "x")
    assert (wrong.value.faultCode, wrong.value.faultString) == (FAULT_AUTH, "Error")
    with pytest.raises(xmlrpc.client.Fault) as empty:
        await call(simulator, session, "send_message", "empty", "empty-password", "0791234567", "x")
    assert "Authentication" in empty.value.faultString
    assert empty.value.faultCode == FAULT_CREDITS


@pytest.mark.parametrize(
    ("reading", "sent", "refused"),
    [("zero_code", 1, [0, 5]), ("code", 1, [5, ""]), ("perl", 2, [0, 5])],
)
async def test_reading_send_status(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    sent: int,
    refused: list[Any],
) -> None:
    simulator.play(netoxygen__send_status=reading)
    ok, bad = await send_message(simulator, session, ["0791234567", "0791239999"], "x")
    assert ok[:2] == ["41791234567", sent]
    assert ok[2] in simulator.sim.state.messages
    assert bad[1:] == refused


@pytest.mark.parametrize(
    ("reading", "answer"), [("empty", ""), ("false", False), ("echo", "call me")]
)
async def test_reading_clean_number_failure(
    simulator: RunningSimulator, session: aiohttp.ClientSession, reading: str, answer: Any
) -> None:
    simulator.play(netoxygen__clean_number_failure=reading)
    assert await call(simulator, session, "clean_number", *DEMO, "call me") == answer
    assert await call(simulator, session, "clean_number", *DEMO, "022 364 80 00") == ("41223648000")


async def test_reading_clean_number_fault(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.play(netoxygen__clean_number_failure="fault")
    assert await fault_of(simulator, session, "clean_number", *DEMO, "call me") == FAULT_PARAMS


@pytest.mark.parametrize(
    ("reading", "length", "status"),
    [("ten_parts", 1531, 0), ("unlimited", 5000, 1), ("one_part", 161, 0), ("one_part", 160, 1)],
)
async def test_reading_max_length(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    length: int,
    status: int,
) -> None:
    simulator.play(netoxygen__max_length=reading)
    ((_, answered, third),) = await send_message(simulator, session, ["0791234567"], "a" * length)
    assert answered == status
    if not status:
        assert third == 8


@pytest.mark.parametrize(
    ("reading", "status_rows", "cancel_rows"),
    [
        ("false_row", [["999", False]], [["999", False]]),
        ("empty_struct", [["999", {}]], [["999", False]]),
        ("no_row", [], []),
    ],
)
async def test_reading_unknown_id(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    status_rows: list[Any],
    cancel_rows: list[Any],
) -> None:
    simulator.play(netoxygen__unknown_id=reading)
    assert await call(simulator, session, "get_status", *DEMO, ["999"]) == status_rows
    assert await call(simulator, session, "cancel_message", *DEMO, ["999"]) == cancel_rows


async def test_reading_unknown_id_fault(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """A fault for the whole call: nothing is cancelled, even the ids it knows."""
    simulator.play(netoxygen__unknown_id="fault")
    later = (datetime.now(ZURICH) + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    ((_, _, message_id),) = await send_message(simulator, session, ["0791234567"], "x", "", later)
    assert await fault_of(simulator, session, "get_status", *DEMO, [message_id, "9"]) == (
        FAULT_PARAMS
    )
    assert await fault_of(simulator, session, "cancel_message", *DEMO, [message_id, "9"]) == (
        FAULT_PARAMS
    )
    assert simulator.sim.state.messages[message_id].status == "scheduled"


async def test_reading_string_encoding(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """latin1: a <string> is read as a server that does not decode UTF-8; base64 is UTF-8."""
    simulator.play(netoxygen__string_encoding="latin1")
    ((_, _, as_string),) = await send_message(simulator, session, ["0791234567"], "Grüezi")
    assert simulator.sim.state.messages[as_string].text == "GrÃ¼ezi"
    text = xmlrpc.client.Binary("Grüezi".encode())
    ((_, _, as_base64),) = await send_message(simulator, session, ["0791234567"], text)
    assert simulator.sim.state.messages[as_base64].text == "Grüezi"


async def test_reading_dest_type(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """int: dest read as a number, so a national number loses its 0 and is another one."""
    simulator.play(netoxygen__dest_type="int")
    ((national, _, _), (international, _, _)) = await send_message(
        simulator, session, ["0791234567", "41791234567"], "x"
    )
    assert national == "791234567"
    assert international == "41791234567"


def test_readings_are_listed_by_help(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.__main__ import main  # noqa: PLC0415

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for name in (
        "netoxygen.send_status = zero_code | code | perl",
        "netoxygen.false_answer",
        "netoxygen.fault_texts",
        "netoxygen.clean_number_failure = empty | false | fault | echo",
        "netoxygen.max_length",
        "netoxygen.unknown_id = false_row | fault | empty_struct | no_row",
        "netoxygen.string_encoding = utf8 | latin1",
        "netoxygen.dest_type = string | int",
    ):
        assert name in listed
