"""The SMSFactor simulator, spoken to in raw HTTP as the doc describes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from lxml import etree
import pytest

from simulator.state import PARIS
from tests.conftest import RunningSimulator, serving

DEMO = ("demo@example.com", "demo-password")


def send_document(
    *,
    root: str = "sms",
    login: tuple[str, str] | None = DEMO,
    sender: str | None = "Maison",
    text: str | None = "Bonjour",
    recipients: Sequence[tuple[str, str]] = (("33612345678", "a1"),),
    **fields: str,
) -> str:
    """An apiV2.php document; a None part is left out."""
    document = etree.Element(root)
    if login is not None:
        authentication = etree.SubElement(document, "authentication")
        etree.SubElement(authentication, "username").text = login[0]
        etree.SubElement(authentication, "password").text = login[1]
    message = etree.SubElement(document, "message")
    for tag, value in (("sender", sender), ("text", text), *fields.items()):
        if value is not None:
            etree.SubElement(message, tag).text = value
    gsms = etree.SubElement(document, "recipients")
    for number, reference in recipients:
        etree.SubElement(gsms, "gsm", gsmsmsid=reference).text = number
    return etree.tostring(document, encoding="unicode")


def report_document(
    *tickets: tuple[str, str], root: str = "deliveryreport", login: tuple[str, str] = DEMO
) -> str:
    document = etree.Element(root)
    authentication = etree.SubElement(document, "authentication")
    etree.SubElement(authentication, "username").text = login[0]
    etree.SubElement(authentication, "password").text = login[1]
    message = etree.SubElement(document, "message")
    for ticket, reference in tickets:
        etree.SubElement(message, "ticket", gsmsmsid=reference).text = ticket
    return etree.tostring(document, encoding="unicode")


async def post(
    session: aiohttp.ClientSession,
    simulator: RunningSimulator,
    path: str,
    document: str,
    *,
    raw: bool = False,
) -> etree._Element:
    """POST a document (form field XML, or the raw body) and return the <response>."""
    url = f"{simulator.api_url('smsfactor')}{path}"
    options: dict[str, Any] = (
        {"data": document.encode(), "headers": {"Content-Type": "text/xml"}}
        if raw
        else {"data": {"XML": document}}
    )
    async with session.post(url, **options) as response:
        assert response.status == 200
        body = await response.read()
    answer = etree.fromstring(body)
    assert answer.tag == "response"
    return answer


async def send(
    session: aiohttp.ClientSession, simulator: RunningSimulator, *, raw: bool = False, **parts: Any
) -> etree._Element:
    """POST the apiV2.php document made of ``parts`` (those of ``send_document``)."""
    return await post(session, simulator, "apiV2.php", send_document(**parts), raw=raw)


def status_of(answer: etree._Element) -> int:
    return int(answer.findtext("status") or "0")


def credits_of(simulator: RunningSimulator, username: str = DEMO[0]) -> float:
    return simulator.sim.state.accounts[("smsfactor", username)].credits


async def test_demo_accounts(simulator: RunningSimulator) -> None:
    accounts = {
        (account.username, account.password): account.credits
        for account in simulator.sim.state.accounts.values()
        if account.provider == "smsfactor"
    }
    assert accounts == {DEMO: 100, ("empty@example.com", "empty-password"): 0}


async def test_send_as_form_field_or_raw_body(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    form = await send(session, simulator)
    raw = await send(session, simulator, raw=True)

    assert [status_of(form), status_of(raw)] == [1, 1]
    assert form.findtext("message") == "Message envoyé"
    assert form.findtext("ticket") != raw.findtext("ticket")
    assert [form.findtext("credits"), raw.findtext("credits")] == ["99", "98"]


async def test_send_records_every_recipient(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    recipients = [("33612345678", "a1"), ("33612345679", "a2"), ("33612345670", "a2")]
    answer = await send(session, simulator, recipients=recipients, isFlash="1")

    ticket = answer.findtext("ticket")
    messages = simulator.sim.state.messages
    assert sorted(messages) == sorted([f"{ticket}:a1", f"{ticket}:a2", f"{ticket}:#3"])
    first = messages[f"{ticket}:a1"]
    assert (first.recipient, first.sender, first.text, first.status) == (
        "33612345678",
        "Maison",
        "Bonjour",
        "queued",
    )
    assert first.batch_id == ticket
    assert first.extra["flash"] is True


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("ceci n'est pas du XML", id="not-xml"),
        pytest.param(
            '<!DOCTYPE sms [<!ENTITY x "y">]>' + send_document().replace("Bonjour", "&x;"),
            id="doctype",
        ),
        pytest.param(send_document(root="message"), id="wrong-root"),
        pytest.param(send_document(login=None), id="no-authentication"),
        pytest.param(send_document(text=None), id="no-text"),
        pytest.param(send_document(text="   "), id="blank-text"),
        pytest.param(send_document(sender=None), id="no-sender"),
        pytest.param(send_document(sender="MaisonAlarme"), id="sender-over-11"),
        pytest.param(send_document(text="x" * 1121), id="text-over-1120"),
        pytest.param(send_document(isFlash="oui"), id="bad-flash"),
        pytest.param(send_document(type="wap"), id="bad-type"),
        pytest.param(send_document(type="bookmark"), id="bookmark-without-link"),
        pytest.param(
            send_document().replace("<message>", "").replace("</message>", ""), id="no-message"
        ),
    ],
)
async def test_malformed_send_is_an_xml_error(
    simulator: RunningSimulator, session: aiohttp.ClientSession, document: str
) -> None:
    answer = await post(session, simulator, "apiV2.php", document)

    assert status_of(answer) == -2
    assert (answer.findtext("message") or "").startswith("Erreur XML")
    assert answer.find("ticket") is None
    assert simulator.sim.state.messages == {}
    assert credits_of(simulator) == 100


async def test_form_without_xml_field(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    url = f"{simulator.api_url('smsfactor')}apiV2.php"
    async with session.post(url, data={"xml": send_document()}) as response:
        assert response.status == 200
        answer = etree.fromstring(await response.read())
    assert status_of(answer) == -2


async def test_longest_text_is_accepted(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    answer = await send(session, simulator, text="x" * 1120)

    assert status_of(answer) == 1
    assert answer.findtext("credits") == "92"  # 1120 / 153 -> 8 parts


async def test_bad_login(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    answer = await send(session, simulator, login=("demo@example.com", "nope"))

    assert status_of(answer) == -1
    assert answer.findtext("message") == "Le login et le mot de passe ne correspondent pas."


async def test_credits_per_part_per_recipient(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    two = [("33612345678", "a"), ("33612345679", "b")]
    answer = await send(session, simulator, text="x" * 160, recipients=two)
    assert answer.findtext("credits") == "98"
    answer = await send(session, simulator, text="x" * 161, recipients=two)
    assert answer.findtext("credits") == "94"


async def test_not_enough_credits_sends_nothing(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.sim.state.accounts[("smsfactor", DEMO[0])].credits = 2
    long_text = send_document(text="x" * 200)  # two parts

    assert status_of(await post(session, simulator, "apiV2.php", long_text)) == 1
    assert credits_of(simulator) == 0
    answer = await send(session, simulator)
    assert status_of(answer) == -3
    assert answer.findtext("message") == "Le nombre de crédits n'est pas suffisant"
    assert len(simulator.sim.state.messages) == 1

    empty = send_document(login=("empty@example.com", "empty-password"))
    assert status_of(await post(session, simulator, "apiV2.php", empty)) == -3


@pytest.mark.parametrize("delay", ["2030-01-01 10:00:00", "2030-13-01T10:00:00", "demain", "1"])
async def test_bad_delay(
    simulator: RunningSimulator, session: aiohttp.ClientSession, delay: str
) -> None:
    answer = await send(session, simulator, delay=delay)

    assert status_of(answer) == -4
    assert simulator.sim.state.messages == {}


async def test_delay_in_paris_time(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    later = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=1)
    earlier = datetime.now(PARIS).replace(microsecond=0) - timedelta(days=1)
    await send(session, simulator, delay=f"{later:%Y-%m-%dT%H:%M:%S}")
    await send(session, simulator, delay=f"{earlier:%Y-%m-%dT%H:%M:%S}")

    scheduled, past = simulator.sim.state.messages.values()
    assert (scheduled.status, scheduled.scheduled_at) == ("scheduled", later)
    assert (past.status, past.scheduled_at) == ("queued", None)  # a past date: sent at once


@pytest.mark.parametrize(
    "recipients",
    [
        pytest.param([("33612345678", "a"), ("+33612345679", "b")], id="plus-sign"),
        pytest.param([("33612345678", "a"), ("33612349999", "b")], id="refused-number"),
        pytest.param([("06 12 34 56 78", "a")], id="spaces"),
        pytest.param([], id="none"),
    ],
)
async def test_bad_recipients(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    recipients: list[tuple[str, str]],
) -> None:
    answer = await send(session, simulator, recipients=recipients)

    assert status_of(answer) == -5
    assert answer.findtext("message") == "La liste des destinataires contient une erreur."
    assert simulator.sim.state.messages == {}
    assert credits_of(simulator) == 100


async def test_forced_answer(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    simulator.sim.state.accounts[("smsfactor", DEMO[0])].extra["answer_status"] = -8

    answer = await send(session, simulator)

    assert status_of(answer) == -8
    assert answer.findtext("message") == "Votre campagne est en cours de modération"
    assert simulator.sim.state.messages == {}


async def test_post_only(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    async with session.get(f"{simulator.api_url('smsfactor')}apiV2.php") as response:
        assert response.status == 405


# --- getDr.php -------------------------------------------------------------------------------


def rows(answer: etree._Element) -> list[tuple[str | None, str | None, str | None]]:
    return [(gsm.get("number"), gsm.get("gsmsmsid"), gsm.text) for gsm in answer.iter("gsm")]


async def test_delivery_reports_through_the_lifecycle(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    recipients = [("33612345678", "ok"), ("33612340000", "ko"), ("33612347777", "late")]
    sent = await send(session, simulator, recipients=recipients)
    ticket = sent.findtext("ticket") or ""

    async def report(reference: str) -> list[tuple[str | None, str | None, str | None]]:
        answer = await post(session, simulator, "getDr.php", report_document((ticket, reference)))
        assert status_of(answer) == 1
        return rows(answer)

    async def every_report() -> list[tuple[str | None, str | None, str | None]]:
        return [row for _, ref in recipients for row in await report(ref)]

    assert await every_report() == [(number, ref, "NOT_SENT") for number, ref in recipients]
    await simulator.sim.advance()
    assert await report("ko") == [("33612340000", "ko", "SENT")]
    await simulator.sim.advance()
    assert await every_report() == [
        ("33612345678", "ok", "DELIVERED"),
        ("33612340000", "ko", "NOT_DELIVERED"),
        ("33612347777", "late", "NOT_DELIVERED"),
    ]
    simulator.sim.state.messages[f"{ticket}:ok"].status = "invalid"
    assert await report("ok") == [("33612345678", "ok", "INVALID_DESTINATION_ADDRESS")]
    simulator.sim.state.messages[f"{ticket}:ok"].status = "canceled"
    assert await report("ok") == [("33612345678", "ok", None)]


async def test_scheduled_message_is_not_sent_yet(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    sent = await send(session, simulator, delay=f"{later.astimezone(PARIS):%Y-%m-%dT%H:%M:%S}")
    answer = await post(
        session, simulator, "getDr.php", report_document((sent.findtext("ticket") or "", "a1"))
    )
    assert rows(answer) == [("33612345678", "a1", "NOT_SENT")]


async def test_report_of_unknown_or_foreign_ticket_is_empty(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.sim.state.accounts[("smsfactor", "empty@example.com")].credits = 10
    other = send_document(login=("empty@example.com", "empty-password"))
    ticket = (await post(session, simulator, "apiV2.php", other)).findtext("ticket") or ""

    for asked in (ticket, "0"):
        answer = await post(session, simulator, "getDr.php", report_document((asked, "a1")))
        assert status_of(answer) == 1
        assert rows(answer) == []


async def test_report_needs_the_reference_passed_when_sending(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """The doc: gsmsmsid "doit contenir la valeur que vous avez passée" at send time."""
    recipients = [("33612345678", "a1"), ("33612345679", "")]
    sent = await send(session, simulator, recipients=recipients)
    ticket = sent.findtext("ticket") or ""

    async def report(document: str) -> tuple[int, list[tuple[str | None, ...]]]:
        answer = await post(session, simulator, "getDr.php", document)
        return status_of(answer), list(rows(answer))

    assert await report(report_document((ticket, "a1"))) == (
        1,
        [("33612345678", "a1", "NOT_SENT")],
    )
    assert await report(report_document((ticket, "zz"))) == (1, [])
    missing = report_document((ticket, "")).replace(' gsmsmsid=""', "")
    for document in (report_document((ticket, "")), report_document((ticket, "  ")), missing):
        status, found = await report(document)
        assert (status, found) == (-2, [])
    # The login is checked first.
    wrong = report_document((ticket, ""), login=(DEMO[0], "nope"))
    assert (await report(wrong))[0] == -1


@pytest.mark.parametrize(
    ("document", "status"),
    [
        pytest.param(report_document(("1", ""), login=(DEMO[0], "nope")), -1, id="bad-login"),
        pytest.param(report_document(("1", ""), root="sms"), -2, id="wrong-root"),
        pytest.param(report_document(), -2, id="no-ticket"),
        pytest.param(report_document(("1", ""), ("2", "")), -2, id="two-tickets"),
        pytest.param("<deliveryreport><message/>", -2, id="not-xml"),
    ],
)
async def test_bad_report_request(
    simulator: RunningSimulator, session: aiohttp.ClientSession, document: str, status: int
) -> None:
    answer = await post(session, simulator, "getDr.php", document)
    assert status_of(answer) == status
    assert rows(answer) == []


# --- inbound push ----------------------------------------------------------------------------


@pytest.fixture
async def webhook(socket_enabled: None) -> AsyncIterator[tuple[list[web.Request], list[str], str]]:
    """A receiver for the simulator's pushes: the requests and their bodies."""
    requests: list[web.Request] = []
    bodies: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        requests.append(request)
        bodies.append(await request.text())
        return web.Response(text="OK")

    app = web.Application()
    app.add_routes([web.post("/inbox.php", receive)])
    async with serving(app) as server:
        yield requests, bodies, str(server.make_url("/inbox.php"))


