"""What the platform benchmarks share: start and stop `make run`, send signed webhooks, see
replies arrive in the WhatsApp sandbox, summarise latencies and print them as tables.

Benchmarks measure and print; they assert nothing (the project's rule: speed targets live in
`make bench`, not in tests). Every process a benchmark starts is stopped when it ends, fails,
or is interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import sys
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bancone_cli.runenv import parse_env_text
from bancone_cli.webhooks import build_text_webhook, new_wamid, signed_body
from bancone_contracts.topics import CONVERSATION_PARTITIONS, OUTBOUND

REPO = Path(__file__).resolve().parents[1]
RUN_PY = REPO / "deploy" / "local" / "run.py"
LLM_VARIABLES = ("BANCONE_LLM_BASE_URL", "BANCONE_AGENT_LLM_BASE_URL")
"""Unset for a run on the offline assistant, so a shell's LLM does not leak into the numbers."""

STOP_SECONDS = 90.0
"""run.py gives each service 10 s after SIGTERM, then kills it; this is the launcher's own."""

console = Console(highlight=False, width=max(120, shutil.get_terminal_size((120, 24)).columns))
"""At least 120 columns, also into a pipe or a file (`make bench | tee`): tables stay whole."""


def say(text: str) -> None:
    console.print(f"[dim]{datetime.now():%H:%M:%S}[/] {text}")


# -- machine --------------------------------------------------------------------------------


