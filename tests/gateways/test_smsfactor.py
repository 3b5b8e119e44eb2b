"""The SMSFactor adapter against the simulator, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from lxml import etree
import pytest

from custom_components.sms_gateways.gateways import (
    DeliveryStatus,
    Encoding,
    OutgoingSms,
    SmsFactorGateway,
    errors,
)
from simulator.state import SimInbound
from tests.conftest import RunningSimulator
from tests.gateways.calls import IMPATIENT, fails_after_sending, refused_before_sending
from tests.gateways.servers import posts_served
from tests.gateways.smsfactor_doc import DOC_INBOX

PARIS = ZoneInfo("Europe/Paris")
SEND = "/smsfactor/API/apiV2.php"
REPORT = "/smsfactor/API/getDr.php"
DEMO = ("demo@example.com", "demo-password")


def make_gateway(
    simulator: RunningSimulator, session: aiohttp.ClientSession, *, login: Any = DEMO, **kwargs: Any
) -> SmsFactorGateway:
    return simulator.gateway(SmsFactorGateway, session, *login, **kwargs)


@pytest.fixture
def gateway(simulator: RunningSimulator, session: aiohttp.ClientSession) -> SmsFactorGateway:
    return make_gateway(simulator, session)


def sms(*recipients: str, **options: Any) -> OutgoingSms:
    options.setdefault("message", "Alarme maison")
    options.setdefault("sender", "Maison")
    return OutgoingSms(recipients=recipients, **options)


def posted(request: dict[str, Any]) -> etree._Element:
    """The XML document of a logged request (form field XML)."""
    assert request["content_type"] == "application/x-www-form-urlencoded"
    return etree.fromstring(parse_qs(request["body"])["XML"][0].encode())


def credits_of(simulator: RunningSimulator, username: str = "demo@example.com") -> float:
    return simulator.sim.state.accounts[("smsfactor", username)].credits


def force_answer(simulator: RunningSimulator, status: int) -> None:
    simulator.sim.state.accounts[("smsfactor", "demo@example.com")].extra["answer_status"] = status


# --- send ------------------------------------------------------------------------------------


async def test_send_to_many_recipients_in_one_request(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    result = await gateway.send(sms("06 12 34 56 78", "+33 6 12 34 56 79", "0041791234567"))

    [request] = simulator.requests(SEND)
    document = posted(request)
    assert document.tag == "sms"
    assert document.findtext("authentication/username") == "demo@example.com"
    assert document.findtext("authentication/password") == "demo-password"
    assert document.findtext("message/sender") == "Maison"
    rows = document.findall("recipients/gsm")
    assert [row.text for row in rows] == ["33612345678", "33612345679", "41791234567"]
    references = [row.get("gsmsmsid") for row in rows]
    assert all(references)
    assert len(set(references)) == 3

    ticket = result.batch_id
    assert ticket
    assert [m.recipient for m in result.messages] == [
        "+33612345678",
        "+33612345679",
        "+41791234567",
    ]
    assert [m.message_id for m in result.messages] == [f"{ticket}:{ref}" for ref in references]
    assert all(m.accepted and m.status is DeliveryStatus.QUEUED for m in result.messages)
    assert result.credits_remaining == 97
    assert credits_of(simulator) == 97
    assert sorted(simulator.sim.state.messages) == sorted(f"{ticket}:{ref}" for ref in references)


async def test_text_is_escaped_and_arrives_intact(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    text = 'Porte <ouverte> & "alarme" à 3h, été: ça €'
    await gateway.send(sms("0612345678", message=text))

    [request] = simulator.requests(SEND)
    raw = parse_qs(request["body"])["XML"][0]
    assert "&lt;ouverte&gt; &amp;" in raw
    assert posted(request).findtext("message/text") == text
    [message] = simulator.sim.state.messages.values()
    assert message.text == text


async def test_long_text_credits_per_part_per_recipient(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    result = await gateway.send(sms("0612345678", "0612345679", message="x" * 161))

    assert result.info.segments == 2
    assert result.credits_remaining == 96
    assert credits_of(simulator) == 96


async def test_text_outside_gsm_is_counted_as_gsm(gateway: SmsFactorGateway) -> None:
    """SMSFactor turns ç into the nearest GSM character: 100 characters are one SMS, not two."""
    result = await gateway.send(sms("0612345678", message="ç" * 100))

    assert result.info.encoding is Encoding.GSM7
    assert result.info.segments == 1
    assert result.info.characters == 100
    assert result.credits_remaining == 99


async def test_plain_send_options_on_the_wire(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    await gateway.send(sms("0612345678"))

    message = posted(simulator.requests(SEND)[0]).find("message")
    assert message is not None
    assert message.findtext("isFlash") == "0"
    assert message.findtext("type") == "longSMS"
    assert message.find("bookmark") is None
    assert message.find("delay") is None


async def test_flash_bookmark_and_delay_on_the_wire(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    send_at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    result = await gateway.send(
        sms("0612345678", flash=True, bookmark_url="https://example.com/porte", send_at=send_at)
    )

    message = posted(simulator.requests(SEND)[0]).find("message")
    assert message is not None
    assert message.findtext("isFlash") == "1"
    assert message.findtext("type") == "bookmark"
    assert message.findtext("bookmark") == "https://example.com/porte"
    assert message.findtext("delay") == send_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S")
    [sent] = result.messages
    assert sent.status is DeliveryStatus.SCHEDULED
    [stored] = simulator.sim.state.messages.values()
    assert stored.status == "scheduled"
    assert stored.scheduled_at == send_at
    assert stored.extra["flash"] is True
    assert stored.extra["bookmark"] == "https://example.com/porte"


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize(
    ("utc_time", "paris_time"),
    [
        ("00:30", "01:30:00"),  # before the change: UTC+1
        ("01:30", "03:30:00"),  # after the change at 01:00 UTC: UTC+2
    ],
)
async def test_delay_across_the_spring_dst_change(
    simulator: RunningSimulator, gateway: SmsFactorGateway, utc_time: str, paris_time: str
) -> None:
    change = _last_sunday(datetime.now(UTC).year + 1, 3)
    hour, minute = map(int, utc_time.split(":"))
    send_at = change.replace(hour=hour, minute=minute)

    await gateway.send(sms("0612345678", send_at=send_at))

    delay = posted(simulator.requests(SEND)[0]).findtext("message/delay")
    assert delay == f"{change:%Y-%m-%d}T{paris_time}"
    [stored] = simulator.sim.state.messages.values()
    assert stored.scheduled_at == send_at


async def test_sender_is_required(simulator: RunningSimulator, gateway: SmsFactorGateway) -> None:
    refused = gateway.send(sms("0612345678", sender=None))
    await refused_before_sending(
        simulator, errors.InvalidSenderError, refused, match="SMSFactor needs a sender"
    )


async def test_sender_limits(simulator: RunningSimulator, gateway: SmsFactorGateway) -> None:
    with pytest.raises(errors.InvalidSenderError):
        await gateway.send(sms("0612345678", sender="MaisonAlarme"))
    with pytest.raises(errors.InvalidSenderError, match="11"):
        await gateway.send(sms("0612345678", sender="+336123456789"))
    assert simulator.requests() == []

    await gateway.send(sms("0612345678", sender="+33612345678"))
    assert posted(simulator.requests(SEND)[0]).findtext("message/sender") == "33612345678"


async def test_text_that_xml_cannot_carry_is_refused_before_sending(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    refused = gateway.send(sms("0612345678", message="page\fbreak"))
    err = await refused_before_sending(simulator, errors.InvalidTextError, refused)
    assert (err.field, err.position, err.character) == ("message", 5, "U+000C")


# --- send errors -----------------------------------------------------------------------------


async def test_bad_login(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, login=(DEMO[0], "wrong"))
    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.send(sms("0612345678"))
    assert caught.value.provider_code == "-1"
    assert caught.value.provider_message == "Le login et le mot de passe ne correspondent pas."


async def test_no_credits(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, login=("empty@example.com", "empty-password"))
    with pytest.raises(errors.InsufficientCreditsError) as caught:
        await gateway.send(sms("0612345678"))
    assert caught.value.provider_code == "-3"
    assert simulator.sim.state.messages == {}


@pytest.mark.parametrize("reading", ["whole_refused", "others_sent"])
async def test_minus5_is_never_called_refused(
    simulator: RunningSimulator, gateway: SmsFactorGateway, reading: str
) -> None:
    """R11: -5 does not say the others were not sent: outcome unknown, never sent again."""
    simulator.play(smsfactor__minus5=reading)
    with pytest.raises(errors.SendOutcomeUnknownError) as caught:
        await gateway.send(sms("0612345678", "0612349999"))
    assert not isinstance(caught.value, errors.InvalidRecipientError)
    assert caught.value.provider_code == "-5"
    assert "may have been sent" in str(caught.value)
    assert len(simulator.requests(SEND)) == 1
    if reading == "whole_refused":
        assert simulator.sim.state.messages == {}
        assert caught.value.reference is None
    else:  # the valid recipient got it: the ticket is kept so that it can be checked
        [sent] = simulator.sim.state.messages.values()
        assert sent.recipient == "33612345678"
        assert caught.value.reference == sent.batch_id


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (-2, errors.MessageRejectedError),
        (-4, errors.SchedulingError),
        (-6, errors.MessageRejectedError),
        (-7, errors.MessageRejectedError),
        (-8, errors.SendOutcomeUnknownError),
        (-99, errors.SendOutcomeUnknownError),
        (2, errors.SendOutcomeUnknownError),
    ],
)
async def test_error_codes(
    simulator: RunningSimulator,
    gateway: SmsFactorGateway,
    status: int,
    error: type[errors.GatewayError],
) -> None:
    force_answer(simulator, status)
    with pytest.raises(error) as caught:
        await gateway.send(sms("0612345678"))
    assert type(caught.value) is error
    assert caught.value.provider_code == str(status)
    assert caught.value.provider_message
    assert caught.value.provider_message in str(caught.value)
    # -2 "Erreur XML" says nothing was read: the document is posted once more as the raw body
    # (R30), which is refused the same; nothing was sent.
    assert len(simulator.requests(SEND)) == (2 if status == -2 else 1)
    assert simulator.sim.state.messages == {}


async def test_moderation_says_not_to_send_again(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    force_answer(simulator, -8)
    with pytest.raises(errors.SendOutcomeUnknownError, match="do not send it again"):
        await gateway.send(sms("0612345678"))


# --- faults ----------------------------------------------------------------------------------


async def test_http_error(simulator: RunningSimulator, gateway: SmsFactorGateway) -> None:
    await fails_after_sending(simulator, SEND, "http500", gateway.send(sms("0612345678")))


async def test_dropped_after_handling_is_not_sent_again(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    await fails_after_sending(simulator, SEND, "drop", gateway.send(sms("0612345678")))
    assert len(simulator.sim.state.messages) == 1  # the provider did send it


async def test_malformed_reply_says_the_message_may_be_sent(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    simulator.fault(SEND, "malformed")
    with pytest.raises(errors.GatewayResponseError, match="may have been sent"):
        await gateway.send(sms("0612345678"))
    assert len(simulator.requests(SEND)) == 1


async def test_slow_reply(simulator: RunningSimulator, session: aiohttp.ClientSession) -> None:
    gateway = make_gateway(simulator, session, timeout=IMPATIENT)
    await fails_after_sending(simulator, SEND, "delay", gateway.send(sms("0612345678")))


async def test_reply_that_is_not_a_response(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    simulator.fault(REPORT, "malformed")
    with pytest.raises(errors.GatewayResponseError):
        await gateway.validate_credentials()


type Answered = Callable[..., SmsFactorGateway]


@pytest.fixture
async def answered(session: aiohttp.ClientSession, socket_enabled: None) -> AsyncIterator[Answered]:
    """An adapter whose calls to apiV2.php and getDr.php get the bodies given, one a call."""
    bodies: list[bytes] = []

    async def reply(_request: web.Request) -> web.Response:
        return web.Response(body=bodies.pop(0), content_type="text/xml")

    async with posts_served(reply, "/API/apiV2.php", "/API/getDr.php") as root:

        def gateway(*answers: bytes, username: str = "u") -> SmsFactorGateway:
            bodies.extend(answers)
            url = f"{root}API/"
            return SmsFactorGateway(session, username=username, password="p", api_url=url)

        yield gateway


async def test_accepted_without_ticket_or_credits(answered: Answered) -> None:
    """Sent, but nothing to follow it by: accepted, no id, no guess at the credits."""
    gateway = answered(b"<response><status>1</status><message/><credits>n/a</credits></response>")

    result = await gateway.send(sms("0612345678"))

    [message] = result.messages
    assert message.accepted
    assert message.message_id is None
    assert result.batch_id is None
    assert result.credits_remaining is None


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html><body>Maintenance</body></html>", "Unexpected reply"),
        (b"<response><message>?</message></response>", "no status"),
    ],
)
async def test_unreadable_reply_to_a_send(answered: Answered, body: bytes, match: str) -> None:
    with pytest.raises(errors.GatewayResponseError, match=f"{match}.*may have been sent"):
        await answered(body).send(sms("0612345678"))


async def test_error_without_provider_text(answered: Answered) -> None:
    gateway = answered(b"<response><status>-3</status></response>")

    with pytest.raises(errors.InsufficientCreditsError) as caught:
        await gateway.send(sms("0612345678"))
    assert caught.value.provider_message is None
    assert str(caught.value) == "Not enough SMSFactor credits for this message (provider code -3)"


# --- delivery reports ------------------------------------------------------------------------


async def test_delivery_status_through_the_lifecycle(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    result = await gateway.send(sms("0612345678", "0612340000", "0612347777"))
    ids = [m.message_id or "" for m in result.messages]

    async def statuses() -> list[tuple[DeliveryStatus, str]]:
        reports = await gateway.get_delivery_status(ids)
        assert [r.message_id for r in reports] == ids
        assert [r.recipient for r in reports] == [m.recipient for m in result.messages]
        return [(r.status, r.provider_status) for r in reports]

    assert await statuses() == [(DeliveryStatus.QUEUED, "NOT_SENT")] * 3
    await simulator.sim.advance()
    assert await statuses() == [(DeliveryStatus.SENT, "SENT")] * 3
    await simulator.sim.advance()
    assert await statuses() == [
        (DeliveryStatus.DELIVERED, "DELIVERED"),
        (DeliveryStatus.FAILED, "NOT_DELIVERED"),
        (DeliveryStatus.FAILED, "NOT_DELIVERED"),
    ]
    simulator.sim.state.messages[ids[0]].status = "invalid"
    [report] = await gateway.get_delivery_status(ids[:1])
    assert report.status is DeliveryStatus.FAILED
    assert report.provider_status == "INVALID_DESTINATION_ADDRESS"


async def test_delivery_status_asks_for_each_recipient_by_its_reference(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    """The doc: the ticket's gsmsmsid "must hold the value you passed when sending"."""
    first = await gateway.send(sms("0612345678", "0612345679"))
    second = await gateway.send(sms("0612345670"))
    ids = [m.message_id or "" for m in (*first.messages, *second.messages)]

    reports = await gateway.get_delivery_status([*ids, ids[0]])

    assert [r.message_id for r in reports] == ids
    assert [r.recipient for r in reports] == ["+33612345678", "+33612345679", "+33612345670"]
    assert all(r.status is DeliveryStatus.QUEUED for r in reports)
    asked = sorted(
        (ticket.text or "", ticket.get("gsmsmsid") or "")
        for request in simulator.requests(REPORT)
        if (ticket := posted(request).find("message/ticket")) is not None
    )
    assert asked == sorted(tuple(message_id.split(":")) for message_id in ids)
    assert all(
        posted(r).findtext("authentication/username") == "demo@example.com"
        for r in simulator.requests(REPORT)
    )


