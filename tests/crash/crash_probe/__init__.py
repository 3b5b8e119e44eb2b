"""Test-only component for the crash test: what survives a kill -9, seen from outside.

Appends every ``sms_gateways_inbound_sms`` (its id, and whether it is marked redelivered) and
every ``sms_gateways_delivery_status`` that says a message may have been sent (``unknown``) to a
file (written and fsynced in the listener, synchronously with the firing), answers the entry's
state and the size of its outbox, and sends through the ``sms_gateways.send_sms`` action with its
response (a loopback view without authentication: the test config holds no user).

The outbox waits 1 s, then 2 s, between tries (instead of 30 s to 5 minutes), so that a run
sees many of them.
"""

from __future__ import annotations

from datetime import timedelta
import json
import os
from typing import Any

from aiohttp import web
from homeassistant.components.http import KEY_HASS, HomeAssistantView
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType

DOMAIN = "crash_probe"
EVENTS_FILE = "crash_probe_events.jsonl"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start recording the events and serve the probe's views."""
    path = hass.config.path(EVENTS_FILE)
    fd = await hass.async_add_executor_job(
        os.open, path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
    )

    @callback
    def _write(line: dict[str, Any]) -> None:
        os.write(fd, (json.dumps(line) + "\n").encode())
        os.fsync(fd)

    @callback
    def _record(event: Event) -> None:
        message_id = event.data.get("message_id")
        _write({"message_id": message_id, "redelivered": bool(event.data.get("redelivered"))})

    @callback
    def _record_status(event: Event) -> None:
        if event.data.get("status") == "unknown":
            _write({"unknown": event.data.get("recipient")})

    from custom_components.sms_gateways import outbox  # noqa: PLC0415

    outbox.RETRY_FIRST = timedelta(seconds=1)
    outbox.RETRY_LONGEST = timedelta(seconds=2)
    hass.bus.async_listen("sms_gateways_inbound_sms", _record)
    hass.bus.async_listen("sms_gateways_delivery_status", _record_status)
    hass.http.register_view(ReadyView("ready"))
    hass.http.register_view(SendView("send_sms"))
    return True


class _ProbeView(HomeAssistantView):
    """One of the probe's views, at ``/api/crash_probe/<action>``."""

    requires_auth = False

    def __init__(self, action: str) -> None:
        self.url = f"/api/crash_probe/{action}"
        self.name = f"api:crash_probe:{action}"


class ReadyView(_ProbeView):
    """200 once every sms_gateways entry is loaded."""

    async def get(self, request: web.Request) -> web.Response:
        """Whether the entries are loaded."""
        hass = request.app[KEY_HASS]
        entries = hass.config_entries.async_entries("sms_gateways")
        state = entries[0].state.value if entries else None
        loaded = bool(entries) and all(e.state is ConfigEntryState.LOADED for e in entries)
        if not loaded:
            return self.json({"loaded": False, "state": state}, status_code=503)
        runtime = entries[0].runtime_data
        writes = {
            "inbound": runtime.inbound._store.writes,
            "deliveries": runtime.tracker._store.writes,
        }
        outbox = len(runtime.sending.outbox)
        return self.json({"loaded": True, "state": state, "writes": writes, "outbox": outbox})


class SendView(_ProbeView):
    """Call sms_gateways.send_sms and answer its response."""

    async def post(self, request: web.Request) -> web.Response:
        """Send what the body says."""
        hass = request.app[KEY_HASS]
        data: dict[str, Any] = await request.json()
        try:
            response = await hass.services.async_call(
                "sms_gateways", "send_sms", data, blocking=True, return_response=True
            )
        except Exception as err:  # noqa: BLE001
            return self.json({"error": f"{type(err).__name__}: {err}"}, status_code=500)
        return self.json(response)
