"""The Mobyt simulator answers as the doc says, and refuses what the doc does not allow."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl, unquote_plus

import aiohttp
import pytest

from simulator.mobyt import credit_lines, message_length, segments
from simulator.state import PARIS, Account, SimInbound
from tests.conftest import RunningSimulator

DEMO = {"login": "demo", "password": "demo-password"}
FR_1 = "+33612345678"
FR_2 = "+33612345679"
IT_1 = "+393123456789"


async def call(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    path: str,
    fields: dict[str, str] | None = None,
    *,
    method: str = "POST",
) -> str:
    """One call to the simulator, fields as a form (POST) or a query string (GET)."""
    url = f"{simulator.api_url('mobyt')}{path}"
    data = {**DEMO, **(fields or {})}
    if method == "GET":
        async with session.get(url, params=data) as response:
            assert response.status == 200
            return await response.text()
    async with session.post(url, data=data) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        return await response.text()


def table(reply: str) -> list[list[str]]:
    assert reply.startswith("OK;")
    return [[unquote_plus(f) for f in row.split("|")] for row in reply[3:].split(";") if row]


def lines(simulator: RunningSimulator, username: str = "demo") -> list[list[object]]:
    return credit_lines(simulator.sim.state.accounts[("mobyt", username)])


async def send(simulator: RunningSimulator, session: aiohttp.ClientSession, **fields: str) -> str:
    """A SENDSMS; type N (the default) gets the sender it needs unless one is given."""
    form = {"message_type": "N", "recipient": FR_1, "message": "hello", **fields}
    if form["message_type"] == "N":
        form.setdefault("sender", "Maison")
    return await call(simulator, session, "Mobyt/SENDSMS", form)


# --- accounts and credits ----------------------------------------------------------------------


async def test_credits_as_lines(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert await call(simulator, session, "Mobyt/CREDITS") == "OK;N|FR|100;L|FR|100;EE||50"
    empty = {"login": "empty", "password": "empty-password"}
    assert await call(simulator, session, "Mobyt/CREDITS", empty) == "OK;N|FR|0;L|FR|0;EE||0"


@pytest.mark.parametrize("path", ["Mobyt/CREDITS", "Moby/CREDITS"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_get_post_and_the_moby_spelling(
    simulator: RunningSimulator, session: aiohttp.ClientSession, path: str, method: str
) -> None:
    reply = await call(simulator, session, path, method=method)
    assert reply.startswith("OK;N|FR|100")


async def test_login(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    bad = await call(simulator, session, "Mobyt/CREDITS", {"password": "nope"})
    assert bad == "KO|1|Invalid+login+or+password"
    url = f"{simulator.api_url('mobyt')}Mobyt/CREDITS"
    async with session.post(url, data={"login": "demo"}) as response:
        assert await response.text() == "KO|3|Missing+parameter%3A+password"


async def test_account_from_the_control_api_gets_lines(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.sim.state.add_account(Account("mobyt", "new", "pw", credits=7))
    reply = await call(simulator, session, "Mobyt/CREDITS", {"login": "new", "password": "pw"})
    assert reply == "OK;N|FR|7;L|FR|7;EE||7"


# --- sending -------------------------------------------------------------------------------


async def test_send_debits_the_matching_lines(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await send(
        simulator,
        session,
        recipient=f"{FR_1},0033612345679,{IT_1}",
        message="x" * 161,
        order_id="ORDER1",
        sender="Maison",
    )
    assert reply == "OK|ORDER1|3"
    assert lines(simulator) == [["N", "FR", 96], ["L", "FR", 100], ["EE", "", 48]]
    assert simulator.sim.state.accounts[("mobyt", "demo")].credits == 244
    messages = simulator.sim.state.messages
    assert sorted(messages) == [f"ORDER1:{FR_1}", f"ORDER1:{FR_2}", f"ORDER1:{IT_1}"]
    first = messages[f"ORDER1:{FR_1}"]
    assert (first.status, first.sender, first.segments, first.batch_id) == (
        "queued",
        "Maison",
        2,
        "ORDER1",
    )


async def test_send_with_return_credits(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await send(
        simulator, session, recipient=f"{FR_1},{FR_2}", message="x" * 200, returnCredits="true"
    )
    order_id, used = reply.removeprefix("OK|").split("|")
    assert order_id
    assert used == "4"
    [[_, _, left], *_] = lines(simulator)
    assert left == 96


async def test_type_l_is_debited_from_the_l_line(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, message_type="L")
    assert lines(simulator) == [["N", "FR", 100], ["L", "FR", 99], ["EE", "", 50]]


async def test_order_ids(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    long_id = "A" * 40
    assert await send(simulator, session, order_id=long_id) == f"OK|{'A' * 32}|1"
    assert (await send(simulator, session, order_id=long_id)).startswith("KO|3|")
    assert (await send(simulator, session, order_id="bad id")).startswith("KO|3|")
    generated = {(await send(simulator, session)).split("|")[1] for _ in range(3)}
    assert len(generated) == 3


@pytest.mark.parametrize("missing", ["message_type", "recipient", "message"])
async def test_send_without_a_required_field(
    simulator: RunningSimulator, session: aiohttp.ClientSession, missing: str
) -> None:
    fields = {"message_type": "N", "recipient": FR_1, "message": "hello"}
    del fields[missing]
    reply = await call(simulator, session, "Mobyt/SENDSMS", fields)
    assert reply == f"KO|3|Missing+parameter%3A+{missing}"
    assert simulator.sim.state.messages == {}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"message_type": "GS"}, "7"),
        ({"recipient": "0612345678"}, "4"),
        ({"recipient": "+3361"}, "4"),
        ({"recipient": f"{FR_1},"}, "4"),
        ({"recipient": f"{FR_1},+33612349999"}, "4"),
        ({"message_type": "L", "sender": "Maison"}, "5"),
        ({"sender": "TwelveLetter"}, "5"),
        ({"sender": "Bad!"}, "5"),
        ({"sender": "My Home"}, "5"),
        ({"sender": "My-Home"}, "5"),
        ({"sender": "+336123456789"}, "5"),
        ({"sender": "003361234567"}, "5"),
        ({"sender": ""}, "5"),
        ({"message": "€" * 500 + "x"}, "6"),
        ({"scheduled_delivery_time": "2030-01-01"}, "8"),
        ({"scheduled_delivery_time": "20301301000000"}, "8"),
    ],
)
async def test_send_refused(
    simulator: RunningSimulator, session: aiohttp.ClientSession, fields: dict[str, str], code: str
) -> None:
    reply = await send(simulator, session, **fields)
    assert reply.startswith(f"KO|{code}|")
    assert simulator.sim.state.messages == {}
    assert lines(simulator)[0] == ["N", "FR", 100]


async def test_sms_top_needs_a_sender(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    fields = {"message_type": "N", "recipient": FR_1, "message": "hello"}
    reply = await call(simulator, session, "Mobyt/SENDSMS", fields)
    assert unquote_plus(reply) == "KO|5|Missing sender: SMS Top (N) needs a sender"
    assert simulator.sim.state.messages == {}
    assert (await send(simulator, session, message_type="L")).startswith("OK|")


@pytest.mark.parametrize("sender", ["Maison", "Nom2Societe", "+33612345678", "33612345678"])
async def test_senders_mobyt_takes(
    simulator: RunningSimulator, session: aiohttp.ClientSession, sender: str
) -> None:
    assert (await send(simulator, session, sender=sender)).startswith("OK|")
    [message] = simulator.sim.state.messages.values()
    assert message.sender == sender


async def test_refused_recipients_are_named(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await send(simulator, session, recipient=f"+33612349999,{FR_1},0612345678")
    assert unquote_plus(reply) == "KO|4|Invalid recipient: +33612349999,0612345678"


async def test_message_of_1000_counted_characters_is_accepted(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert message_length("€" * 500) == 1000
    assert segments("€" * 500) == 7
    assert (await send(simulator, session, message="€" * 500)).endswith("|1")
    assert lines(simulator)[0] == ["N", "FR", 93]


async def test_not_enough_credits_refuses_the_whole_request(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    recipients = ",".join(f"+336123456{n:02d}" for n in range(15))
    reply = await send(simulator, session, recipient=recipients, message="x" * 1000)
    assert reply.startswith("KO|2|")
    assert simulator.sim.state.messages == {}
    assert lines(simulator)[0] == ["N", "FR", 100]
    empty = {"login": "empty", "password": "empty-password"}
    fields = {"message_type": "N", "recipient": FR_1, "message": "hi", "sender": "S", **empty}
    assert (await call(simulator, session, "Mobyt/SENDSMS", fields)).startswith("KO|2|")


async def test_no_line_for_the_destination(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.sim.state.add_account(
        Account("mobyt", "fr-only", "pw", extra={"lines": [["N", "FR", 10]]})
    )
    fields = {"message_type": "N", "recipient": IT_1, "message": "hi", "sender": "S"}
    fields["login"] = "fr-only"
    reply = await call(simulator, session, "Mobyt/SENDSMS", {**fields, "password": "pw"})
    assert unquote_plus(reply) == "KO|2|Not enough credits: no N credits for IT"


# --- status, cancel, history -----------------------------------------------------------------


async def test_status_follows_the_lifecycle(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, recipient=f"{FR_1},+33612340000,+33612347777", order_id="O1")

    async def status() -> list[list[str]]:
        return table(await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "O1"}))

    assert [row[1] for row in await status()] == ["WAITING"] * 3
    await simulator.sim.advance()
    assert [row[1] for row in await status()] == ["WAIT4DLVR"] * 3
    await simulator.sim.advance()
    rows = await status()
    assert [row[:2] for row in rows] == [
        [FR_1, "DLVRD"],
        ["+33612340000", "ERROR"],
        ["+33612347777", "TIMEOUT"],
    ]
    delivered = datetime.strptime(rows[0][2], "%Y%m%d%H%M%S").replace(tzinfo=PARIS)
    assert abs(delivered - datetime.now(PARIS)) < timedelta(minutes=1)
    assert rows[1][2] == rows[2][2] == ""
    raw = await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "O1"})
    assert raw.startswith("OK;%2B33612345678|DLVRD|")
    assert raw.endswith(";")


async def test_status_refusals(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    assert (await call(simulator, session, "Mobyt/SMSSTATUS")).startswith("KO|3|")
    reply = await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "NOPE"})
    assert reply == "KO|9|Order+not+found%3A+NOPE"


async def test_a_status_in_mobyt_words_is_reported_as_is(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, order_id="O2")
    simulator.sim.state.messages[f"O2:{FR_1}"].status = "BLACKLISTED"
    reply = await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "O2"})
    assert reply == "OK;%2B33612345678|BLACKLISTED|;"


async def test_remove_delayed(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    later = (datetime.now(PARIS) + timedelta(days=1)).strftime("%Y%m%d%H%M%S")
    await send(simulator, session, order_id="LATER", scheduled_delivery_time=later)
    status = await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "LATER"})
    assert status == "OK;%2B33612345678|SCHEDULED|;"
    await simulator.sim.advance()
    assert simulator.sim.state.messages[f"LATER:{FR_1}"].status == "scheduled"

    assert await call(simulator, session, "Mobyt/REMOVE_DELAYED", {"order_id": "LATER"}) == "OK;"
    assert simulator.sim.state.messages[f"LATER:{FR_1}"].status == "canceled"
    again = await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "LATER"})
    assert again.startswith("KO|9|")
    gone = await call(simulator, session, "Mobyt/REMOVE_DELAYED", {"order_id": "LATER"})
    assert gone.startswith("KO|9|")


async def test_remove_delayed_of_a_sent_order(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, order_id="NOW")
    reply = await call(simulator, session, "Mobyt/REMOVE_DELAYED", {"order_id": "NOW"})
    assert reply.startswith("KO|10|")
    assert simulator.sim.state.messages[f"NOW:{FR_1}"].status == "queued"


async def test_a_past_scheduled_time_sends_now(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, order_id="PAST", scheduled_delivery_time="20200101000000")
    assert simulator.sim.state.messages[f"PAST:{FR_1}"].status == "queued"


async def test_history(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    await send(simulator, session, recipient=f"{FR_1},{FR_2}", order_id="H1", sender="Home")
    await send(
        simulator,
        session,
        order_id="H2",
        message_type="L",
        scheduled_delivery_time="20300601100000",
    )
    await send(simulator, session, order_id="H3", scheduled_delivery_time="20300601100000")
    await call(simulator, session, "Mobyt/REMOVE_DELAYED", {"order_id": "H3"})
    now = datetime.now(PARIS)
    window = {
        "from": (now - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
        "to": (now + timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
    }
    reply = await call(simulator, session, "Mobyt/SMSHISTORY", window)
    assert not reply.endswith(";")
    rows = table(reply)
    assert [[row[0], *row[2:]] for row in rows] == [
        ["H1", "N", "Home", "2", ""],
        ["H2", "L", "", "1", "20300601100000"],
    ]
    earlier = {"from": "20200101000000", "to": "20200102000000"}
    assert await call(simulator, session, "Mobyt/SMSHISTORY", earlier) == "OK;"
    missing = await call(simulator, session, "Mobyt/SMSHISTORY", {"from": "20200101000000"})
    assert missing == "KO|3|Missing+parameter%3A+to"


# --- received messages ------------------------------------------------------------------------


def _inbound(simulator: RunningSimulator, inbound_id: int, text: str, day: int) -> SimInbound:
    inbound = SimInbound(
        inbound_id=inbound_id,
        provider="mobyt",
        username="demo",
        sender="+336107654321",
        recipient="+336061234567",
        text=text,
        received_at=datetime(2009, 3, day, 11, 39, 10, tzinfo=PARIS),
    )
    simulator.sim.state.inbound.append(inbound)
    return inbound


async def test_inbound_polls(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    _inbound(simulator, 12345678, "hello world", 9)
    _inbound(simulator, 12345679, "second", 10)
    simulator.sim.state.inbound.append(
        SimInbound(1, "mobyt", "someone-else", "+1", "+2", "not yours", datetime.now(PARIS))
    )

    by_id = await call(simulator, session, "OESRs/SRHISTORYBYID", {"id": "12345677"})
    assert by_id == (
        "OK;12345678|%2B336061234567|%2B336107654321|hello+world|20090309113910|;"
        "12345679|%2B336061234567|%2B336107654321|second|20090310113910|;"
    )
    after = await call(simulator, session, "OESRs/SRHISTORYBYID", {"id": "12345678"})
    assert [row[0] for row in table(after)] == ["12345679"]
    bad = await call(simulator, session, "OESRs/SRHISTORYBYID", {"id": "-1"})
    assert bad.startswith("KO|3|")

    dates = {"date_from": "20090310000000", "date_to": "20090311000000"}
    history = await call(simulator, session, "OESRs/SRHISTORY", dates)
    assert [row[0] for row in table(history)] == ["12345679"]

    fresh = await call(simulator, session, "OESRs/SRNEWMESSAGES")
    assert [row[0] for row in table(fresh)] == ["12345678", "12345679"]
    assert await call(simulator, session, "OESRs/SRNEWMESSAGES") == "OK;"
    _inbound(simulator, 12345680, "third", 11)
    assert [row[0] for row in table(await call(simulator, session, "OESRs/SRNEWMESSAGES"))] == [
        "12345680"
    ]


async def test_inbound_injected_through_the_control_api_is_kept_and_pushed(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    url = f"{simulator.base_url}/_control/inbound"
    body = {
        "provider": "mobyt",
        "username": "demo",
        "sender": FR_1,
        "recipient": "+33612345680",
        "text": "stop please",
    }
    async with session.post(url, json=body) as response:
        answer = await response.json()
    assert answer["pushed"] is None  # no webhook set
    rows = table(await call(simulator, session, "OESRs/SRNEWMESSAGES"))
    assert [(row[0], row[3], row[5]) for row in rows] == [
        (str(answer["id"]), "stop please", "STOP")
    ]


# --- pushes ------------------------------------------------------------------------------------


def test_inbound_push_body(simulator: RunningSimulator) -> None:
    push = simulator.sim.providers["mobyt"].inbound_push(
        SimInbound(7, "mobyt", "demo", FR_1, "+33612345680", "hello world & co", _when())
    )
    assert push is not None
    assert push.content_type == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(push.body.decode())) == {
        "id": "7",
        "text": "hello world & co",
        "sender": FR_1,
        "recipient": "+33612345680",
        "delivery_date": "20300331033000",
    }


def _when() -> datetime:
    return datetime(2030, 3, 31, 3, 30, tzinfo=PARIS)


async def test_status_push_bodies(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    await send(simulator, session, order_id="P1")
    sim = simulator.sim.providers["mobyt"]
    message = simulator.sim.state.messages[f"P1:{FR_1}"]

    def form() -> dict[str, str]:
        push = sim.status_push(message)
        assert push is not None
        assert push.content_type == "application/x-www-form-urlencoded"
        return dict(parse_qsl(push.body.decode(), keep_blank_values=True))

    # The doc: delivery_date only for a message delivered without errors (DLVRD).
    assert form() == {"order_id": "P1", "recipient": FR_1, "status": "WAITING"}
    message.status, message.delivered_at = "failed", _when()
    assert form() == {"order_id": "P1", "recipient": FR_1, "status": "ERROR"}
    message.status = "expired"
    assert form() == {"order_id": "P1", "recipient": FR_1, "status": "TIMEOUT"}
    message.status = "delivered"
    assert form() == {
        "order_id": "P1",
        "recipient": FR_1,
        "status": "DLVRD",
        "delivery_date": "20300331033000",
    }
    message.status = "canceled"
    assert sim.status_push(message) is None


async def test_a_number_of_no_known_country_is_debited_abroad(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    assert (await send(simulator, session, recipient="+0001234567")).startswith("OK|")
    assert lines(simulator) == [["N", "FR", 100], ["L", "FR", 100], ["EE", "", 49]]


# --- R23 and R25: a KO executed for the good numbers, a history without ids, repeated lines ----


def _window() -> dict[str, str]:
    now = datetime.now(PARIS)
    return {
        "from": (now - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
        "to": (now + timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
    }


@pytest.mark.parametrize("bad_recipient", ["whole_order", "whole_order_unnamed"])
async def test_a_ko_executed_for_the_good_numbers(
    simulator: RunningSimulator, session: aiohttp.ClientSession, bad_recipient: str
) -> None:
    simulator.play(mobyt__ko_executed="good_numbers", mobyt__bad_recipient=bad_recipient)
    reply = await send(simulator, session, recipient=f"{FR_1},+33612349999", order_id="K1")
    assert reply.startswith("KO|4|")
    assert sorted(simulator.sim.state.messages) == [f"K1:{FR_1}"]
    assert lines(simulator)[0] == ["N", "FR", 99]
    history = table(await call(simulator, session, "Mobyt/SMSHISTORY", _window()))
    assert [row[0] for row in history] == ["K1"]
    status = table(await call(simulator, session, "Mobyt/SMSSTATUS", {"order_id": "K1"}))
    assert [row[:2] for row in status] == [[FR_1, "WAITING"]]


async def test_a_ko_not_executed_by_default(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    reply = await send(simulator, session, recipient=f"{FR_1},+33612349999", order_id="K2")
    assert reply.startswith("KO|4|")
    assert simulator.sim.state.messages == {}
    assert await call(simulator, session, "Mobyt/SMSHISTORY", _window()) == "OK;"


async def test_a_ko_for_other_reasons_is_never_executed(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """good_numbers plays only a KO about some numbers: a bad sender sends nothing."""
    simulator.play(mobyt__ko_executed="good_numbers")
    reply = await send(simulator, session, recipient=f"{FR_1},+33612349999", sender="Far too long")
    assert reply.startswith("KO|")
    assert simulator.sim.state.messages == {}


async def test_a_history_without_order_ids(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.play(mobyt__history_order_id="blank")
    await send(simulator, session, recipient=f"{FR_1},{FR_2}", order_id="B1", sender="Home")
    rows = table(await call(simulator, session, "Mobyt/SMSHISTORY", _window()))
    assert [[row[0], *row[2:]] for row in rows] == [["", "N", "Home", "2", ""]]


@pytest.mark.parametrize(
    ("reading", "listed", "after", "sent"),
    [
        # Two separate lines of 6: 12 credits, 7 taken from the first, then the second.
        ("separate", "OK;N|FR|6;N|FR|6;EE||0", "OK;N|FR|0;N|FR|5;EE||0", True),
        # One pool of 6 listed twice: 7 credits are too many.
        ("one_pool", "OK;N|FR|6;N|FR|6;EE||0", "OK;N|FR|6;N|FR|6;EE||0", False),
    ],
)
async def test_repeated_lines(  # noqa: PLR0917
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    reading: str,
    listed: str,
    after: str,
    sent: bool,
) -> None:
    simulator.play(mobyt__repeated_lines=reading)
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [["N", "FR", 6], ["N", "FR", 6], ["EE", "", 0]]
    assert await call(simulator, session, "Mobyt/CREDITS") == listed
    recipients = ",".join(f"+3361234{i:04d}" for i in range(1, 8))
    reply = await send(simulator, session, recipient=recipients)
    assert reply.startswith("OK|") is sent
    assert await call(simulator, session, "Mobyt/CREDITS") == after


async def test_one_pool_is_debited_once_and_shown_on_every_line(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The doc's own example: N|IT|37 three times, one pool of 37."""
    simulator.play(mobyt__repeated_lines="one_pool")
    account = simulator.sim.state.accounts[("mobyt", "demo")]
    account.extra["lines"] = [["N", "IT", 37], ["N", "IT", 37], ["N", "IT", 37], ["EE", "", 81]]
    await send(simulator, session, recipient=IT_1)
    assert await call(simulator, session, "Mobyt/CREDITS") == "OK;N|IT|36;N|IT|36;N|IT|36;EE||81"
    assert account.credits == 36 + 81