async def test_inbound_push_is_an_xml_form_field(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    webhook: tuple[list[web.Request], list[str], str],
) -> None:
    requests, bodies, url = webhook
    control = f"{simulator.base_url}/_control/"
    async with session.post(f"{control}webhooks", json={"provider": "smsfactor", "url": url}):
        pass
    for text in ("Oui, à 8h <ok>", "code ]]> fin"):
        async with session.post(
            f"{control}inbound",
            json={
                "provider": "smsfactor",
                "username": DEMO[0],
                "sender": "+33612345678",
                "recipient": "+33644630001",
                "text": text,
                "received_at": "2025-01-15T07:30:00+00:00",
            },
        ) as response:
            assert (await response.json())["pushed"] == 200

    assert [r.content_type for r in requests] == ["application/x-www-form-urlencoded"] * 2
    documents = [parse_qs(body)["XML"][0] for body in bodies]
    assert "<![CDATA[Oui, à 8h <ok>]]>" in documents[0]
    for document, text in zip(documents, ("Oui, à 8h <ok>", "code ]]> fin"), strict=True):
        inbox = etree.fromstring(document.encode())
        assert inbox.tag == "inbox"
        [sms] = inbox
        assert sms.tag == "sms"
        assert {key: str(value) for key, value in sms.attrib.items()} == {
            "from": "33612345678",
            "to": "33644630001",
            "date": "2025-01-15 08:30:00",
        }
        assert sms.text == text
