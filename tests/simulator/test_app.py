"""The simulator's own machinery: request log, faults, lifecycle, pushes, control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import override

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from simulator.__main__ import main
from simulator.app import Simulator
from simulator.provider import ProviderSim, Push
from simulator.state import PARIS, Account, SimInbound, SimMessage, SimState


class EchoSim(ProviderSim):
    """A provider with one endpoint that records a message, and pushes of both kinds."""

    key = "echo"

    @override
    def routes(self) -> list[web.RouteDef]:
        return [web.post("/echo/send", self._send)]

    @override
    def demo_accounts(self) -> list[Account]:
        return [Account("echo", "demo", "pw")]

    async def _send(self, request: web.Request) -> web.Response:
        form = await request.post()
        message = self.state.add_message(
            SimMessage(
                message_id=str(self.state.next_id()),
                provider=self.key,
                username="demo",
                recipient=str(form["to"]),
                text=str(form["text"]),
                sender=None,
                created_at=datetime.now(PARIS),
            )
        )
        return web.Response(text=f"OK|{message.message_id}")

    @override
    def inbound_push(self, inbound: SimInbound) -> Push | None:
        return Push(f"in={inbound.text}".encode(), "application/x-www-form-urlencoded")

    @override
    def status_push(self, message: SimMessage) -> Push | None:
        return Push(f"status={message.status}".encode(), "application/x-www-form-urlencoded")

    @override
    def keeps_inbound(self) -> bool:
        return True


class MuteSim(EchoSim):
    """A provider that neither pushes nor keeps inbound messages."""

    key = "mute"

    @override
    def routes(self) -> list[web.RouteDef]:
        return []

    @override
    def inbound_push(self, inbound: SimInbound) -> Push | None:
        return None

    @override
    def status_push(self, message: SimMessage) -> Push | None:
        return None

    @override
    def keeps_inbound(self) -> bool:
        return False


@pytest.fixture
async def running(
    socket_enabled: None,
) -> AsyncIterator[tuple[Simulator, aiohttp.ClientSession, str, list[str]]]:
    """The simulator with the echo provider, a client, and a webhook that records pushes."""
    pushes: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        pushes.append(await request.text())
        return web.Response()

    hook_app = web.Application()
    hook_app.add_routes([web.post("/hook", webhook)])
    hook = TestServer(hook_app, host="127.0.0.1", port=0)
    await hook.start_server()
    sim = Simulator([EchoSim, MuteSim])
    server = TestServer(sim.build_app(), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as client:
        await client.post(
            "/_control/webhooks", json={"provider": "echo", "url": str(hook.make_url("/hook"))}
        )
        yield sim, client, str(server.make_url("/")), pushes
    await server.close()
    await hook.close()


async def test_request_log_and_lifecycle_with_pushes(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
) -> None:
    """Requests are logged; messages move queued -> sent -> final and each step is pushed."""
    sim, client, _url, pushes = running
    async with client.post("/echo/send", data={"to": "+33612340000", "text": "hi"}) as resp:
        assert await resp.text() == "OK|1"
    log = await (await client.get("/_control/requests", params={"path": "/echo"})).json()
    assert [(r["method"], r["path"], r["body"]) for r in log] == [
        ("POST", "/echo/send", "to=%2B33612340000&text=hi")
    ]
    changed = await (await client.post("/_control/advance", json={"steps": 2})).json()
    assert changed[0]["status"] == "failed"  # the number ends in 0000
    assert pushes == ["status=sent", "status=failed"]
    messages = await (await client.get("/_control/messages")).json()
    assert messages[0]["status"] == "failed"
    await client.delete("/_control/requests")
    assert sim.requests == []


async def test_set_status_and_inbound_pushes(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
) -> None:
    """A status set by a test is pushed; an injected SMS is pushed and kept for polling."""
    sim, client, _url, pushes = running
    await client.post("/echo/send", data={"to": "+33612345678", "text": "hi"})
    result = await (
        await client.post("/_control/status", json={"message_id": "1", "status": "delivered"})
    ).json()
    assert result["pushed"] == 200
    assert result["message"]["delivered_at"] is not None
    missing = await client.post("/_control/status", json={"message_id": "9", "status": "sent"})
    assert missing.status == 404
    injected = await (
        await client.post(
            "/_control/inbound",
            json={
                "provider": "echo",
                "username": "demo",
                "sender": "+33698765432",
                "text": "ARM on",
            },
        )
    ).json()
    assert injected["pushed"] == 200
    assert pushes == ["status=delivered", "in=ARM on"]
    assert sim.state.inbound[0].keyword == "ARM"
    assert sim.state.inbound[0].inbound_id == injected["id"]
    # A provider that neither pushes nor keeps messages.
    quiet = await (
        await client.post("/_control/inbound", json={"provider": "mute", "text": ""})
    ).json()
    assert quiet["pushed"] is None
    assert len(sim.state.inbound) == 1


@pytest.mark.parametrize(
    ("kind", "expect_handled"),
    [("http500", False), ("malformed", False), ("drop", True), ("drop_before", False)],
)
async def test_faults(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
    kind: str,
    expect_handled: bool,
) -> None:
    """Each fault hits the next call only; a drop after handling keeps the message."""
    sim, client, _url, _pushes = running
    await client.post("/_control/faults", json={"path": "/echo/send", "kind": kind})
    try:
        async with client.post("/echo/send", data={"to": "+33612345678", "text": "x"}) as resp:
            body = await resp.read()
            assert resp.status == (500 if kind == "http500" else 200)
            assert not body.startswith(b"OK")
    except aiohttp.ClientError:
        assert kind.startswith("drop")
    assert (len(sim.state.messages) == 1) is expect_handled
    async with client.post("/echo/send", data={"to": "+33612345678", "text": "x"}) as resp:
        assert (await resp.text()).startswith("OK|")


async def test_echo_fault_answers_the_request_itself(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
) -> None:
    """As a proxy or a debugging page may: the request's body, credentials and all, unhandled."""
    sim, client, _url, _pushes = running
    await client.post("/_control/faults", json={"path": "/echo/send", "kind": "echo"})
    async with client.post("/echo/send", data={"to": "+33612345678", "pass": "s3cret"}) as resp:
        assert resp.status == 200
        assert await resp.text() == "to=%2B33612345678&pass=s3cret"
    assert sim.state.messages == {}


