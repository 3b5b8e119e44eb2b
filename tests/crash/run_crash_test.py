# ruff: noqa: T201, ASYNC220
"""Crash test: a real Home Assistant killed with SIGKILL during bursts of pushes and sends.

Runs the simulator and ``hass`` as their own processes on loopback ports, with the integration of
this work tree linked into a temporary config (one Mobyt entry pre-created in ``.storage``) and a
test-only component (``crash_probe``) that appends every ``sms_gateways_inbound_sms`` to a file.
Each round starts Home Assistant, sends a burst of Mobyt inbound pushes (new ones, copies of ones
already answered, retries of ones a kill interrupted) and ``send_sms`` actions, and kills it at a
random moment. After each kill the deliveries file on disk must hold every send that was answered.
At the end every push is pushed until answered 200, and the events are counted:

- a push answered 200 at its first try fired exactly once;
- a push a kill interrupted fired at most once (zero when the kill fell between the write of its
  key and the firing: reported as ``lost in the window``);
- no push fired twice; no answered send is missing from the deliveries file.

Usage: ``.venv/bin/python tests/crash/run_crash_test.py [--kills 20] [--seed N]``. Exit status 0
when every check holds. Everything it starts it stops; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp
from homeassistant.components.http import config as http_config

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
ENTRY_ID = "01CRASHTEST000000000000000"
WEBHOOK_ID = "crash-test-webhook"
STARTUP_TIMEOUT = 120.0
REQUEST_TIMEOUT = 10.0
PUSH_WORKERS = 6
SENDS_PER_ROUND = 3
RECIPIENT = "+33612345678"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(config: Path, *, ha_port: int, sim_port: int) -> None:
    """A minimal Home Assistant config: HTTP on loopback, the probe, one Mobyt entry."""
    storage = config / ".storage"
    storage.mkdir(parents=True)
    (config / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: Crash test\n"
        "  time_zone: UTC\n"
        "  country: FR\n"
        "  unit_system: metric\n"
        "  latitude: 0\n"
        "  longitude: 0\n"
        "  elevation: 0\n"
        "logger:\n"
        "  default: warning\n"
        "crash_probe:\n",
        encoding="utf-8",
    )
    custom = config / "custom_components"
    custom.mkdir()
    (custom / "sms_gateways").symlink_to(ROOT / "custom_components" / "sms_gateways")
    (custom / "crash_probe").symlink_to(ROOT / "tests" / "crash" / "crash_probe")
    (custom / "frontend").symlink_to(ROOT / "tests" / "crash" / "frontend_stub")
    # Home Assistant's own storage form, as a confirmed setting (as script/develop writes it).
    stable = {
        **http_config.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": ha_port}),
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    http = {
        "version": http_config.STORAGE_VERSION,
        "minor_version": http_config.STORAGE_MINOR_VERSION,
        "key": http_config.STORAGE_KEY,
        "data": {
            http_config.KEY_STABLE: stable,
            http_config.KEY_PENDING: None,
            http_config.KEY_YAML_MIGRATION_DONE: True,
        },
    }
    entries = {
        "version": 1,
        "minor_version": 1,
        "key": "core.config_entries",
        "data": {
            "entries": [
                {
                    "entry_id": ENTRY_ID,
                    "version": 1,
                    "minor_version": 3,
                    "domain": "sms_gateways",
                    "title": "Mobyt demo",
                    "data": {
                        "provider": "mobyt",
                        "username": "demo",
                        "password": "demo-password",
                        "api_url": f"http://127.0.0.1:{sim_port}/mobyt/",
                        "webhook_id": WEBHOOK_ID,
                    },
                    "options": {"sender": "Home"},
                    "source": "user",
                    "unique_id": "mobyt_demo",
                }
            ]
        },
    }
    (storage / "http").write_text(json.dumps(http), encoding="utf-8")
    (storage / "core.config_entries").write_text(json.dumps(entries), encoding="utf-8")


@dataclass
class Push:
    """One distinct received SMS, as Mobyt pushes it."""

    message_id: str
    attempts: int = 0
    answered: bool = False
    clean: bool = True
    """Its first try was answered 200 (no kill in between)."""

    def form(self) -> dict[str, str]:
        """Mobyt's inbound push form."""
        return {
            "id": self.message_id,
            "sender": "+33698765432",
            "recipient": "+33757000001",
            "text": f"crash test {self.message_id}",
            "delivery_date": "20260101120000",
        }


