"""The steps of script/e2e: a newcomer's path through Home Assistant's UI, in Chromium.

Each step saves a screenshot (``NN-name.png``, and ``NN-name-FAILED.png`` when it failed) and raises
on what a user would see as wrong; the first failure ends the run with a non-zero exit.

Only Playwright's auto-waiting locators and ``expect`` wait (no fixed sleeps decide anything), with
a timeout meant for a loaded 2-core machine (``E2E_TIMEOUT_SECONDS``, default 60).
"""

# ruff: noqa: T201 (a script that reports on its output)
from __future__ import annotations

import argparse
from collections.abc import Callable
import os
from pathlib import Path
import re
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import Page, expect, sync_playwright
from steps import StepError, Steps

HA = "http://127.0.0.1:18123"
SIM = "http://127.0.0.1:18900"
USER, PASSWORD = "newcomer", "newcomer-password"
DOMAIN = "sms_gateways"
PROVIDERS = {
    # menu text, username, demo password, api_url (the simulator's demo accounts)
    "netoxygen": ("NetOxygen (Switzerland)", "demo", "demo-password", "/netoxygen/api2/"),
    "smsfactor": ("SMSFactor (France)", "demo@example.com", "demo-password", "/smsfactor/API/"),
    "mobyt": ("Mobyt", "demo", "demo-password", "/mobyt/"),
    "sms123": ("123-SMS.net", "demo", "demo-password", "/sms123/api/"),
}
RECIPIENT_NAME, RECIPIENT_NUMBER = "Alice", "+33612345678"
TIMEOUT_S = float(os.environ.get("E2E_TIMEOUT_SECONDS", "60"))
TIMEOUT_MS = int(TIMEOUT_S * 1000)
expect.set_options(timeout=TIMEOUT_MS)


STEPS = Steps(TIMEOUT_S)
http, until = STEPS.call, STEPS.until


def wait_for_servers(seconds: float = 600) -> None:
    """Until Home Assistant answers on its onboarding API and the simulator on its control API."""

    def answer() -> bool:
        try:
            http("GET", f"{HA}/api/onboarding")
            http("GET", f"{SIM}/_control/messages")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            return False
        return True

    until("Home Assistant and the simulator answer", answer, seconds)


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
    token: str = http(
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
        """Screenshots of page go to shots."""
        self.page = page
        self.shots = shots
        self.number = 0
        self.label = ""
        self.names: list[str] = []

    def step(self, name: str, action: Callable[[], None]) -> None:
        """Run one step, then screenshot it (named -FAILED when it failed)."""
        self.number += 1
        self.label = f"{self.number:02d}-{name}"
        self.names.append(self.label)
        print(f"--> {self.label}", flush=True)
        started = time.monotonic()
        try:
            action()
        except BaseException:
            self.shot("FAILED")
            raise
        self.shot()
        print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)

    def shot(self, suffix: str = "") -> None:
        """A screenshot of the page now, in the step's name (+ suffix)."""
        name = f"{self.label}-{suffix}" if suffix else self.label
        try:
            self.page.screenshot(path=self.shots / f"{name}.png", full_page=True)
        except Exception as err:  # noqa: BLE001 (a missing screenshot must not hide the failure)
            print(f"    (no screenshot {name}: {err})", file=sys.stderr)


