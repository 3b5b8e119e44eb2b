"""The steps of script/compat: one account, one SMS out and one in, on a real Home Assistant.

Talks to Home Assistant through its REST API only (onboarding, the config flow, an action, the
states) and to the simulator through its control API, then reads Home Assistant's log: any error
or deprecation warning that names this integration fails the run. Uses the standard library only,
so that it runs with the project's .venv whatever release of Home Assistant is tested.
"""

# ruff: noqa: T201 (a script that reports on its output)
from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import re
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from steps import StepError, Steps

DOMAIN = "sms_gateways"
TIMEOUT_S = float(os.environ.get("COMPAT_TIMEOUT_SECONDS", "60"))
START_TIMEOUT_S = 900  # the first start installs the frontend and the requirements
USERNAME, PASSWORD = "demo", "demo-password"  # the simulator's Mobyt demo account
RECIPIENT, SENDER = "+33612345678", "+33698765432"
# A log record starts with its date, and a warning Python prints itself with its file and line;
# the lines after it (a traceback, the source line) belong to it.
RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\S+:\d+: \w*Warning: )")
LEVEL = re.compile(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
# Names us: our package or our domain as a word (not the ~/.cache/sms_gateways folder of a path).
OURS = re.compile(r"custom_components[./]sms_gateways|(?<![\w/.-])sms_gateways(?![\w/-])")
DEPRECATION = re.compile(
    r"deprecat|will stop working|Detected that custom integration|Detected code that",
    re.IGNORECASE,
)


STEPS = Steps(TIMEOUT_S)
until = STEPS.until


class Api:
    """JSON over HTTP to Home Assistant (with a token once there is one) and the simulator."""

    def __init__(self, ha: str, sim: str) -> None:
        """Home Assistant's and the simulator's base URLs."""
        self.ha = ha
        self.sim = sim
        self.token: str | None = None

    def raw(self, url: str) -> tuple[str, bytes]:
        """The content type and the body of a GET (with the token); HTTPError on >= 400."""
        _status, kind, body = STEPS.exchange("GET", url, token=self.token)
        return kind, body

    def call(
        self,
        method: str,
        url: str,
        data: Any = None,
        *,
        form: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """The decoded JSON answer of one request (with the token to Home Assistant)."""
        token = self.token if url.startswith(self.ha) else None
        return STEPS.call(method, url, data, token=token, form=form, timeout=timeout)


def step(name: str, action: Callable[[], None]) -> None:
    """Run one step and say how long it took."""
    print(f"--> {name}", flush=True)
    started = time.monotonic()
    action()
    print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)


def wait_for_servers(api: Api, hass_pid: int | None) -> None:
    """Until Home Assistant answers on its onboarding API and the simulator on its control API."""

    def answer() -> bool:
        if hass_pid is not None and not Path(f"/proc/{hass_pid}").exists():
            raise StepError("Home Assistant stopped before it answered")
        try:
            api.call("GET", f"{api.ha}/api/onboarding")
            api.call("GET", f"{api.sim}/_control/messages")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            return False
        return True

    until("Home Assistant and the simulator answer", answer, START_TIMEOUT_S)


def onboard(api: Api) -> None:
    """Create the owner through the onboarding API and keep an access token of theirs."""
    code = api.call(
        "POST",
        f"{api.ha}/api/onboarding/users",
        {
            "client_id": f"{api.ha}/",
            "name": "Compat",
            "username": "compat",
            "password": "compat-password",
            "language": "en",
        },
    )["auth_code"]
    api.token = api.call(
        "POST",
        f"{api.ha}/auth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": f"{api.ha}/"},
        form=True,
    )["access_token"]


def add_account(api: Api) -> tuple[str, str]:
    """A Mobyt account at the simulator through the config flow; its entry ID and webhook URL."""
    flows = f"{api.ha}/api/config/config_entries/flow"
    # The first flow installs the integration's requirements (as for a user): it may take minutes.
    result = api.call(
        "POST",
        flows,
        {"handler": DOMAIN},
        timeout=START_TIMEOUT_S,
    )
    if result.get("type") != "menu" or "mobyt" not in result.get("menu_options", []):
        raise StepError(f"the first step is not the provider menu: {result}")
    result = api.call("POST", f"{flows}/{result['flow_id']}", {"next_step_id": "mobyt"})
    if result.get("type") != "form":
        raise StepError(f"Mobyt's step is not a form: {result}")
    values = {
        "username": USERNAME,
        "password": PASSWORD,
        # The API address is in the form's folded "advanced" section.
        "advanced": {"api_url": f"{api.sim}/mobyt/"},
    }
    asked = {field["name"] for field in result.get("data_schema", [])}
    if "advanced" not in asked:
        raise StepError(f"the form has no advanced section for the API address: {sorted(asked)}")
    result = api.call(
        "POST", f"{flows}/{result['flow_id']}", {k: v for k, v in values.items() if k in asked}
    )
    if result.get("type") != "create_entry":
        raise StepError(f"the account was not created: {result}")
    entry = result["result"]
    print(f"    {entry['title']} ({entry['entry_id']})", flush=True)

    def loaded() -> bool:
        entries = api.call("GET", f"{api.ha}/api/config/config_entries/entry?domain={DOMAIN}")
        return any(e["entry_id"] == entry["entry_id"] and e["state"] == "loaded" for e in entries)

    until("the entry is loaded", loaded)
    webhook_url = str(result.get("description_placeholders", {}).get("webhook_url", ""))
    if "/api/webhook/" not in webhook_url:
        raise StepError(f"the account's webhook URL is not shown: {result}")
    return entry["entry_id"], webhook_url