def machine_line() -> str:
    """CPUs, load averages and memory: the numbers mean little without them."""
    one, five, fifteen = os.getloadavg()
    memory = ""
    with contextlib.suppress(OSError):
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = int(info["MemTotal"].split()[0]) / 1024 / 1024
        available = int(info["MemAvailable"].split()[0]) / 1024 / 1024
        memory = f", memory {available:.1f}/{total:.1f} GiB available"
    return (
        f"{os.cpu_count()} CPUs, load average {one:.2f} {five:.2f} {fifteen:.2f} "
        f"(1/5/15 min){memory}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- interruption ---------------------------------------------------------------------------


def run_main(main: Callable[[], Awaitable[int]]) -> int:
    """Run `main` so that the first SIGINT/SIGTERM/SIGHUP cancels it (its `finally` blocks
    stop what it started) and later ones only say so: under `make` and `uv run`, Ctrl-C
    arrives more than once, and a second one must not cut the clean-up short."""

    async def guarded() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        received: list[signal.Signals] = []

        def on_signal(signum: signal.Signals) -> None:
            if not received:
                console.print(f"\n[yellow]{signum.name}: stopping what the benchmark started[/]")
                task.cancel()
            else:
                console.print(f"[yellow]{signum.name}: still stopping, please wait[/]")
            received.append(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await main()
        except asyncio.CancelledError:
            if not received:
                raise
            return 128 + received[0].value
        except (RuntimeError, httpx.HTTPError) as error:
            console.print(f"[bold red]benchmark failed:[/] {escape(str(error) or repr(error))}")
            return 1

    return asyncio.run(guarded())


# -- child processes ------------------------------------------------------------------------


@dataclass
class Child:
    """A process started in its own session, so a terminal's Ctrl-C reaches only us."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    async def stop(self, grace: float, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            say(f"[yellow]{self.name} still running {grace:.0f}s after {sig.name}: SIGKILL[/]")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


async def spawn(name: str, argv: Sequence[str], env: Mapping[str, str], log: Path) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env=dict(env),
            cwd=REPO,
            start_new_session=True,
        )
    return Child(name, process, log)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


# -- the platform ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunEnv:
    """The URLs and demo channel of a running platform, from the `run.env` run.py writes."""

    gateway_url: str
    sandbox_url: str
    agent_url: str
    tenant_id: str
    phone_number_id: str
    app_secret: str
    admin_token: str
    kafka: str

    @classmethod
    def parse(cls, text: str) -> RunEnv:
        values = parse_env_text(text)
        return cls(
            gateway_url=values["BANCONE_GATEWAY_URL"],
            sandbox_url=values["BANCONE_SANDBOX_URL"],
            agent_url=values["BANCONE_AGENT_URL"],
            tenant_id=values["BANCONE_DEMO_TENANT_ID"],
            phone_number_id=values["BANCONE_DEMO_PHONE_NUMBER_ID"],
            app_secret=values["BANCONE_DEMO_APP_SECRET"],
            admin_token=values["BANCONE_ADMIN_TOKEN"],
            kafka=values["KAFKA_BOOTSTRAP_SERVERS"],
        )


@dataclass
class Platform:
    env: RunEnv
    state: Path
    ready_at: datetime
    ready_seconds: float
    """From spawning run.py to its run.env existing (what someone typing `make run` waits)."""
    steps: dict[str, float] = field(default_factory=dict)
    """run.py's own "each step done at" times (from its start), when it printed them."""
    broker: str = ""


STEP_LINE = re.compile(r"each step done at:\s*(?P<steps>[^)]*)\)")
STEP = re.compile(r"(?P<name>[a-z]+) (?P<seconds>\d+(?:\.\d+)?)s")
BROKER_LINE = re.compile(r"✓ broker: (?P<what>[^\n]*)")


def parse_run_log(text: str) -> tuple[dict[str, float], str]:
    flat = " ".join(text.split())
    steps: dict[str, float] = {}
    if found := STEP_LINE.search(flat):
        for step in STEP.finditer(found.group("steps")):
            steps[step.group("name")] = float(step.group("seconds"))
    # the last one: Kafka's script prints its own "ready in" earlier
    readies = re.findall(r"ready in (\d+(?:\.\d+)?)s", flat)
    if readies:
        steps["ready"] = float(readies[-1])
    broker = BROKER_LINE.search(flat)
    return steps, broker.group("what").split(";")[0] if broker else "?"


def prepare_state(state: Path, *, fresh: bool) -> Path:
    """A fresh state dir (the default) makes a cold start: no data, no Kafka log, new secrets.

    Refuses when a run.py still holds the directory's lock rather than pulling data from
    under it."""
    state = state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    lock_path = state / "run.lock"
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "?"
            raise SystemExit(
                f"{state} is in use by run.py (pid {owner}): stop it (kill -TERM {owner}) "
                "or pass another --state-dir and --port-offset"
            ) from None
        if fresh:
            for name in ("data", "kafka", "tansu"):
                shutil.rmtree(state / name, ignore_errors=True)
            for name in ("secrets.env", "run.env"):
                (state / name).unlink(missing_ok=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return state


@contextlib.asynccontextmanager
async def running_platform(
    state: Path,
    port_offset: int,
    *,
    extra_env: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    fresh: bool = True,
    step_seconds: float = 300.0,
) -> AsyncIterator[Platform]:
    """`deploy/local/run.py --state-dir STATE --port-offset N` until the block ends.

    Ready = its `run.env` exists (it writes it only once the demo shop is seeded and indexed).
    On exit, however the block ends, run.py gets SIGTERM and stops every service and the
    Kafka it started."""
    state = prepare_state(state, fresh=fresh)
    run_env = state / "run.env"
    env = {key: value for key, value in os.environ.items() if key not in set(unset)}
    env.update(extra_env or {})
    env["COLUMNS"] = "200"  # run.py's console: one line per step in its log
    argv = [sys.executable, str(RUN_PY), "--state-dir", str(state)]
    argv += ["--port-offset", str(port_offset), "--timeout", str(step_seconds)]
    say(f"starting the platform: {' '.join(argv[1:])} (log: {state / 'bench-run.log'})")
    started = time.monotonic()
    child = await spawn("run.py", argv, env, state / "bench-run.log")
    try:
        while not run_env.exists():
            if child.process.returncode is not None:
                raise RuntimeError(
                    f"run.py exited with {child.process.returncode} before it was ready:\n"
                    + tail(child.log)
                )
            if time.monotonic() - started > step_seconds * 3:
                raise RuntimeError(
                    f"run.py not ready after {step_seconds * 3:.0f}s:\n{tail(child.log)}"
                )
            await asyncio.sleep(0.1)
        ready = time.monotonic() - started
        await asyncio.sleep(0.3)  # run.py prints its step times right after writing run.env
        steps, broker = parse_run_log(child.log.read_text(errors="replace"))
        platform = Platform(
            RunEnv.parse(run_env.read_text()), state, datetime.now(UTC), ready, steps, broker
        )
        say(f"platform ready in {ready:.1f}s (broker: {broker})")
        yield platform
    finally:
        say("stopping the platform (SIGTERM to run.py)")
        await asyncio.shield(child.stop(STOP_SECONDS))
        code = child.process.returncode
        say(f"platform stopped (run.py exit {code})")


def ready_table(platform: Platform) -> Table:
    table = Table(title="Time to ready: deploy/local/run.py, cold state dir", box=box.MARKDOWN)
    table.add_column("step (done at, seconds since start)")
    table.add_column("s", justify="right")
    for name in ("broker", "migrations", "services", "seed", "indexed", "ready"):
        if name in platform.steps:
            table.add_row(f"run.py: {name}", f"{platform.steps[name]:.1f}")
    table.add_row("spawn → run.env written (measured here)", f"{platform.ready_seconds:.1f}")
    return table


# -- what the services logged ----------------------------------------------------------------


def log_findings(platform: Platform, until: datetime) -> Table:
    """Warnings and errors the services logged from ready to `until`, by event: the numbers
    above are only honest next to what went wrong while they were taken."""
    counts: dict[tuple[str, str, str], int] = {}
    examples: dict[tuple[str, str, str], str] = {}
    for log in sorted((platform.state / "logs").glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("level") not in LOUD_LEVELS:
                continue
            stamp = str(record.get("timestamp") or "")
            try:
                when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                continue
            if not platform.ready_at <= when <= until:
                continue
            key = (log.stem, str(record["level"]), str(record.get("event"))[:60])
            counts[key] = counts.get(key, 0) + 1
            examples.setdefault(key, _why(record))
    table = Table(title="Warnings and errors the services logged while measuring", box=box.MARKDOWN)
    for name in ("service", "level", "event", "count", "first one says"):
        table.add_column(name, justify="right" if name == "count" else "left")
    for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(*key, str(count), examples[key])
    if not counts:
        table.add_row("-", "-", "none", "0", "")
    return table


LOUD_LEVELS = ("warning", "error", "critical")


def _records(path: Path, events: set[str]) -> Iterator[dict[str, Any]]:
    """The JSON log records of `path` whose event is one of `events`."""
    if not path.exists():
        return
    for line in path.read_text(errors="replace").splitlines():
        if not any(f'"{event}"' in line for event in events):
            continue
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("event") in events:
                yield record


def _at(record: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00"))


async def outbound_published(env: RunEnv) -> dict[str, datetime]:
    """When the agent's outbox relay put each conversation's first reply on
    `bancone.outbound.v1`: the records' CreateTime (set by the producer), by customer. Read
    once, after measuring, from the start of every partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=env.kafka, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    first: dict[str, datetime] = {}
    try:
        partitions = [TopicPartition(OUTBOUND, p) for p in range(CONVERSATION_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[Any, int] = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    key = (record.key or b"").decode()
                    customer = key.partition(":")[2]
                    when = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                    if customer and (customer not in first or when < first[customer]):
                        first[customer] = when
    finally:
        await consumer.stop()
    return first


def hops(
    platform: Platform, sent: Sequence[Sent], published: Mapping[str, datetime]
) -> list[tuple[str, Summary]]:
    """Where each reply's time went, from the services' own log lines (same machine clock):
    the gateway's `webhook.accepted` (found by trace id), the agent's `inbound.turn_started`
    and `reply.staged` (by the customer's wamid), the reply's record on the outbound topic
    (`published`, by customer) and the sandbox's `received_at`."""
    logs = platform.state / "logs"
    started: dict[str, dict[str, Any]] = {}
    staged: dict[str, datetime] = {}
    for record in _records(logs / "agent.log", {"inbound.turn_started", "reply.staged"}):
        wamid = str(record.get("wamid"))
        if record["event"] == "inbound.turn_started":
            started.setdefault(wamid, record)
        else:
            staged.setdefault(wamid, _at(record))
    accepted = {
        str(record.get("trace_id")): _at(record)
        for record in _records(logs / "gateway.log", {"webhook.accepted"})
    }
    columns: dict[str, list[float | None]] = {name: [] for name in HOPS}
    for s in sent:
        turn = started.get(s.wamid)
        began = _at(turn) if turn else None
        gateway = accepted.get(str(turn.get("trace_id"))) if turn else None
        done = staged.get(s.wamid)
        points = [s.sent_at, gateway, began, done, published.get(s.wa_id), s.replied_at]
        for name, (start, end) in zip(HOPS, itertools.pairwise(points), strict=True):
            columns[name].append((end - start).total_seconds() if start and end else None)
    return [(name, Summary.of(values)) for name, values in columns.items()]


HOPS = (
    "POST → gateway published it (webhook.accepted)",
    "→ agent turn started (Kafka, bancone.inbound.v1)",
    "→ agent reply staged (assistant, tools, commit)",
    "→ outbox relay published it (bancone.outbound.v1)",
    "→ reply in the sandbox (notifier, Graph API call)",
)


def _why(record: dict[str, Any]) -> str:
    error = record.get("exception")
    if isinstance(error, list) and error and isinstance(error[-1], dict):
        text = f"{error[-1].get('exc_type')}: {error[-1].get('exc_value')}"
    else:
        text = str(record.get("error") or record.get("state") or "")
    return text.splitlines()[0][:90] if text else ""


def write_results(platform: Platform, name: str, results: Mapping[str, Sequence[Sent]]) -> Path:
    """Every message's times as JSON beside the logs, for a closer look afterwards."""
    path = platform.state / f"{name}.json"
    path.write_text(
        json.dumps(
            {
                phase: [
                    {
                        "wa_id": s.wa_id,
                        "wamid": s.wamid,
                        "text": s.text,
                        "sent_at": s.sent_at.isoformat(),
                        "replied_at": s.replied_at.isoformat() if s.replied_at else None,
                        "latency_s": s.latency,
                        "ack_s": s.ack_seconds,
                        "status": s.status,
                        "reply": s.reply,
                    }
                    for s in sent
                ]
                for phase, sent in results.items()
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    return path


# -- webhooks and replies -------------------------------------------------------------------


@dataclass
class Sent:
    """One customer message: when it was posted (UTC, this machine) and what came back."""

    wa_id: str
    text: str
    sent_at: datetime
    wamid: str = ""
    ack_seconds: float = 0.0
    status: int = 0
    replied_at: datetime | None = None
    reply: str = ""

    @property
    def latency(self) -> float | None:
        if self.replied_at is None:
            return None
        return (self.replied_at - self.sent_at).total_seconds()


class SandboxWatcher:
    """Sees replies land in the sandbox without hammering it: polls the cheap
    `GET /sandbox/stats` and lists `GET /sandbox/messages` only when `accepted` changed (or
    once a second). The latency comes from each message's `received_at`, so the poll interval
    does not enter the numbers; it only decides how soon the next sequential message goes."""

    def __init__(self, client: httpx.AsyncClient, env: RunEnv, interval: float = 0.05) -> None:
        self.client = client
        self.env = env
        self.interval = interval
        self.pending: dict[str, tuple[Sent, asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SandboxWatcher:
        self._task = asyncio.create_task(self._run(), name="sandbox-watcher")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def expect(self, sent: Sent) -> asyncio.Future[None]:
        """Register before posting: the future completes when a message to the customer
        received at or after `sent.sent_at` is in the sandbox."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending[sent.wa_id] = (sent, future)
        return future

    async def _run(self) -> None:
        seen = -1
        fetched = 0.0
        base = self.env.sandbox_url
        while True:
            await asyncio.sleep(self.interval)
            if not self.pending:
                continue
            try:
                stats = (await self.client.get(f"{base}/sandbox/stats")).json()
                accepted = int(stats.get("accepted", 0))
                if accepted == seen and time.monotonic() - fetched < 1.0:
                    continue
                response = await self.client.get(
                    f"{base}/sandbox/messages",
                    params={"phone_number_id": self.env.phone_number_id},
                )
                response.raise_for_status()
            except httpx.HTTPError as error:
                say(f"[yellow]sandbox poll failed: {error!r}[/]")
                continue
            seen, fetched = accepted, time.monotonic()
            self._resolve(response.json())

    def _resolve(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            entry = self.pending.get(str(message.get("to")))
            if entry is None:
                continue
            sent, future = entry
            received = datetime.fromisoformat(message["received_at"])
            if received < sent.sent_at:
                continue
            sent.replied_at = received
            body = message.get("body") or {}
            sent.reply = str((body.get("text") or {}).get("body") or body.get("type") or "")
            del self.pending[sent.wa_id]
            if not future.done():
                future.set_result(None)


async def post_text(
    client: httpx.AsyncClient, env: RunEnv, watcher: SandboxWatcher, wa_id: str, text: str
) -> tuple[Sent, asyncio.Future[None]]:
    """Post one signed customer text to the gateway's webhook, as Meta would."""
    wamid = new_wamid()
    payload = build_text_webhook(env.phone_number_id, wa_id, text, "Cliente Bench", wamid)
    body, headers = signed_body(payload, env.app_secret)
    sent = Sent(wa_id, text, datetime.now(UTC), wamid)
    replied = watcher.expect(sent)
    started = time.perf_counter()
    response = await client.post(
        f"{env.gateway_url}/webhooks/whatsapp", content=body, headers=headers
    )
    sent.ack_seconds = time.perf_counter() - started
    sent.status = response.status_code
    if response.status_code != 200:
        say(f"[red]webhook for {wa_id} answered {response.status_code}: {response.text[:200]}[/]")
    return sent, replied


async def ask_and_wait(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    wa_id: str,
    text: str,
    within: float,
) -> Sent:
    sent, replied = await post_text(client, env, watcher, wa_id, text)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(replied, within)
    return sent


async def ask_sequentially(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    questions: Sequence[tuple[str, str]],
    within: float,
) -> list[Sent]:
    """One customer after another, each waiting (up to `within` s) for its reply."""
    results = []
    for wa_id, text in questions:
        results.append(await ask_and_wait(client, env, watcher, wa_id, text, within))
    return results


async def ask_at_once(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    questions: Sequence[tuple[str, str]],
    within: float,
) -> list[Sent]:
    """Every customer's webhook posted concurrently, then every reply awaited (`within` s)."""
    posted = await asyncio.gather(
        *(post_text(client, env, watcher, wa_id, text) for wa_id, text in questions)
    )
    waits = [future for _, future in posted]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*waits), within)
    return [sent for sent, _ in posted]


# -- the agent's own account ----------------------------------------------------------------


async def turns_by_outcome(client: httpx.AsyncClient, env: RunEnv) -> dict[str, int]:
    """The agent's run log for today, by outcome (`answered`, `fallback`, ...)."""
    response = await client.get(
        f"{env.agent_url}/v1/tenants/{env.tenant_id}/usage",
        params={"date": date.today().isoformat()},
        headers={"Authorization": f"Bearer {env.admin_token}"},
    )
    if response.status_code != 200:
        return {}
    by_outcome = response.json().get("by_outcome") or {}
    return {name: int(row.get("turns", 0)) for name, row in by_outcome.items()}


def outcome_delta(before: Mapping[str, int], after: Mapping[str, int]) -> str:
    parts = [f"{name} {after[name] - before.get(name, 0)}" for name in after]
    return ", ".join(part for part in parts if not part.endswith(" 0")) or "none"


async def messages_per_customer(
    client: httpx.AsyncClient, env: RunEnv, customers: Iterable[str]
) -> dict[str, int]:
    """How many messages the sandbox holds for each customer: more than one reply to one
    question means the platform sent a message twice. Counted after a quiet moment, so that a
    copy a relay publishes again after its 1 s retry pause is counted too."""
    await asyncio.sleep(LATE_COPY_SECONDS)
    response = await client.get(
        f"{env.sandbox_url}/sandbox/messages", params={"phone_number_id": env.phone_number_id}
    )
    response.raise_for_status()
    counts = dict.fromkeys(customers, 0)
    for message in response.json():
        to = str(message.get("to"))
        if to in counts:
            counts[to] += 1
    return counts


LATE_COPY_SECONDS = 3.0


def sent_once_line(counts: Mapping[str, int]) -> str:
    twice = sum(1 for n in counts.values() if n > 1)
    none = sum(1 for n in counts.values() if n == 0)
    return (
        f"sandbox: {sum(counts.values())} messages to {len(counts)} customers; "
        f"{twice} got more than one, {none} none"
    )


def notifier_states(platform: Platform) -> str:
    """The notifier's own record of the replies (`outbound_messages.state`), read-only from
    its SQLite file after the run: a reply the sandbox got should not be recorded as lost."""
    path = platform.state / "data" / "notifier.sqlite"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT state, COUNT(*) FROM outbound_messages GROUP BY state ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.Error as error:
        return f"notifier's outbound_messages: not read ({error})"
    return "notifier's record of the replies (outbound_messages.state): " + ", ".join(
        f"{state} {count}" for state, count in rows
    )


# -- numbers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    count: int
    missing: int
    p50: float
    p95: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Summary:
        got = sorted(value for value in values if value is not None)
        missing = len(values) - len(got)
        if not got:
            nan = float("nan")
            return cls(0, missing, nan, nan, nan, nan)
        return cls(
            len(got),
            missing,
            percentile(got, 50),
            percentile(got, 95),
            got[-1],
            statistics.fmean(got),
        )


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.0f}"


def latency_table(
    title: str, rows: Sequence[tuple[str, Summary]], missing: str = "no reply"
) -> Table:
    table = Table(title=title, box=box.MARKDOWN)
    table.add_column("measured")
    for name in ("n", missing, "p50 ms", "p95 ms", "max ms", "mean ms"):
        table.add_column(name, justify="right")
    for label, summary in rows:
        table.add_row(
            label,
            str(summary.count),
            str(summary.missing),
            ms(summary.p50),
            ms(summary.p95),
            ms(summary.max),
            ms(summary.mean),
        )
    return table


def replies_and_acks(sent: Sequence[Sent]) -> list[tuple[str, Summary]]:
    return [
        ("webhook POST → reply recorded by the sandbox", Summary.of([s.latency for s in sent])),
        ("webhook POST → gateway's 200", Summary.of([s.ack_seconds for s in sent])),
    ]
