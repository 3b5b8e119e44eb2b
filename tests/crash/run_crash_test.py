# ruff: noqa: T201, ASYNC220
"""Crash test: a real Home Assistant killed with SIGKILL during bursts of pushes and sends.

Runs the simulator and ``hass`` as their own processes on loopback ports, with the integration of
this work tree linked into a temporary config (one Mobyt entry pre-created in ``.storage``) and a
test-only component (``crash_probe``) that appends every ``sms_gateways_inbound_sms`` to a file.
Home Assistant reaches the simulator through a link of this script's own (a TCP relay) that can
be cut: then every connection is refused, as when the router has no link yet.

Each round starts Home Assistant, sends a burst of Mobyt inbound pushes (new ones, copies of ones
already answered, retries of ones a kill interrupted) and ``send_sms`` actions, and kills it at a
random moment inside the burst (after a random number of its requests were answered) or, in some
rounds, in the second after it, while the outbox retries. A third of the rounds start with the
link cut (the outbox takes the sends); half of those bring the link back during the round. After
each kill the deliveries file on disk must hold every send that was answered. At the end the
link is up, every push is pushed until answered 200, the outbox is left to empty, and:

- every push fired at least once; a push that fired twice was marked ``redelivered`` the second
  time (a kill between its firing and the record that it fired); none fired twice unmarked;
- a send answered (taken or ``retrying``) left exactly once, or was reported ``unknown`` (a kill
  while its request may have been out) and left at most once; a send a kill left unanswered left
  at most once; a refused send never left; no answered send is missing from the deliveries file.

Usage: ``.venv/bin/python tests/crash/run_crash_test.py [--kills 20] [--seed N]``. Exit status 0
when every check holds. Everything it starts it stops; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
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
OUTAGE_SHARE = 3
"""One round in this many starts with the link cut."""
DRAIN_TIMEOUT = 60.0


def recipient_of(n: int) -> str:
    """Each send its own recipient, so that a status event tells which send it is about."""
    return f"+336{n:08d}"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(config: Path, *, ha_port: int, link_port: int) -> None:
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
                        "api_url": f"http://127.0.0.1:{link_port}/mobyt/",
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


class Link:
    """A TCP relay from Home Assistant to the simulator that can be cut.

    Cut, nothing listens on its port and every open connection is closed: each new connection
    is refused (``ClientConnectorError``), as with no route to the provider.
    """

    def __init__(self, port: int, target: int) -> None:
        """Down until ``up``."""
        self.port = port
        self.target = target
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def is_up(self) -> bool:
        """Whether connections are relayed."""
        return self._server is not None

    async def up(self) -> None:
        """Relay connections from now on."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._relay, "127.0.0.1", self.port, reuse_address=True
            )

    async def down(self) -> None:
        """Refuse connections, and close those open."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


@dataclass
class Send:
    """One send_sms, and what its answer promised."""

    n: int
    answer: str = "none"
    """``none`` (killed before it answered), ``taken``, ``retrying`` or ``refused``."""

    @property
    def text(self) -> str:
        """Its text, which tells it apart in the simulator."""
        return f"crash test send {self.n}"


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
    outage_starts: int = 0
    outage_starts_loaded: int = 0
    link_back_in_round: int = 0
    kills_inside_burst: int = 0
    outbox_left: int = -1


class Run:
    """The processes and the bookkeeping of one crash test."""

    def __init__(self, workdir: Path, rng: random.Random) -> None:
        """Nothing is started yet."""
        self.workdir = workdir
        self.config = workdir / "config"
        self.rng = rng
        self.ha_port = free_port()
        self.sim_port = free_port()
        self.link = Link(free_port(), self.sim_port)
        self.base = f"http://127.0.0.1:{self.ha_port}"
        self.sim: subprocess.Popen[bytes] | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        self.pushes: list[Push] = []
        self.sends: list[Send] = []
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

    async def start_hass(self, session: aiohttp.ClientSession, *, outage: bool = False) -> None:
        """Start Home Assistant and wait until the entry is loaded.

        In an outage (the link cut), an entry that waits in "setup retry" is ready too: the
        integration before the start without network did not load then.
        """
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
                    state = (await response.json()).get("state")
                    if response.status == 200 or (outage and state == "setup_retry"):
                        self.figures.startup_seconds.append(time.monotonic() - started)
                        if outage:
                            self.figures.outage_starts += 1
                            self.figures.outage_starts_loaded += response.status == 200
                        return
            except aiohttp.ClientError, TimeoutError, ValueError:
                pass
            await asyncio.sleep(0.25)
        raise RuntimeError("hass did not load the entry in time: see hass.log")

    async def writes(self, session: aiohttp.ClientSession) -> int:
        """How many times the inbound state was written since this start."""
        async with session.get(f"{self.base}/api/crash_probe/ready") as response:
            return int((await response.json())["writes"]["inbound"])

    async def drain_outbox(self, session: aiohttp.ClientSession) -> int:
        """Wait (bounded) until the outbox is empty; how many messages are left in it."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        left = -1
        while time.monotonic() < deadline:
            async with session.get(f"{self.base}/api/crash_probe/ready") as response:
                left = int((await response.json()).get("outbox", -1))
            if left == 0:
                break
            await asyncio.sleep(0.25)
        return left

    async def sent_texts(self, session: aiohttp.ClientSession) -> Counter[str]:
        """How many times the simulator took each text."""
        async with session.get(f"http://127.0.0.1:{self.sim_port}/_control/messages") as answer:
            messages: list[dict[str, Any]] = await answer.json()
        return Counter(str(m["text"]) for m in messages)

    def kill_hass(self) -> None:
        """SIGKILL, the way a crash ends a process."""
        if self.hass is not None and self.hass.poll() is None:
            os.killpg(self.hass.pid, signal.SIGKILL)
            self.hass.wait(timeout=30)
        self.hass = None

    def stop_all(self) -> None:
        """Stop whatever is still running (only the processes this run started)."""
        self.kill_hass()
        if self.link._server is not None:
            self.link._server.close()
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
        send = Send(n)
        self.sends.append(send)
        body = {"config_entry_id": ENTRY_ID, "recipients": [recipient_of(n)], "message": send.text}
        try:
            async with session.post(f"{self.base}/api/crash_probe/send_sms", json=body) as answer:
                data: dict[str, Any] = await answer.json()
                if answer.status != 200:
                    self.figures.send_failures += 1
                    send.answer = "refused"
                    return
        except aiohttp.ClientError, TimeoutError, ValueError:
            return  # killed before it answered: no promise was made
        self.figures.sends_answered += 1
        for message in data.get("messages", []):
            if message.get("accepted") and message.get("message_id"):
                self.figures.sent_ids.add(str(message["message_id"]))
                send.answer = "taken"
            elif message.get("status") == "retrying":
                send.answer = "retrying"

    async def burst(
        self, session: aiohttp.ClientSession, round_no: int, *, kill: bool, link_back: bool
    ) -> None:
        """New pushes, copies and retries, and a few sends; a kill at a random moment.

        The kill falls inside the burst, after a random number of its requests were answered,
        or in the 1.5 s after it (one round in four), while the outbox and the writes of the
        burst's end run. ``link_back``: the link comes up at a random moment of the round.
        """
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
        inside = self.rng.random() < 0.75
        kill_after = self.rng.randint(1, len(work) + SENDS_PER_ROUND)
        done = 0
        reached = asyncio.Event()

        def answered_one() -> None:
            nonlocal done
            done += 1
            if done >= kill_after:
                reached.set()

        async def worker() -> None:
            while not queue.empty():
                push, copy = queue.get_nowait()
                await self.push(session, push, copy=copy)
                answered_one()

        async def sender() -> None:
            for n in range(SENDS_PER_ROUND):
                await self.send(session, round_no * 100 + n)
                answered_one()

        async def bring_link_back() -> None:
            await asyncio.sleep(self.rng.uniform(0, 1.0))
            await self.link.up()

        tasks = [asyncio.ensure_future(worker()) for _ in range(PUSH_WORKERS)]
        tasks.append(asyncio.ensure_future(sender()))
        if link_back:
            self.figures.link_back_in_round += 1
            tasks.append(asyncio.ensure_future(bring_link_back()))
        if kill:
            if inside:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        await reached.wait()
                await asyncio.sleep(self.rng.uniform(0, 0.005))
                self.figures.kills_inside_burst += not all(t.done() for t in tasks)
            else:
                await asyncio.gather(*tasks)
                await asyncio.sleep(self.rng.uniform(0, 1.5))
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

    def probe_lines(self) -> list[dict[str, Any]]:
        """What the probe wrote, in order."""
        path = self.config / "crash_probe_events.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def events(self) -> tuple[Counter[str], Counter[str]]:
        """How many times each message id fired, and how many of those were marked redelivered."""
        counts: Counter[str] = Counter()
        redelivered: Counter[str] = Counter()
        for line in self.probe_lines():
            if "message_id" in line:
                counts[str(line["message_id"])] += 1
                redelivered[str(line["message_id"])] += bool(line.get("redelivered"))
        return counts, redelivered

    def reported_unknown(self) -> set[str]:
        """The recipients of the sends reported "may have been sent" (interrupted in flight)."""
        return {str(line["unknown"]) for line in self.probe_lines() if "unknown" in line}