def brand_icon(api: Api) -> None:
    """Home Assistant serves the icon of the integration's brand/ folder."""
    kind, body = api.raw(f"{api.ha}/api/brands/integration/{DOMAIN}/icon.png")
    if not body.startswith(b"\x89PNG\r\n\x1a\n"):
        raise StepError(f"icon.png is {kind} {body[:16]!r}, not a PNG")


def send(api: Api, entry_id: str) -> None:
    """send_sms reaches Mobyt's SENDSMS with the recipient and text, and answers an id."""
    api.call("DELETE", f"{api.sim}/_control/requests")
    answer = api.call(
        "POST",
        f"{api.ha}/api/services/{DOMAIN}/send_sms?return_response",
        {"config_entry_id": entry_id, "recipients": [RECIPIENT], "message": "Hello from compat"},
    )
    print(f"    response: {json.dumps(answer.get('service_response'))}", flush=True)
    requests = api.call("GET", f"{api.sim}/_control/requests?path=/mobyt/Mobyt/SENDSMS")
    sent = [r for r in requests if "Hello+from+compat" in r.get("body", "")]
    if len(sent) != 1:
        raise StepError(f"the simulator got {len(sent)} SENDSMS with the text, not 1")
    body = urllib.parse.parse_qs(sent[0]["body"])
    if body.get("recipient") != [RECIPIENT]:
        raise StepError(f"sent to {body.get('recipient')}, not {RECIPIENT}")


def receive(api: Api, webhook_url: str) -> None:
    """A Mobyt push to the webhook is answered 200 and sets the inbound event entity."""

    def inbound_entity() -> dict[str, Any] | None:
        states = api.call("GET", f"{api.ha}/api/states")
        return next(
            (
                s
                for s in states
                if s["entity_id"].startswith("event.")
                and s["attributes"].get("event_types") == ["received"]
            ),
            None,
        )

    before = until("an inbound SMS event entity", inbound_entity)
    api.call("POST", f"{api.sim}/_control/webhooks", {"provider": "mobyt", "url": webhook_url})
    pushed = api.call(
        "POST",
        f"{api.sim}/_control/inbound",
        {
            "provider": "mobyt",
            "username": USERNAME,
            "sender": SENDER,
            "recipient": RECIPIENT,
            "text": "hello compat",
        },
    )
    print(f"    push: {pushed}", flush=True)

    def changed() -> bool:
        now: dict[str, Any] = api.call("GET", f"{api.ha}/api/states/{before['entity_id']}")
        return bool(
            now["state"] != before["state"] and now["attributes"].get("event_type") == "received"
        )

    until(f"{before['entity_id']} shows the received SMS", changed)


def our_problems(logs: list[Path]) -> list[str]:
    """Errors, and deprecation warnings, whose record (traceback included) names us."""
    found: list[str] = []
    for log in logs:
        if not log.is_file():
            continue
        records: list[list[str]] = []
        for line in log.read_text(errors="replace").splitlines():
            if RECORD.match(line) or not records:
                records.append([line])
            else:
                records[-1].append(line)
        for record in records:
            text = "\n".join(record)
            if not OURS.search(text):
                continue
            level = LEVEL.search(record[0])
            severe = level is not None and level.group(1) in {"ERROR", "CRITICAL"}
            if (severe or DEPRECATION.search(text) or "Warning:" in text) and text not in found:
                found.append(text)
    return found


def main() -> int:
    """Wait for the servers, onboard, run the steps, read the log; 0 when all went well."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ha-port", type=int, required=True)
    parser.add_argument("--sim-port", type=int, required=True)
    parser.add_argument("--log", type=Path, action="append", default=[])
    parser.add_argument("--hass-pid", type=int)
    args = parser.parse_args()
    api = Api(f"http://127.0.0.1:{args.ha_port}", f"http://127.0.0.1:{args.sim_port}")
    account: list[str] = []
    try:
        step("start", lambda: wait_for_servers(api, args.hass_pid))
        step("onboard", lambda: onboard(api))
        step("add-mobyt-account", lambda: account.extend(add_account(api)))
        entry_id, webhook_url = account
        step("brand-icon", lambda: brand_icon(api))
        step("send-sms", lambda: send(api, entry_id))
        step("receive-sms", lambda: receive(api, webhook_url))
    except Exception as err:  # noqa: BLE001 (any failure is reported, with what was answered)
        answered = err.read().decode(errors="replace") if hasattr(err, "read") else ""
        print(f"FAILED: {err} {answered}".rstrip(), file=sys.stderr)
        return 1
    problems = our_problems(args.log)
    if problems:
        print("FAILED: errors or deprecation warnings of ours in the log:", file=sys.stderr)
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    print("==> no error or deprecation warning of ours in the log", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
