"""The steps of script/e2e: a newcomer's path through Home Assistant's UI, in Chromium.

Each step saves a screenshot (``NN-name.png``) and raises on what a user would see as wrong; the
first failure ends the run with its screenshot and a non-zero exit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
from pathlib import Path
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import Page, expect, sync_playwright

HA = "http://127.0.0.1:18123"
SIM = "http://127.0.0.1:18900"
USER, PASSWORD = "newcomer", "newcomer-password"
DOMAIN = "sms_gateways"
PROVIDERS = {
    # menu text, login, demo password, api_url
    "netoxygen": ("NetOxygen (Switzerland)", "demo", "demo-password", "/netoxygen/api2/"),
    "smsfactor": ("SMSFactor (France)", "demo@example.com", "demo-password", "/smsfactor/API/"),
    "mobyt": ("Mobyt", "demo", "demo-password", "/mobyt/"),
    "sms123": ("123-SMS.net", "demo", "demo-password", "/sms123/api/"),
}
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


def http(
    method: str, url: str, data: Any = None, *, token: str | None = None, form: bool = False
) -> Any:
    """A JSON (or form) request; the decoded JSON answer."""
    headers = {}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
        text = response.read().decode()
    return json.loads(text) if text else None


def wait_for_home_assistant(seconds: float = 300) -> None:
    """Until Home Assistant answers on its onboarding API."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            http("GET", f"{HA}/api/onboarding")
            http("GET", f"{SIM}/_control/messages")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            time.sleep(1)
            continue
        return
    raise RuntimeError("Home Assistant or the simulator did not start")


def onboard() -> str:
    """Create the owner and finish onboarding through its API; an access token of the owner."""
    code = http(
        "POST",
        f"{HA}/api/onboarding/users",
        {
            "client_id": f"{HA}/",
            "name": "Newcomer",
            "username": USER,
            "password": PASSWORD,
            "language": "en",
        },
    )["auth_code"]
    token = http(
        "POST",
        f"{HA}/auth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": f"{HA}/"},
        form=True,
    )["access_token"]
    for step, data in (
        ("analytics", {}),
        ("integration", {"client_id": f"{HA}/", "redirect_uri": f"{HA}/?auth_callback=1"}),
    ):
        try:
            http("POST", f"{HA}/api/onboarding/{step}", data, token=token)
        except urllib.error.HTTPError as err:
            if err.code != 403:  # 403: that step was already done
                raise
    return token