async def main_async(kills: int, seed: int, workdir: Path) -> int:
    """Run the rounds, then count; the exit status."""
    rng = random.Random(seed)  # noqa: S311
    run = Run(workdir, rng)
    RUNS.append(run)
    write_config(run.config, ha_port=run.ha_port, link_port=run.link.port)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    started = time.monotonic()
    try:
        run.start_simulator()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for round_no in range(1, kills + 1):
                outage = round_no % OUTAGE_SHARE == 0
                if outage:
                    await run.link.down()
                else:
                    await run.link.up()
                await run.start_hass(session, outage=outage)
                await run.burst(
                    session, round_no, kill=True, link_back=outage and rng.random() < 0.5
                )
                run.check_sends_on_disk()
                if run.figures.lost_sends:
                    print(f"round {round_no}: a send answered before the kill is not on disk")
                    break
            # The last start: every push is pushed until answered, as a provider does.
            await run.link.up()
            await run.start_hass(session)
            for _ in range(5):
                unanswered = [p for p in run.pushes if not p.answered]
                if not unanswered:
                    break
                for push in unanswered:
                    await run.push(session, push, copy=False)
            for push in rng.sample(run.pushes, min(len(run.pushes), 20)):
                await run.push(session, push, copy=True)
            run.figures.outbox_left = await run.drain_outbox(session)
            # A burst of 50 new pushes at once: how many writes it costs.
            before = await run.writes(session)
            burst = [Push(f"final{n:03d}") for n in range(50)]
            run.pushes.extend(burst)
            await asyncio.gather(*(run.push(session, p, copy=False) for p in burst))
            run.figures.burst_writes = (await run.writes(session)) - before
            await asyncio.sleep(1)
            sent = await run.sent_texts(session)
            run.kill_hass()
            run.check_sends_on_disk()
    finally:
        run.stop_all()
    return report(run, sent, time.monotonic() - started)