async def test_delay_fault_and_control_errors(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
) -> None:
    """A delay answers late; bad control requests are refused with a reason."""
    sim, client, _url, _pushes = running
    await client.post(
        "/_control/faults", json={"path": "/echo/send", "kind": "delay", "seconds": 0.2}
    )
    started = datetime.now(PARIS)
    await client.post("/echo/send", data={"to": "+33612345678", "text": "x"})
    assert datetime.now(PARIS) - started >= timedelta(seconds=0.2)
    bad = await client.post("/_control/faults", json={"path": "/echo/send", "kind": "explode"})
    assert bad.status == 400
    await client.post(
        "/_control/faults", json={"path": "/echo/send", "kind": "http500", "count": 5}
    )
    await client.delete("/_control/faults")
    assert sim.faults == {}
    assert (await client.post("/_control/webhooks", json={"provider": "nope"})).status == 400
    assert (await client.post("/_control/inbound", json={"provider": "nope"})).status == 400
    assert (await client.post("/_control/accounts", json={"provider": "echo"})).status == 400
    assert (
        await client.post("/_control/accounts", json={"provider": "nope", "username": "u"})
    ).status == 400


async def test_accounts_webhooks_and_reset(
    running: tuple[Simulator, aiohttp.ClientSession, str, list[str]],
) -> None:
    """Accounts can be added and changed; reset brings the demo accounts back."""
    sim, client, _url, _pushes = running
    await client.post(
        "/_control/accounts",
        json={
            "provider": "echo",
            "username": "new",
            "password": "x",
            "credits": 3,
            "extra": {"a": 1},
        },
    )
    await client.post(
        "/_control/accounts", json={"provider": "echo", "username": "new", "blocked_ip": True}
    )
    account = sim.state.account("echo", "new", "x")
    assert account is not None
    assert (account.credits, account.blocked_ip, account.extra) == (3, True, {"a": 1})
    assert sim.state.account("echo", "new", "wrong") is None
    await client.post("/_control/webhooks", json={"provider": "echo", "url": ""})
    assert "echo" not in sim.webhooks
    await client.post("/_control/reset")
    assert set(sim.state.accounts) == {("echo", "demo")}


def test_scheduled_messages_wait_for_their_time() -> None:
    """A scheduled message stays scheduled until its time has come."""
    state = SimState()
    now = datetime.now(PARIS)
    message = state.add_message(
        SimMessage(
            "1",
            "echo",
            "demo",
            "+33612345678",
            "x",
            None,
            now,
            status="scheduled",
            scheduled_at=now + timedelta(hours=1),
        )
    )
    assert state.advance(now) == []
    assert state.advance(now + timedelta(hours=2)) == [message]
    assert message.status == "queued"
    assert state.messages_of("echo", "demo") == [message]


def test_help_documents_everything(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists the endpoints, the demo accounts, the number rules and the control API."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for needle in ("/netoxygen/api2/", "/mobyt/", "Demo accounts", "9999", "/_control/faults"):
        assert needle in out


def test_bad_webhook_argument(capsys: pytest.CaptureFixture[str]) -> None:
    """A --webhook for an unknown provider is refused."""
    with pytest.raises(SystemExit):
        main(["--webhook", "nope=http://127.0.0.1/x"])
    assert "PROVIDER=URL" in capsys.readouterr().err
