"""The simulator's HTTP server: provider endpoints, request log, faults, and the control API.

Control API (JSON, under ``/_control/``):
    GET    /_control/requests[?path=PREFIX]  every request received (method, path, query, body)
    DELETE /_control/requests                forget them
    POST   /_control/faults   {"path", "kind", "count"=1, "seconds"=5}
           kind: ``delay`` (answer after ``seconds``), ``http500``, ``drop`` (handle the request,
           then close the connection without answering), ``drop_before`` (close without handling),
           ``malformed`` (answer 200 with a body that is not the provider's format),
           ``echo`` (answer 200 with the request's own body, credentials included, as a proxy
           or a debugging page may)
    DELETE /_control/faults
    POST   /_control/accounts {"provider", "username", "password", "credits", "blocked_ip", ...}
    GET    /_control/messages                every message accepted, with its status
    POST   /_control/advance  {"steps"=1}    move every message along its lifecycle (and push
                                             status reports where the provider pushes them)
    POST   /_control/status   {"message_id", "status"}  set one message's status (and push it)
    POST   /_control/webhooks {"provider", "url"}        where that provider pushes
    POST   /_control/inbound  {"provider", "username", "sender", "recipient", "text",
                               "received_at"?}           inject a received SMS (pushed if a
                                             webhook is set; kept for polling where the provider
                                             is polled)
    GET    /_control/readings                every reading a doc leaves open: choices, current
    POST   /_control/readings {"provider.point": "choice", ...}   play these readings
    POST   /_control/reset                   back to the demo accounts, nothing sent, the
                                             readings of the command line (else the defaults)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any

import aiohttp
from aiohttp import web

from .provider import ProviderSim, Push
from .readings import Readings
from .state import PARIS, Account, SimInbound, SimMessage, SimState

_LOGGER = logging.getLogger(__name__)

FAULT_KINDS = frozenset({"delay", "http500", "drop", "drop_before", "malformed", "echo"})
MALFORMED_BODY = b"<html><body>502 Bad Gateway \x00\xff</body>"


@dataclass
class Fault:
    """A fault to inject into the next ``count`` calls of one path."""

    kind: str
    count: int
    seconds: float


type ProviderFactory = Callable[[SimState], ProviderSim]


class Simulator:
    """The whole simulator: state, providers, and what tests can ask of it."""

    def __init__(self, providers: list[ProviderFactory], *, step_seconds: float = 0) -> None:
        """Build the providers on one shared state.

        Args:
            providers: the provider modules to serve.
            step_seconds: move messages along their lifecycle this often (0: only when asked).
        """
        self.state = SimState()
        self.providers = {sim.key: sim for sim in (factory(self.state) for factory in providers)}
        self.readings = Readings({key: sim.readings for key, sim in self.providers.items()})
        for sim in self.providers.values():
            sim.chosen = self.readings
        self.requests: list[dict[str, Any]] = []
        self.faults: dict[str, Fault] = {}
        self.webhooks: dict[str, str] = {}
        self.step_seconds = step_seconds
        self._stepper: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None
        self.reset()

    def reset(self) -> None:
        """Back to the demo accounts, with nothing sent, received or logged."""
        self.state.__init__()  # type: ignore[misc]
        for sim in self.providers.values():
            for account in sim.demo_accounts():
                self.state.add_account(account)
        self.requests.clear()
        self.faults.clear()
        self.readings.reset()

    # --- the server ----------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application serving every provider and the control API."""
        app = web.Application(middlewares=[self._middleware], client_max_size=4 * 1024 * 1024)
        for sim in self.providers.values():
            app.add_routes(sim.routes())
        app.add_routes(
            [
                web.get("/_control/requests", self._get_requests),
                web.delete("/_control/requests", self._clear_requests),
                web.post("/_control/faults", self._add_fault),
                web.delete("/_control/faults", self._clear_faults),
                web.post("/_control/accounts", self._set_account),
                web.get("/_control/messages", self._get_messages),
                web.post("/_control/advance", self._advance),
                web.post("/_control/status", self._set_status),
                web.post("/_control/webhooks", self._set_webhook),
                web.post("/_control/inbound", self._inject_inbound),
                web.get("/_control/readings", self._get_readings),
                web.post("/_control/readings", self._set_readings),
                web.post("/_control/reset", self._reset),
            ]
        )
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        self._client = aiohttp.ClientSession()
        if self.step_seconds > 0:
            self._stepper = asyncio.create_task(self._step_forever())

    async def _on_cleanup(self, _app: web.Application) -> None:
        if self._stepper is not None:
            self._stepper.cancel()
        if self._client is not None:
            await self._client.close()

    async def _step_forever(self) -> None:
        while True:
            await asyncio.sleep(self.step_seconds)
            await self.advance()

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path.startswith("/_control/"):
            return await handler(request)
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "content_type": request.content_type,
                "headers": {
                    key: request.headers[key] for key in ("Accept",) if key in request.headers
                },
                "body": body.decode("utf-8", errors="replace"),
                "time": datetime.now(PARIS).isoformat(),
            }
        )
        fault = self.faults.get(request.path)
        if fault is None:
            return await handler(request)
        fault.count -= 1
        if fault.count <= 0:
            del self.faults[request.path]
        return await self._apply_fault(fault, request, handler)

    async def _apply_fault(
        self,
        fault: Fault,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return await handler(request)
        if fault.kind == "http500":
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind == "malformed":
            return web.Response(body=MALFORMED_BODY, content_type="text/html")
        if fault.kind == "echo":
            # A proxy or a debugging page that answers with the request it got, password and all.
            return web.Response(
                body=await request.read(), content_type=request.content_type or "text/plain"
            )
        if fault.kind == "drop":
            await handler(request)
        # drop / drop_before: close the connection without an answer.
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError

    # --- control API ---------------------------------------------------------------------------

    async def _get_requests(self, request: web.Request) -> web.Response:
        prefix = request.query.get("path", "")
        return web.json_response([r for r in self.requests if r["path"].startswith(prefix)])

    async def _clear_requests(self, _request: web.Request) -> web.Response:
        self.requests.clear()
        return web.json_response({"ok": True})

    async def _add_fault(self, request: web.Request) -> web.Response:
        data = await request.json()
        kind = data.get("kind")
        if kind not in FAULT_KINDS or not isinstance(data.get("path"), str):
            return web.json_response(
                {"error": f"kind must be one of {sorted(FAULT_KINDS)}"}, status=400
            )
        self.faults[data["path"]] = Fault(
            kind, int(data.get("count", 1)), float(data.get("seconds", 5))
        )
        return web.json_response({"ok": True})

    async def _clear_faults(self, _request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"ok": True})

    async def _set_account(self, request: web.Request) -> web.Response:
        data = await request.json()
        try:
            provider, username = data["provider"], data["username"]
        except KeyError:
            return web.json_response({"error": "provider and username are required"}, status=400)
        if provider not in self.providers:
            return web.json_response({"error": f"unknown provider {provider}"}, status=400)
        account = self.state.accounts.get((provider, username)) or Account(
            provider, username, data.get("password", "")
        )
        account.password = data.get("password", account.password)
        account.credits = float(data.get("credits", account.credits))
        account.blocked_ip = bool(data.get("blocked_ip", account.blocked_ip))
        account.extra.update(data.get("extra", {}))
        self.state.add_account(account)
        return web.json_response({"ok": True})

    async def _get_messages(self, _request: web.Request) -> web.Response:
        return web.json_response([m.to_dict() for m in self.state.messages.values()])

    async def _advance(self, request: web.Request) -> web.Response:
        data = await request.json() if request.can_read_body else {}
        changed: dict[str, SimMessage] = {}
        for _ in range(int(data.get("steps", 1))):
            for message in await self.advance():
                changed[message.message_id] = message
        return web.json_response([m.to_dict() for m in changed.values()])

    async def advance(self) -> list[SimMessage]:
        """Move every message one step and push the status reports providers push."""
        changed = self.state.advance(datetime.now(PARIS))
        for message in changed:
            await self._push_status(message)
        return changed

    async def _set_status(self, request: web.Request) -> web.Response:
        data = await request.json()
        message = self.state.messages.get(str(data.get("message_id")))
        if message is None:
            return web.json_response({"error": "unknown message_id"}, status=404)
        message.status = str(data["status"])
        if message.status == "delivered":
            message.delivered_at = datetime.now(PARIS)
        pushed = await self._push_status(message)
        return web.json_response({"message": message.to_dict(), "pushed": pushed})

    async def _set_webhook(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("provider") not in self.providers:
            return web.json_response({"error": "unknown provider"}, status=400)
        if data.get("url"):
            self.webhooks[data["provider"]] = data["url"]
        else:
            self.webhooks.pop(data["provider"], None)
        return web.json_response({"ok": True})

    async def _inject_inbound(self, request: web.Request) -> web.Response:
        data = await request.json()
        sim = self.providers.get(data.get("provider", ""))
        if sim is None:
            return web.json_response({"error": "unknown provider"}, status=400)
        received_at = (
            datetime.fromisoformat(data["received_at"]).astimezone(PARIS)
            if data.get("received_at")
            else datetime.now(PARIS).replace(microsecond=0)
        )
        text = str(data.get("text", ""))
        inbound = SimInbound(
            inbound_id=int(data.get("id") or self.state.next_inbound_id()),
            provider=sim.key,
            username=str(data.get("username", "")),
            sender=str(data.get("sender", "")),
            recipient=str(data.get("recipient", "")),
            text=text,
            received_at=received_at,
            keyword=data.get(
                "keyword", text.split(maxsplit=1)[0].upper() if text.split() else None
            ),
        )
        if sim.keeps_inbound():
            self.state.inbound.append(inbound)
        pushed = None
        push = sim.inbound_push(inbound)
        if push is not None and data.get("push", True):
            pushed = await self._send_push(sim.key, push)
        return web.json_response({"id": inbound.inbound_id, "pushed": pushed})

    async def _get_readings(self, _request: web.Request) -> web.Response:
        return web.json_response(self.readings.as_dict())

    async def _set_readings(self, request: web.Request) -> web.Response:
        data = await request.json()
        if not isinstance(data, dict):
            return web.json_response({"error": "send {name: choice, ...}"}, status=400)
        try:
            for name, value in data.items():
                self.readings.choose(str(name), str(value))
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(self.readings.as_dict())

    async def _reset(self, _request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def _push_status(self, message: SimMessage) -> int | None:
        push = self.providers[message.provider].status_push(message)
        return None if push is None else await self._send_push(message.provider, push)

    async def _send_push(self, provider: str, push: Push) -> int | None:
        """POST a push to the provider's webhook; the HTTP status, or None if none is set."""
        url = self.webhooks.get(provider)
        if url is None or self._client is None:
            return None
        try:
            async with self._client.post(
                url, data=push.body, headers={"Content-Type": push.content_type}
            ) as response:
                return response.status
        except aiohttp.ClientError as err:
            _LOGGER.warning("Push to %s failed: %s", url, err)
            return 0