def main() -> int:
    """Wait for the servers, onboard, run the steps; 0 when every step passed."""
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

    started = time.monotonic()
    try:
        wait_for_servers()
        token = onboard()
    except Exception as err:  # noqa: BLE001
        print(f"FAILED before the browser: {err}", file=sys.stderr)
        return 1
    print(
        f"==> Home Assistant ready and onboarded in {time.monotonic() - started:.0f} s", flush=True
    )
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
            print(f"FAILED at step {run.label}: {err}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    print(f"All {run.number} steps passed in {time.monotonic() - started:.0f} s:")
    for name in run.names:
        print(f"    {name}")
    return 0


def hass_js(page: Page, expression: str) -> Any:
    """Evaluate ``expression`` with ``hass`` (the frontend's connection object) in scope."""
    script = "() => { const hass = document.querySelector('home-assistant').hass; return %s; }"
    return page.evaluate(script % expression)


def steps(run: Run, token: str, log: Path | None) -> None:  # noqa: PLR0915 (one story)
    """The newcomer's path, step by step."""
    page = run.page

    def entries() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = http(
            "GET", f"{HA}/api/config/config_entries/entry?domain={DOMAIN}", token=token
        )
        return found

    def loaded() -> int:
        return sum(entry["state"] == "loaded" for entry in entries())

    def log_in() -> None:
        page.goto(f"{HA}/")
        page.locator("input[autocomplete='username']").fill(USER)
        page.locator("input[autocomplete='current-password']").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(HA) + r"/(home|lovelace)"), timeout=TIMEOUT_MS)
        expect(page.get_by_text("Settings", exact=True).first).to_be_visible()

    run.step("log-in", log_in)

    for provider, (menu, username, password, api_url) in PROVIDERS.items():

        def open_flow(menu: str = menu) -> None:
            page.goto(f"{HA}/config/integrations/dashboard")
            page.get_by_role("button", name="Add integration").click()
            page.get_by_placeholder("Search for a brand name").fill("SMS Gateways")
            # Look inside the dialog only: an account created by an earlier step puts the same
            # words on the dashboard behind it.
            brand = page.locator("dialog-add-integration").get_by_text("SMS Gateways", exact=True)
            expect(brand).to_be_visible()
            brand.click()
            expect(page.get_by_text("Which provider is your SMS account at?")).to_be_visible()
            page.get_by_text(menu, exact=True).click()
            expect(page.locator("input[name='username']")).to_be_visible()

        def fill(password: str, username: str = username, api_url: str = api_url) -> None:
            page.locator("input[name='username']").fill(username)
            page.locator("input[name='password']").fill(password)
            # The API address is in the form's folded "Advanced options" section.
            api_url_input = page.locator("input[name='api_url']")
            if not api_url_input.is_visible():
                page.get_by_text("Advanced options", exact=True).click()
            expect(api_url_input).to_be_visible()
            api_url_input.fill(SIM + api_url)
            sender = page.locator("input[name='sender'][required]")
            if sender.count():  # SMSFactor asks one where the flow has the field
                sender.fill("Home")
            page.get_by_role("button", name="Submit").click()

        def wrong_password(fill: Callable[[str], None] = fill) -> None:
            fill("wrong-password")
            expect(page.get_by_text("Invalid authentication")).to_be_visible()

        def demo_account(
            fill: Callable[[str], None] = fill, password: str = password, provider: str = provider
        ) -> None:
            before = loaded()
            fill(password)
            expect(page.get_by_text("account is set up")).to_be_visible()
            run.shot("created")
            page.get_by_role("button", name="Finish").click()
            expect(page.get_by_role("button", name="Finish")).to_have_count(0)
            until(f"a new {provider} entry is loaded", lambda: loaded() > before)

        run.step(f"{provider}-menu", open_flow)
        run.step(f"{provider}-wrong-password", wrong_password)
        run.step(f"{provider}-demo-account", demo_account)

    mobyt = next(entry for entry in entries() if entry["title"].startswith("Mobyt"))
    mobyt_id = mobyt["entry_id"]

    def integration_page_and_brand_icon() -> None:
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        expect(page.get_by_text(mobyt["title"]).first).to_be_visible()
        icon = page.locator(f"img[src*='brands/integration/{DOMAIN}/icon']").first
        expect(icon).to_be_visible()
        until(
            "the brand icon is drawn (naturalWidth > 0)",
            lambda: icon.evaluate("i => i.complete && i.naturalWidth > 0"),
        )
        status, kind, body = STEPS.exchange(
            "GET", f"{HA}/api/brands/integration/{DOMAIN}/icon.png", token=token
        )
        if status != 200 or not body.startswith(b"\x89PNG\r\n\x1a\n"):
            raise StepError(f"icon.png answered {status} {kind} {body[:16]!r}, not a PNG")
        print(f"    icon.png: {status} {kind}, {len(body)} bytes", flush=True)

    run.step("integration-page-and-brand-icon", integration_page_and_brand_icon)

    webhook_url = ""

    def options() -> None:
        nonlocal webhook_url
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        card = page.locator("ha-config-entry-row", has_text=mobyt["title"])
        card.get_by_role("button", name="Configure").first.click()
        expect(page.get_by_text("Mobyt account options")).to_be_visible()
        shown = page.get_by_text("/api/webhook/")
        expect(shown).to_be_visible()
        webhook_url = shown.inner_text().strip()
        if not re.fullmatch(re.escape(HA) + r"/api/webhook/[0-9a-f]{16,}", webhook_url):
            raise StepError(f"the options show {webhook_url!r}, not this instance's webhook URL")
        run.shot("dialog")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Options successfully saved")).to_be_visible()
        run.shot("saved")
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_role("button", name="Finish")).to_have_count(0)

    run.step("mobyt-options", options)

    def recipient() -> None:
        page.goto(f"{HA}/config/integrations/integration/{DOMAIN}")
        page.get_by_role("button", name="Add recipient").first.click()
        # With several accounts Home Assistant first asks which one, in a dialog of its own. The
        # title is also on the account's card behind that dialog: look inside the dialog only.
        account = page.locator("dialog-pick-config-entry").get_by_text(mobyt["title"], exact=True)
        expect(account).to_be_visible()
        account.click()
        flow = page.locator("dialog-data-entry-flow")
        name = flow.locator("input[name='name']")
        expect(name).to_be_visible()
        name.fill(RECIPIENT_NAME)
        flow.locator("input[name='phone_number']").fill(RECIPIENT_NUMBER)
        flow.get_by_role("button", name="Submit").click()
        finish = flow.get_by_role("button", name="Finish")
        expect(finish).to_be_visible()
        finish.click()
        # The dialog's element stays in the page once closed; its button does not.
        expect(finish).to_have_count(0)
        expect(page.get_by_text(RECIPIENT_NAME, exact=True).first).to_be_visible()

    run.step("mobyt-recipient", recipient)

    def notify_entity() -> str | None:
        """The notify entity of the recipient subentry, found by its device (names may change)."""
        found = hass_js(
            page,
            f"""Object.values(hass.entities).filter(e => e.platform === '{DOMAIN}'
                && e.entity_id.startsWith('notify.') && hass.devices[e.device_id]
                && Object.entries(hass.devices[e.device_id].config_entries_subentries || {{}})
                     .some(([entry, subs]) => entry === '{mobyt_id}' && subs.some(s => s)))
              .map(e => e.entity_id)""",
        )
        return found[0] if found else None

    def send_from_notify_entity() -> None:
        http("DELETE", f"{SIM}/_control/requests")
        entity_id = until("a notify entity for the recipient", notify_entity)
        print(f"    {entity_id}", flush=True)
        page.goto(f"{HA}/developer-tools/action")
        page.get_by_text("YAML mode", exact=True).click()
        editor = page.locator("ha-code-editor .cm-content").first
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(
            "action: notify.send_message\n"
            f"target:\n  entity_id: {entity_id}\n"
            "data:\n  message: Hello from the e2e browser\n"
        )
        expect(page.get_by_text("Send a notification message").first).to_be_visible()
        page.get_by_role("button", name="Perform action").click()

        def sent() -> list[dict[str, Any]] | None:
            requests = http("GET", f"{SIM}/_control/requests?path=/mobyt/Mobyt/SENDSMS")
            found = [r for r in requests if "Hello+from+the+e2e+browser" in r.get("body", "")]
            return found or None

        found = until("the simulator's log shows the message sent to Mobyt SENDSMS", sent)
        body = urllib.parse.parse_qs(found[0]["body"])
        if body.get("recipient") != [RECIPIENT_NUMBER]:
            raise StepError(f"sent to {body.get('recipient')}, not {RECIPIENT_NUMBER}")
        print(f"    simulator got POST {found[0]['path']} recipient={body['recipient'][0]}")

        def notified() -> bool:
            state = http("GET", f"{HA}/api/states/{entity_id}", token=token)["state"]
            return state not in {"unknown", "unavailable"}

        until(f"{entity_id} records the send", notified)
        expect(page.get_by_role("button", name="Perform action")).to_be_enabled()

    run.step("send-from-notify-entity", send_from_notify_entity)

    def inbound_push() -> None:
        device = hass_js(
            page,
            f"""Object.values(hass.devices).find(d => (d.config_entries_subentries || {{}})
                ['{mobyt_id}']?.includes(null))?.id""",
        )
        inbound_name = hass_js(
            page,
            f"""Object.values(hass.entities).find(e => e.device_id === '{device}'
                && e.translation_key === 'inbound_sms')?.name""",
        )
        if not device or not inbound_name:
            raise StepError("no Mobyt device with an inbound SMS event entity")
        page.goto(f"{HA}/config/devices/device/{device}")
        row = page.locator("hui-event-entity-row", has_text=inbound_name)
        expect(row).to_contain_text("Unknown")
        run.shot("before")
        # The simulator pushes to the URL the options showed, as Mobyt would once it is pasted.
        http("POST", f"{SIM}/_control/webhooks", {"provider": "mobyt", "url": webhook_url})
        http(
            "POST",
            f"{SIM}/_control/inbound",
            {
                "provider": "mobyt",
                "username": PROVIDERS["mobyt"][1],
                "sender": "+33698765432",
                "recipient": RECIPIENT_NUMBER,
                "text": "hello e2e",
            },
        )
        expect(row).to_contain_text("Received")
        expect(row).not_to_contain_text("Unknown")

    run.step("mobyt-webhook-inbound-sms", inbound_push)

    def log_has_no_error_of_ours() -> None:
        if log is None or not log.is_file():
            return
        lines = log.read_text(errors="replace").splitlines()
        errors = [line for line in lines if re.search(r" (ERROR|CRITICAL) ", line)]
        ours = [line for line in errors if DOMAIN in line]
        others = [line for line in errors if DOMAIN not in line]
        if others:
            print("    other errors in the log:\n    " + "\n    ".join(others[:10]), flush=True)
        if ours:
            raise StepError("errors of ours in the log:\n" + "\n".join(ours[:20]))

    run.step("log-has-no-error-of-ours", log_has_no_error_of_ours)


if __name__ == "__main__":
    sys.exit(main())