class Run:
    """The browser page, the screenshots, and the step counter."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.number = 0

    def step(self, name: str, action: Callable[[], None]) -> None:
        """Run one step, then screenshot it (also when it failed)."""
        self.number += 1
        label = f"{self.number:02d}-{name}"
        print(f"--> {label}", flush=True)
        try:
            action()
        finally:
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=self.shots / f"{label}.png", full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--shots", type=Path, required=True)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--ha-port", type=int, default=18123)
    parser.add_argument("--sim-port", type=int, default=18900)
    args = parser.parse_args()
    global HA, SIM  # noqa: PLW0603 (set once, before anything runs)
    HA = f"http://127.0.0.1:{args.ha_port}"
    SIM = f"http://127.0.0.1:{args.sim_port}"

    wait_for_home_assistant()
    token = onboard()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        page.set_default_timeout(TIMEOUT_MS)
        run = Run(page, args.shots)
        try:
            steps(run, token, args.log)
        except Exception as err:  # noqa: BLE001 (the failed step is reported, with its screenshot)
            print(f"FAILED at step {run.number}: {err}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    print(f"All {run.number} steps passed.")
    return 0


def steps(run: Run, token: str, log: Path | None) -> None:
    page = run.page

    def log_in() -> None:
        page.goto(f"{HA}/")
        page.locator("input[autocomplete='username']").fill(USER)
        page.locator("input[autocomplete='current-password']").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{HA}/home/**", timeout=60_000)

    run.step("log-in", log_in)

    for provider, (menu, username, password, api_url) in PROVIDERS.items():

        def open_flow(menu: str = menu) -> None:
            page.goto(f"{HA}/config/integrations/dashboard")
            page.get_by_role("button", name="Add integration").click()
            page.wait_for_timeout(1000)
            page.keyboard.type("SMS Gateways")
            page.get_by_text("SMS Gateways", exact=True).last.click()
            expect(page.get_by_text("Which provider is your SMS account at?")).to_be_visible()
            page.get_by_text(menu, exact=True).click()

        def fill(
            password: str,
            username: str = username,
            api_url: str = api_url,
            provider: str = provider,
        ) -> None:
            page.locator("input[autocomplete='username']").fill(username)
            page.locator("input[autocomplete='current-password']").fill(password)
            page.locator("input[type='url']").fill(SIM + api_url)
            if provider == "smsfactor":
                # Username, password, sender, API address: the third field of the form.
                page.locator("ha-form input").nth(2).fill("Home")
            page.get_by_role("button", name="Submit").click()

        def wrong_password(fill: Callable[[str], None] = fill) -> None:
            fill("wrong-password")
            expect(page.get_by_text("Invalid authentication")).to_be_visible()

        def demo_account(
            fill: Callable[[str], None] = fill, password: str = password, menu: str = menu
        ) -> None:
            fill(password)
            expect(page.get_by_text("account is set up")).to_be_visible()
            page.get_by_role("button", name="Finish").click()

        run.step(f"{provider}-menu", open_flow)
        run.step(f"{provider}-wrong-password", wrong_password)
        run.step(f"{provider}-demo-account", demo_account)

    entries = http("GET", f"{HA}/api/config/config_entries/entry?domain={DOMAIN}", token=token)
    mobyt = next(entry for entry in entries if entry["title"].startswith("Mobyt"))

    def integration_page() -> None:
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        expect(page.get_by_text("Mobyt demo").first).to_be_visible()
        icon = page.locator(f"img[src*='brands/integration/{DOMAIN}/']").first
        expect(icon).to_be_visible()
        width = icon.evaluate("img => img.naturalWidth")
        if not width:
            raise AssertionError("the brand icon did not load")

    run.step("integration-page-and-brand-icon", integration_page)

    def options() -> None:
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        card = page.locator("ha-config-entry-row", has_text="Mobyt demo")
        card.get_by_role("button", name="Configure").first.click()
        expect(page.get_by_text("Mobyt account options")).to_be_visible()
        expect(page.get_by_text("/api/webhook/")).to_be_visible()

    run.step("mobyt-options", options)
    page.keyboard.press("Escape")

    def recipient() -> None:
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        page.get_by_role("button", name="Add recipient").first.click()
        # With several accounts Home Assistant first asks which one.
        page.get_by_text("Mobyt demo", exact=True).last.click()
        page.locator("ha-form input").first.fill("Alice")
        page.locator("input[type='tel']").fill("+33612345678")
        page.get_by_role("button", name="Submit").click()
        page.get_by_role("button", name="Finish").click()

    run.step("mobyt-recipient", recipient)

    def send_from_notify() -> None:
        http("DELETE", f"{SIM}/_control/requests")
        states = http("GET", f"{HA}/api/states", token=token)
        notify = next(
            s["entity_id"]
            for s in states
            if s["entity_id"].startswith("notify.") and "alice" in s["entity_id"]
        )
        http(
            "POST",
            f"{HA}/api/services/notify/send_message",
            {"entity_id": notify, "message": "Hello from e2e"},
            token=token,
        )
        sent = http("GET", f"{SIM}/_control/requests?path=/mobyt/Mobyt/SENDSMS")
        if not any("Hello" in json.dumps(request) for request in sent):
            raise AssertionError(f"the simulator did not receive the message: {sent}")
        page.goto(f"{HA}/config/entities?search=alice")

    run.step("send-from-notify-entity", send_from_notify)

    def inbound_push() -> None:
        # The URL the options show (the diagnostics redact it).
        flow = http(
            "POST",
            f"{HA}/api/config/config_entries/options/flow",
            {"handler": mobyt["entry_id"]},
            token=token,
        )
        http(
            "DELETE", f"{HA}/api/config/config_entries/options/flow/{flow['flow_id']}", token=token
        )
        url = flow["description_placeholders"]["webhook_url"]
        http("POST", f"{SIM}/_control/webhooks", {"provider": "mobyt", "url": url})
        http(
            "POST",
            f"{SIM}/_control/inbound",
            {
                "provider": "mobyt",
                "username": "demo",
                "sender": "+33698765432",
                "recipient": "+33612345678",
                "text": "hello e2e",
            },
        )
        page.goto(f"{HA}/config/devices/dashboard?search=mobyt")
        page.get_by_text("Mobyt demo").first.click()
        expect(page.get_by_text("Received").first).to_be_visible(timeout=30_000)

    run.step("mobyt-webhook-inbound-sms", inbound_push)
    if log is not None and log.is_file():
        errors = [
            line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line
        ]
        if errors:
            print("Errors in the log:\n" + "\n".join(errors[:20]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