async def test_delivery_status_asks_a_few_at_a_time(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """Ten messages: the requests overlap, but never more than four at once."""
    in_flight = 0
    most = 0

    async def reply(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        reference = etree.fromstring(parse_qs(await request.text())["XML"][0].encode()).find(
            "message/ticket"
        )
        assert reference is not None
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.2)
        in_flight -= 1
        body = (
            "<response><status>1</status><message>OK</message>"
            f'<gsm number="33612345678" gsmsmsid="{reference.get("gsmsmsid")}">SENT</gsm>'
            "</response>"
        )
        return web.Response(body=body.encode(), content_type="text/xml")

    async with posts_served(reply, "/API/getDr.php") as root:
        gateway = SmsFactorGateway(session, username="u", password="p", api_url=f"{root}API/")
        reports = await gateway.get_delivery_status([f"7:r{n}" for n in range(10)])

    assert [r.status for r in reports] == [DeliveryStatus.SENT] * 10
    assert most == 4


async def test_status_in_an_attribute_or_nowhere(answered: Answered) -> None:
    """The doc's row is <gsm number="" gsmsmsid="" />: the status may be an attribute, or absent."""
    gateway = answered(
        (
            b'<response><status>1</status><gsm number="33612345678" gsmsmsid="a"'
            b' status="DELIVERED"/></response>'
        ),
        b'<response><status>1</status><gsm number="33612345679" gsmsmsid="b"/></response>',
    )

    [delivered] = await gateway.get_delivery_status(["7:a"])
    [unknown] = await gateway.get_delivery_status(["7:b"])

    assert (delivered.status, delivered.provider_status) == (DeliveryStatus.DELIVERED, "DELIVERED")
    assert delivered.recipient == "+33612345678"
    assert (unknown.status, unknown.provider_status) == (DeliveryStatus.UNKNOWN, "")
    assert unknown.recipient == "+33612345679"


async def test_delivery_status_of_an_unknown_message_is_unknown(
    gateway: SmsFactorGateway,
) -> None:
    result = await gateway.send(sms("0612345678"))
    ticket = result.batch_id

    reports = await gateway.get_delivery_status([f"{ticket}:nosuchref", "123456:abc"])

    assert [(r.status, r.provider_status, r.recipient) for r in reports] == [
        (DeliveryStatus.UNKNOWN, "", None),
        (DeliveryStatus.UNKNOWN, "", None),
    ]


async def test_delivery_status_refuses_foreign_ids(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    await refused_before_sending(
        simulator,
        errors.GatewayError,
        gateway.get_delivery_status(["12345"]),
        match="not an SMSFactor message id",
    )


async def test_delivery_status_bad_login(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, login=(DEMO[0], "wrong"))
    with pytest.raises(errors.AuthenticationError) as caught:
        await gateway.get_delivery_status([f"1:ref{n}" for n in range(12)])
    assert caught.value.provider_code == "-1"
    # The first refusal stops the requests still waiting for their turn.
    assert len(simulator.requests(REPORT)) < 12


# --- credentials -----------------------------------------------------------------------------


async def test_validate_credentials_sends_nothing(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    info = await gateway.validate_credentials()

    assert info.account_id == "demo@example.com"
    assert simulator.sim.state.messages == {}
    assert credits_of(simulator) == 100
    [request] = simulator.requests()
    assert request["path"] == REPORT
    assert posted(request).tag == "deliveryreport"


@pytest.mark.parametrize("status", [-2, 0, 2, -99])
async def test_validate_credentials_any_answer_but_a_refused_login(
    answered: Answered, status: int
) -> None:
    """A strict server may refuse the made-up ticket (-2): it still accepted the login."""
    body = f"<response><status>{status}</status><message>?</message></response>".encode()
    # At -2, the raw body is tried too (R30), refused the same.
    tries = 2 if status == -2 else 1
    gateway = answered(*[body] * tries, username="u@example.com")

    info = await gateway.validate_credentials()

    assert info.account_id == "u@example.com"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<response><status>-1</status></response>", errors.AuthenticationError),
        (b"<response><status>KO</status></response>", errors.GatewayResponseError),
        (b"<html>Maintenance</html>", errors.GatewayResponseError),
    ],
)
async def test_validate_credentials_refused_or_unreadable(
    answered: Answered, body: bytes, error: type[errors.GatewayError]
) -> None:
    with pytest.raises(error):
        await answered(body).validate_credentials()


async def test_validate_credentials_bad_login(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    gateway = make_gateway(simulator, session, login=(DEMO[0], "wrong"))
    with pytest.raises(errors.AuthenticationError):
        await gateway.validate_credentials()


async def test_validate_credentials_provider_down(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    await fails_after_sending(simulator, REPORT, "http500", gateway.validate_credentials())


def test_capabilities(gateway: SmsFactorGateway) -> None:
    # Its capabilities are those of the README's table: tests/test_readme.py.
    assert gateway.url("apiV2.php").endswith("/smsfactor/API/apiV2.php")
    assert SmsFactorGateway.default_api_url == "https://secure.smsfactor.com/API/"


# --- inbound push ----------------------------------------------------------------------------


def test_push_the_docs_own_example(gateway: SmsFactorGateway) -> None:
    received = gateway.parse_inbound_push({"XML": DOC_INBOX})

    assert [(m.sender, m.recipient, m.message, m.message_id) for m in received] == [
        ("0000000000", "0000000000", "My message 1", None),
        ("1111111111", "0000000000", "My message 2", None),
    ]
    assert received[0].received_at == datetime(2011, 6, 1, 12, 2, 7, tzinfo=PARIS)
    assert received[0].received_at.utcoffset() == timedelta(hours=2)
    assert received[1].received_at == datetime(2011, 6, 1, 10, 2, 8, tzinfo=UTC)


def test_push_numbers_come_back_in_e164(gateway: SmsFactorGateway) -> None:
    document = (
        '<inbox><sms from="33612345678" to="33644630001" date="2025-01-15 08:30:00">'
        '<![CDATA[Oui <ok> & "merci" \\o/]]></sms></inbox>'
    )
    [received] = gateway.parse_inbound_push({"XML": document})

    assert received.sender == "+33612345678"
    assert received.recipient == "+33644630001"
    assert received.message == 'Oui <ok> & "merci" \\o/'
    assert received.received_at == datetime(2025, 1, 15, 7, 30, tzinfo=UTC)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<inbox><sms from="33612345678" to="33644630001" date="2025-01-15 08:30:00">&lol3;</sms></inbox>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE inbox [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<inbox><sms from="33612345678" to="33644630001" date="2025-01-15 08:30:00">&xxe;</sms></inbox>"""

GOOD_SMS = '<sms from="33612345678" to="33644630001" date="2025-01-15 08:30:00">hi</sms>'


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({"XML": BILLION_LAUGHS}, id="billion-laughs"),
        pytest.param({"XML": EXTERNAL_ENTITY}, id="external-entity"),
        pytest.param(
            {"XML": f"<inbox>{GOOD_SMS * (4 * 1024 * 1024 // len(GOOD_SMS) + 1)}</inbox>"},
            id="oversized",
        ),
        pytest.param({"XML": f"<inbox>{GOOD_SMS}"}, id="malformed"),
        pytest.param(
            {"XML": f'<inbox>{GOOD_SMS}<sms from=\\"1" to="2"></inbox>'}, id="escaped-without-date"
        ),
        pytest.param({"XML": f"<outbox>{GOOD_SMS}</outbox>"}, id="wrong-root"),
        pytest.param({"xml": f"<inbox>{GOOD_SMS}</inbox>"}, id="no-XML-field"),
        pytest.param(
            {"XML": '<inbox><sms to="1" date="2025-01-15 08:30:00">x</sms></inbox>'},
            id="no-sender",
        ),
        pytest.param(
            {"XML": '<inbox><sms from="1" to="2" date="15/01/2025">x</sms></inbox>'},
            id="bad-date",
        ),
    ],
)
def test_hostile_or_malformed_push_parses_nothing(
    gateway: SmsFactorGateway, form: dict[str, str]
) -> None:
    with pytest.raises(errors.GatewayResponseError):
        gateway.parse_inbound_push(form)


async def test_time_zone_of_the_account(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """Another time zone for the account: the delay is written, and pushed dates read, in it."""
    gateway = SmsFactorGateway(
        session,
        username=DEMO[0],
        password=DEMO[1],
        api_url=simulator.api_url("smsfactor"),
        timezone="America/Martinique",
    )
    send_at = datetime(datetime.now(UTC).year + 1, 1, 15, 12, 0, tzinfo=UTC)
    await gateway.send(sms("0612345678", send_at=send_at))
    delay = posted(simulator.requests(SEND)[0]).findtext("message/delay")
    assert delay == f"{send_at:%Y-%m-%d}T08:00:00"  # UTC-4

    [received] = gateway.parse_inbound_push({"XML": f"<inbox>{GOOD_SMS}</inbox>"})
    assert received.received_at == datetime(2025, 1, 15, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad",
    [
        '<sms to="33644630001" date="2025-01-15 08:30:00">no sender</sms>',
        '<sms from="33612345678" to="33644630001" date="15/01/2025">bad date</sms>',
        '<sms from="33612345678" to="33644630001" date="0001-01-01 00:00:00">year 1</sms>',
        '<sms from="33612345678" to="33644630001" date="2025-01-15 08:30:0\u0661">digit</sms>',
        f'<sms from="{"1" * 5000}" to="33644630001" date="2025-01-15 08:30:00">long</sms>',
    ],
)
def test_one_bad_sms_of_an_inbox_never_blocks_the_others(
    gateway: SmsFactorGateway, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The readable SMS are returned, the other is skipped and logged without its text."""
    received = gateway.parse_inbound_push({"XML": f"<inbox>{GOOD_SMS}{bad}{GOOD_SMS}</inbox>"})
    assert [message.message for message in received] == ["hi", "hi"]
    [record] = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert "2 of 3" in record.getMessage()
    for secret in ("no sender", "bad date", "year 1", "digit", "long"):
        assert secret not in record.getMessage()


# --- the readings the doc leaves open (READINGS.md R9 to R11) --------------------------------


@pytest.mark.parametrize(
    ("zone", "reading"), [("Europe/Paris", "paris"), ("UTC", "utc"), ("Europe/London", "london")]
)
async def test_time_zone_reading_with_the_matching_option(
    simulator: RunningSimulator, session: aiohttp.ClientSession, zone: str, reading: str
) -> None:
    """R9: whatever zone SMSFactor uses, the account's option makes send and push times right."""
    simulator.play(smsfactor__timezone=reading)
    gateway = SmsFactorGateway(
        session,
        username=DEMO[0],
        password=DEMO[1],
        api_url=simulator.api_url("smsfactor"),
        timezone=zone,
    )
    send_at = datetime(datetime.now(UTC).year + 1, 7, 1, 12, 0, tzinfo=UTC)
    await gateway.send(sms("0612345678", send_at=send_at))
    [stored] = simulator.sim.state.messages.values()
    assert stored.scheduled_at == send_at

    received_at = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    push = simulator.sim.providers["smsfactor"].inbound_push(
        SimInbound(1, "smsfactor", DEMO[0], "+33612345678", "+33644630001", "hi", received_at)
    )
    assert push is not None
    [message] = gateway.parse_inbound_push({"XML": parse_qs(push.body.decode())["XML"][0]})
    assert message.received_at == received_at


@pytest.mark.parametrize("reading", ["text", "attribute", "element", "attribute_missing"])
@pytest.mark.parametrize("rows", ["reference", "ticket"])
async def test_delivery_status_wherever_getdr_puts_it(
    simulator: RunningSimulator, gateway: SmsFactorGateway, reading: str, rows: str
) -> None:
    """R10: the status is read where it is; without one it is unknown, never made up."""
    simulator.play(smsfactor__getdr_status=reading, smsfactor__getdr_rows=rows)
    result = await gateway.send(sms("0612345678", "0698765432"))
    for stored in simulator.sim.state.messages.values():
        stored.status = "failed" if stored.recipient.endswith("5678") else "delivered"
    ids = [str(message.message_id) for message in result.messages]
    first, second = await gateway.get_delivery_status(ids)
    if reading == "attribute_missing":
        assert (first.status, second.status) == (DeliveryStatus.UNKNOWN, DeliveryStatus.UNKNOWN)
        assert first.provider_status == second.provider_status == ""
    else:
        assert (first.status, second.status) == (DeliveryStatus.FAILED, DeliveryStatus.DELIVERED)
        assert (first.provider_status, second.provider_status) == ("NOT_DELIVERED", "DELIVERED")
    assert first.recipient == "+33612345678"


@pytest.mark.parametrize("reading", ["empty", "refused", "undocumented"])
async def test_unknown_ticket_under_each_reading(
    simulator: RunningSimulator, gateway: SmsFactorGateway, reading: str
) -> None:
    """R10: an unknown ticket is "unknown" for that message alone; the login check still passes."""
    simulator.play(smsfactor__getdr_unknown=reading)
    result = await gateway.send(sms("0612345678"))
    known = str(result.messages[0].message_id)
    reports = await gateway.get_delivery_status(["999999:nope", known])
    assert reports[0].status is DeliveryStatus.UNKNOWN
    assert reports[1].status is DeliveryStatus.QUEUED
    await gateway.validate_credentials()
    if reading != "empty":
        with pytest.raises(errors.GatewayResponseError):  # nothing readable at all: an error
            await gateway.get_delivery_status(["999999:nope"])


async def test_one_unreadable_report_never_blocks_the_others(
    simulator: RunningSimulator, gateway: SmsFactorGateway
) -> None:
    """A getDr answer that cannot be read makes that message unknown; the others are read."""
    result = await gateway.send(sms("0612345678", "0698765432"))
    ids = [str(message.message_id) for message in result.messages]
    simulator.fault(REPORT, "malformed")
    reports = await gateway.get_delivery_status(ids)
    assert sorted(report.status for report in reports) == sorted(
        [DeliveryStatus.UNKNOWN, DeliveryStatus.QUEUED]
    )


async def test_getdr_that_does_not_check_the_login(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    """R10 unchecked: a wrong password passes the check, and the first send proves it wrong."""
    simulator.play(smsfactor__getdr_auth="unchecked")
    gateway = make_gateway(simulator, session, login=(DEMO[0], "wrong"))
    await gateway.validate_credentials()  # nothing better exists in the doc
    with pytest.raises(errors.AuthenticationError):
        await gateway.send(sms("0612345678"))
    assert simulator.sim.state.messages == {}