@dataclass
class Figures:
    """What the run counted."""

    kills: int = 0
    push_requests: int = 0
    push_refused: int = 0
    copies: int = 0
    sends: int = 0
    sends_answered: int = 0
    sent_ids: set[str] = field(default_factory=set)
    send_failures: int = 0
    lost_sends: int = 0
    startup_seconds: list[float] = field(default_factory=list)
    burst_writes: int = -1


class Run:
    """The processes and the bookkeeping of one crash test."""

    def __init__(self, workdir: Path, rng: random.Random) -> None:
        """Nothing is started yet."""
        self.workdir = workdir
        self.config = workdir / "config"
        self.rng = rng
        self.ha_port = free_port()
        self.sim_port = free_port()
        self.base = f"http://127.0.0.1:{self.ha_port}"
        self.sim: subprocess.Popen[bytes] | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        self.pushes: list[Push] = []
        self.figures = Figures()

    # --- processes ------------------------------------------------------------------------------

    def start_simulator(self) -> None:
        """The simulator on its own port; messages never move on by themselves."""
        log = (self.workdir / "simulator.log").open("ab")
        self.sim = subprocess.Popen(  # noqa: S603
            [str(PYTHON), "-m", "simulator", "--port", str(self.sim_port), "--step-seconds", "0"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def start_hass(self, session: aiohttp.ClientSession) -> None:
        """Start Home Assistant and wait until the entry is loaded."""
        log = (self.workdir / "hass.log").open("ab")
        started = time.monotonic()
        self.hass = subprocess.Popen(  # noqa: S603
            [str(PYTHON), "-m", "homeassistant", "-c", str(self.config), "--skip-pip"],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.hass.poll() is not None:
                raise RuntimeError(f"hass exited with {self.hass.returncode}: see hass.log")
            try:
                async with session.get(f"{self.base}/api/crash_probe/ready") as response:
                    if response.status == 200:
                        self.figures.startup_seconds.append(time.monotonic() - started)
                        return
            except aiohttp.ClientError, TimeoutError:
                pass
            await asyncio.sleep(0.25)
        raise RuntimeError("hass did not load the entry in time: see hass.log")

    async def writes(self, session: aiohttp.ClientSession) -> int:
        """How many times the inbound state was written since this start."""
        async with session.get(f"{self.base}/api/crash_probe/ready") as response:
            return int((await response.json())["writes"]["inbound"])

    def kill_hass(self) -> None:
        """SIGKILL, the way a crash ends a process."""
        if self.hass is not None and self.hass.poll() is None:
            os.killpg(self.hass.pid, signal.SIGKILL)
            self.hass.wait(timeout=30)
        self.hass = None

    def stop_all(self) -> None:
        """Stop whatever is still running (only the processes this run started)."""
        self.kill_hass()
        if self.sim is not None and self.sim.poll() is None:
            os.killpg(self.sim.pid, signal.SIGTERM)
            try:
                self.sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.sim.pid, signal.SIGKILL)
                self.sim.wait(timeout=10)
        self.sim = None

    # --- traffic --------------------------------------------------------------------------------

    async def push(self, session: aiohttp.ClientSession, push: Push, *, copy: bool) -> None:
        """Post one push; a push not answered 200 is pushed again later, as a provider does."""
        if not copy:
            push.attempts += 1
        self.figures.push_requests += 1
        try:
            async with session.post(
                f"{self.base}/api/webhook/{WEBHOOK_ID}", data=push.form()
            ) as response:
                await response.read()
                ok = response.status == 200
        except aiohttp.ClientError, TimeoutError:
            ok = False
        if copy:
            self.figures.copies += 1
            return
        if ok:
            push.answered = True
        else:
            push.clean = False
            self.figures.push_refused += 1

    async def send(self, session: aiohttp.ClientSession, n: int) -> None:
        """One send_sms; its message ids must be on disk once it is answered."""
        self.figures.sends += 1
        body = {
            "config_entry_id": ENTRY_ID,
            "recipients": [RECIPIENT],
            "message": f"crash test send {n}",
        }
        try:
            async with session.post(f"{self.base}/api/crash_probe/send_sms", json=body) as answer:
                data: dict[str, Any] = await answer.json()
                if answer.status != 200:
                    self.figures.send_failures += 1
                    return
        except aiohttp.ClientError, TimeoutError, ValueError:
            return  # killed before it answered: no promise was made
        self.figures.sends_answered += 1
        for message in data.get("messages", []):
            if message.get("accepted") and message.get("message_id"):
                self.figures.sent_ids.add(str(message["message_id"]))

    async def burst(self, session: aiohttp.ClientSession, round_no: int, *, kill: bool) -> None:
        """New pushes, copies and retries, and a few sends; a kill at a random moment."""
        fresh = [Push(f"{round_no:03d}{n:03d}") for n in range(self.rng.randint(20, 60))]
        self.pushes.extend(fresh)
        retries = [p for p in self.pushes if not p.answered and p not in fresh]
        answered = [p for p in self.pushes if p.answered]
        copies = self.rng.sample(answered, min(len(answered), 10))
        work: list[tuple[Push, bool]] = [(p, False) for p in [*retries, *fresh]]
        work += [(p, True) for p in copies]
        self.rng.shuffle(work)
        # Also a copy of a fresh push right behind it: two copies arriving together.
        work += [(p, True) for p in self.rng.sample(fresh, min(len(fresh), 5))]
        queue: asyncio.Queue[tuple[Push, bool]] = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                push, copy = queue.get_nowait()
                await self.push(session, push, copy=copy)

        async def sender() -> None:
            for n in range(SENDS_PER_ROUND):
                await self.send(session, round_no * 100 + n)

        tasks = [asyncio.ensure_future(worker()) for _ in range(PUSH_WORKERS)]
        tasks.append(asyncio.ensure_future(sender()))
        if kill:
            await asyncio.sleep(self.rng.uniform(0.05, 1.5))
            self.kill_hass()
            self.figures.kills += 1
        await asyncio.gather(*tasks)

    # --- checks ---------------------------------------------------------------------------------

    def stored(self, kind: str) -> dict[str, Any]:
        """What the integration has on disk now."""
        path = self.config / ".storage" / f"sms_gateways.{ENTRY_ID}.{kind}"
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["data"]
        return data

    def check_sends_on_disk(self) -> None:
        """Every answered send is in the deliveries file, as the kill left it."""
        stored = self.stored("deliveries")
        followed = {str(m.get("message_id")) for m in stored.get("pending", [])}
        if stored.get("last"):
            followed.add(str(stored["last"].get("message_id")))
        self.figures.lost_sends = len(self.figures.sent_ids - followed)

    def events(self) -> Counter[str]:
        """How many times each message id fired, from the probe's file."""
        path = self.config / "crash_probe_events.jsonl"
        counts: Counter[str] = Counter()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    counts[str(json.loads(line)["message_id"])] += 1
        return counts


async def main_async(kills: int, seed: int, workdir: Path) -> int:
    """Run the rounds, then count; the exit status."""
    rng = random.Random(seed)  # noqa: S311
    run = Run(workdir, rng)
    RUNS.append(run)
    write_config(run.config, ha_port=run.ha_port, sim_port=run.sim_port)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    started = time.monotonic()
    try:
        run.start_simulator()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for round_no in range(1, kills + 1):
                await run.start_hass(session)
                await run.burst(session, round_no, kill=True)
                run.check_sends_on_disk()
                if run.figures.lost_sends:
                    print(f"round {round_no}: a send answered before the kill is not on disk")
                    break
            # The last start: every push is pushed until answered, as a provider does.
            await run.start_hass(session)
            for _ in range(5):
                unanswered = [p for p in run.pushes if not p.answered]
                if not unanswered:
                    break
                for push in unanswered:
                    await run.push(session, push, copy=False)
            for push in rng.sample(run.pushes, min(len(run.pushes), 20)):
                await run.push(session, push, copy=True)
            # A burst of 50 new pushes at once: how many writes it costs.
            before = await run.writes(session)
            burst = [Push(f"final{n:03d}") for n in range(50)]
            run.pushes.extend(burst)
            await asyncio.gather(*(run.push(session, p, copy=False) for p in burst))
            run.figures.burst_writes = (await run.writes(session)) - before
            await asyncio.sleep(1)
            run.kill_hass()
            run.check_sends_on_disk()
    finally:
        run.stop_all()
    return report(run, time.monotonic() - started)


def report(run: Run, seconds: float) -> int:
    """Print the figures; 0 when every check holds."""
    figures = run.figures
    counts = run.events()
    distinct = {p.message_id for p in run.pushes}
    clean = [p for p in run.pushes if p.clean]
    interrupted = [p for p in run.pushes if not p.clean]
    duplicates = sum(1 for n in counts.values() if n > 1)
    clean_lost = sum(1 for p in clean if counts[p.message_id] == 0)
    window_lost = sum(1 for p in interrupted if counts[p.message_id] == 0)
    unanswered = sum(1 for p in run.pushes if not p.answered)
    strangers = sum(1 for key in counts if key not in distinct)
    startups = figures.startup_seconds
    print(f"crash test: {seconds:.0f} s, seed {args_seed}")
    print(f"  kills (SIGKILL)                    {figures.kills}")
    print(
        f"  hass start-ups                     {len(startups)}, {min(startups):.1f}-"
        f"{max(startups):.1f} s to loaded"
    )
    print(f"  distinct pushes                    {len(distinct)}")
    print(f"  push requests (with retries)       {figures.push_requests}")
    print(f"  copies of answered/fresh pushes    {figures.copies}")
    print(f"  tries not answered 200 (retried)   {figures.push_refused}")
    print(f"  events fired                       {sum(counts.values())}")
    print(f"  pushes fired twice or more         {duplicates}")
    print(f"  answered at first try, not fired   {clean_lost}")
    print(f"  interrupted, fired 0 (the window)  {window_lost} of {len(interrupted)}")
    print(f"  never answered 200                 {unanswered}")
    print(
        f"  sends answered                     {figures.sends_answered} of {figures.sends} "
        f"({len(figures.sent_ids)} messages), failed {figures.send_failures}"
    )
    print(f"  answered sends missing from disk   {figures.lost_sends}")
    print(f"  writes for 50 pushes at once       {figures.burst_writes}")
    failed = (
        duplicates
        or clean_lost
        or unanswered
        or strangers
        or figures.lost_sends
        or figures.kills < min(20, args_kills)
        or not figures.sent_ids
    )
    print("crash test: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


args_seed = 0
args_kills = 20
RUNS: list[Run] = []
"""The run in progress, so that a SIGTERM (a CI timeout) still stops its processes."""


def _terminate(_signum: int, _frame: object) -> None:
    raise SystemExit(143)


def main() -> int:
    """Parse the arguments and run in a temporary directory."""
    global args_seed, args_kills
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    args_seed, args_kills = args.seed, args.kills
    workdir = Path(tempfile.mkdtemp(prefix="sms-gateways-crash-"))
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status = asyncio.run(main_async(args.kills, args.seed, workdir))
    finally:
        for run in RUNS:
            run.stop_all()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if status and not args.keep:
        print("run again with --keep --seed to see hass.log")
    return status


if __name__ == "__main__":
    sys.exit(main())