def report(run: Run, sent: Counter[str], seconds: float) -> int:
    """Print the figures; 0 when every check holds."""
    figures = run.figures
    counts, redelivered = run.events()
    distinct = {p.message_id for p in run.pushes}
    interrupted = [p for p in run.pushes if not p.clean]
    fired: Counter[int] = Counter(min(counts[p.message_id], 2) for p in run.pushes)
    # Fired more than once without the mark: a double no automation could tell.
    unmarked_twice = sum(1 for key, n in counts.items() if n - redelivered[key] > 1)
    marked_twice = sum(1 for key, n in counts.items() if n > 1 and n - redelivered[key] <= 1)
    interrupted_lost = sum(1 for p in interrupted if counts[p.message_id] == 0)
    unanswered = sum(1 for p in run.pushes if not p.answered)
    strangers = sum(1 for key in counts if key not in distinct)
    unknown = run.reported_unknown()
    by_answer: dict[str, Counter[int]] = {}
    for send in run.sends:
        by_answer.setdefault(send.answer, Counter())[min(sent[send.text], 2)] += 1
    sent_twice = sum(1 for send in run.sends if sent[send.text] > 1)
    promised_lost = sum(
        1
        for send in run.sends
        if send.answer in {"taken", "retrying"}
        and sent[send.text] == 0
        and recipient_of(send.n) not in unknown
    )
    refused_sent = sum(1 for s in run.sends if s.answer == "refused" and sent[s.text])
    startups = figures.startup_seconds
    print(f"crash test: {seconds:.0f} s, seed {args_seed}")
    print(f"  kills (SIGKILL)                    {figures.kills}")
    print(f"  kills inside a burst               {figures.kills_inside_burst}")
    print(
        f"  hass start-ups                     {len(startups)}, {min(startups):.1f}-"
        f"{max(startups):.1f} s to loaded"
    )
    print(
        f"  starts with the link cut           {figures.outage_starts} "
        f"(entry loaded in {figures.outage_starts_loaded}; link back in the round in "
        f"{figures.link_back_in_round})"
    )
    print(f"  distinct pushes                    {len(distinct)}")
    print(f"  push requests (with retries)       {figures.push_requests}")
    print(f"  copies of answered/fresh pushes    {figures.copies}")
    print(f"  tries not answered 200 (retried)   {figures.push_refused}")
    print(f"  events fired                       {sum(counts.values())}")
    print(
        f"  received SMS fired 0 / 1 / 2+      {fired[0]} / {fired[1]} / {fired[2]} "
        f"(2+: {marked_twice} marked redelivered, {unmarked_twice} not)"
    )
    print(f"  interrupted, fired 0               {interrupted_lost} of {len(interrupted)}")
    print(f"  never answered 200                 {unanswered}")
    print(
        f"  sends answered                     {figures.sends_answered} of {figures.sends} "
        f"({len(figures.sent_ids)} messages), failed {figures.send_failures}"
    )
    for answer in ("taken", "retrying", "none", "refused"):
        if answer in by_answer:
            c = by_answer[answer]
            print(f"  sends {answer:<9} sent 0 / 1 / 2+    {c[0]} / {c[1]} / {c[2]}")
    print(f"  reported may-have-been-sent        {len(unknown)}")
    print(f"  promised sends never sent          {promised_lost}")
    print(f"  outbox left at the end             {figures.outbox_left}")
    print(f"  answered sends missing from disk   {figures.lost_sends}")
    print(f"  writes for 50 pushes at once       {figures.burst_writes}")
    failed = (
        unmarked_twice
        or fired[0]
        or unanswered
        or strangers
        or sent_twice
        or promised_lost
        or refused_sent
        or figures.outbox_left
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
