"""`make run`: the whole Bancone platform on this machine, seeded with the demo shop.

    uv run python deploy/local/run.py [--state-dir DIR] [--port-offset N] [--timeout S]

In order: the broker (Apache Kafka via deploy/local/kafka.sh; the in-memory tansu only when
Java/Maven are missing), the dev secrets (generated once into `.bancone/secrets.env`), the
migrations of the five services, the five services and the WhatsApp sandbox as separate
processes (logs in `.bancone/logs/`), the demo tenant seeded through the public APIs, the
catalogue indexed by ingest — and only then `.bancone/run.env`, which `bancone chat` reads.
Ctrl-C or SIGTERM stops everything it started; if any process dies, everything stops and the
exit status is 1.

A script beside the infra scripts it drives rather than a `bancone run` subcommand: it depends
on this repository's layout (deploy/local/*.sh, the demo file, `.bancone/`), which an installed
CLI should not assume.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import httpx
from rich.console import Console
from rich.markup import escape
from rich.status import Status

from bancone_cli.importer import prepare_import
from bancone_cli.runenv import parse_env_text

REPO = Path(__file__).resolve().parents[2]
DEMO_AGENT_CONFIG = REPO / "deploy" / "local" / "demo" / "agent-config.json"
LOCAL = REPO / "deploy" / "local"
DEV_ENV = LOCAL / "dev.env"
T0 = time.monotonic()

POLL_SECONDS = 0.2
DUPLICATE_SIGNAL_SECONDS = 1.0
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAIL_LINES = 25


@dataclass(frozen=True)
class Service:
    """One process `make run` starts: its console script, port and readiness probe."""

    name: str
    default_port: int
    probe: str = "/readyz"
    is_sandbox: bool = False

    @property
    def command(self) -> str:
        return f"bancone-{self.name}"

    @property
    def prefix(self) -> str:
        return f"BANCONE_{self.name.upper()}_"

    @property
    def port_var(self) -> str:
        return f"{self.prefix}PORT" if self.is_sandbox else f"{self.prefix}HTTP_PORT"

    @property
    def host_var(self) -> str:
        return f"{self.prefix}HOST" if self.is_sandbox else f"{self.prefix}HTTP_HOST"


GATEWAY = Service("gateway", 8080)
CATALOG = Service("catalog", 8081)
INGEST = Service("ingest", 8082)
AGENT = Service("agent", 8083)
NOTIFIER = Service("notifier", 8084)
SERVICES = (GATEWAY, CATALOG, INGEST, AGENT, NOTIFIER)
SANDBOX = Service("sandbox", 8090, probe="/healthz", is_sandbox=True)
PROCESSES = (*SERVICES, SANDBOX)


class StepError(Exception):
    """A start-up step failed; the message names the service and URL, `logs` are tailed."""

    def __init__(
        self, message: str, *, logs: Sequence[tuple[str, Path]] = (), hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.logs = tuple(logs)
        self.hint = hint


# -- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where a run keeps its state (default `<repo>/.bancone`)."""

    state: Path

    @property
    def data(self) -> Path:
        return self.state / "data"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def qdrant(self) -> Path:
        return self.data / "qdrant"

    @property
    def secrets_file(self) -> Path:
        return self.state / "secrets.env"

    @property
    def run_env(self) -> Path:
        return self.state / "run.env"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


def write_private(path: Path, text: str) -> None:
    """Write `text` readable by the owner only (0600), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _keyring() -> str:
    """A one-key keyring (`kid:base64(32 random bytes)`, see `bancone_kit.crypto`)."""
    return f"local-{datetime.now(UTC):%Y%m%d}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


SECRET_GENERATORS: dict[str, Callable[[], str]] = {
    "BANCONE_ADMIN_TOKEN": lambda: secrets.token_urlsafe(32),
    "BANCONE_GATEWAY_SECRETS_KEYRING": _keyring,
    "BANCONE_CHANNEL_KEYRING": _keyring,
    "BANCONE_DEMO_APP_SECRET": lambda: secrets.token_hex(16),
    "BANCONE_DEMO_VERIFY_TOKEN": lambda: secrets.token_urlsafe(24),
    "BANCONE_DEMO_ACCESS_TOKEN": lambda: secrets.token_urlsafe(48),
}
"""The dev secrets, generated once and reused: the gateway's keyring must still open the
channel secrets it sealed on an earlier run."""


def load_secrets(path: Path) -> tuple[dict[str, str], list[str]]:
    """The stored secrets plus any missing ones (generated and saved); the names generated."""
    stored = parse_env_text(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = [name for name in SECRET_GENERATORS if not stored.get(name)]
    values = {**stored, **{name: SECRET_GENERATORS[name]() for name in missing}}
    if missing:
        lines = [
            "# Dev secrets of `make run`, generated once by deploy/local/run.py and reused.",
            "# Delete this file together with .bancone/data/ (sealed channel secrets need it).",
            *(f"{name}={value}" for name, value in values.items()),
        ]
        write_private(path, "\n".join(lines) + "\n")
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return values, missing


# -- environment ----------------------------------------------------------------------------


def host_port(env: Mapping[str, str], svc: Service) -> tuple[str, int]:
    return env[svc.host_var], int(env[svc.port_var])


def base_url(env: Mapping[str, str], svc: Service) -> str:
    host, port = host_port(env, svc)
    return f"http://{host}:{port}"


def build_env(
    layout: Layout,
    port_offset: int,
    dev: Mapping[str, str],
    secret_values: Mapping[str, str],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """dev.env < generated secrets < your environment; then what the launcher derives, unless
    you set it yourself. The notifier always sends to the sandbox: a local run never reaches
    Meta."""
    env = {**dev, **secret_values, **environ}
    for svc in PROCESSES:
        env.setdefault(svc.host_var, "127.0.0.1")
        env.setdefault(svc.port_var, str(svc.default_port + port_offset))
    for svc in SERVICES:
        db = layout.data / f"{svc.name}.sqlite"
        env.setdefault(f"{svc.prefix}DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    env.setdefault("BANCONE_GATEWAY_ADMIN_TOKEN", env["BANCONE_ADMIN_TOKEN"])
    env.setdefault("BANCONE_CATALOG_ADMIN_TOKEN", env["BANCONE_ADMIN_TOKEN"])
    env.setdefault("BANCONE_AGENT_ADMIN_TOKEN", env["BANCONE_ADMIN_TOKEN"])
    env.setdefault("BANCONE_INGEST_QDRANT_PATH", str(layout.qdrant))
    env.setdefault("BANCONE_AGENT_CATALOG_URL", base_url(env, CATALOG))
    env.setdefault("BANCONE_AGENT_INGEST_URL", base_url(env, INGEST))
    env.setdefault(
        "BANCONE_AGENT_SHOP_NAMES",
        json.dumps({env["BANCONE_DEMO_TENANT_ID"]: env["BANCONE_DEMO_TENANT_NAME"]}),
    )
    env["BANCONE_NOTIFIER_GRAPH_BASE_URL"] = base_url(env, SANDBOX)
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- logs -----------------------------------------------------------------------------------


def tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last `lines` lines of a log file, rendered, with runs of look-alike request lines
    (the launcher's own polling) folded into one; empty when the file does not exist."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 256 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    folded: list[tuple[str, str, int]] = []
    for raw in text.splitlines()[-2000:]:
        rendered, key = render_log_line(raw), _fold_key(raw)
        if folded and key is not None and folded[-1][1] == key:
            folded[-1] = (rendered, key, folded[-1][2] + 1)
        else:
            folded.append((rendered, key or "", 1))
    return [
        line if count == 1 else f"{line}  ({count} alike, last shown)"
        for line, _, count in folded[-lines:]
    ]


def _fold_key(line: str) -> str | None:
    """Request log lines that differ only in ids and durations share a key."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") != "http.request":
        return None
    return f"{record.get('method')} {record.get('path')} {record.get('status')}"


def render_log_line(line: str) -> str:
    """A structlog JSON line as `time level event key=value`, anything else without colours."""
    line = ANSI_ESCAPE.sub("", line)
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "event" not in record:
        return line
    stamp = str(record.pop("timestamp", ""))[11:19]
    level = str(record.pop("level", ""))
    event = str(record.pop("event"))
    error = record.pop("exception", None)
    for noise in ("service", "logger", "trace_id", "span_id"):
        record.pop(noise, None)
    extra = " ".join(f"{key}={value}" for key, value in record.items())
    rendered = f"{stamp} {level:<7} {event} {extra}".rstrip()
    if isinstance(error, list) and error and isinstance(error[-1], dict):
        last = error[-1]
        frames = last.get("frames") or [{}]
        where = f"{frames[-1].get('filename', '?')}:{frames[-1].get('lineno', '?')}"
        rendered += f"\n    ↳ {last.get('exc_type')}: {last.get('exc_value')} ({where})"
    elif isinstance(error, str):
        rendered += "\n    ↳ " + error.strip().splitlines()[-1]
    return rendered


def rotate(path: Path) -> None:
    """Keep the previous run's log as `<name>.log.1`."""
    if path.exists():
        path.replace(path.with_name(path.name + ".1"))


# -- processes ------------------------------------------------------------------------------


@dataclass
class Child:
    """A process the launcher started (its own session, so Ctrl-C reaches only the launcher)."""

    name: str
    process: asyncio.subprocess.Process
    log: Path | None
    argv: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def signal(self, signum: signal.Signals) -> None:
        """Signal the child's process group (it leads one: started with a new session)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def console_script(name: str) -> str:
    """The console script installed beside this interpreter (the workspace venv)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise StepError(
            f"{name} is not installed next to {sys.executable}",
            hint="run through `make run` (uv sync --all-packages, then uv run)",
        )
    return str(path)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def elapsed() -> str:
    return f"[{time.monotonic() - T0:6.1f}s]"


def summarise_response(response: httpx.Response) -> str:
    """Status and the problem detail (or the start of the body) of an HTTP answer."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title") or body
        errors = body.get("errors") or body.get("issues")
        text = f"{detail}" + (f" {json.dumps(errors)[:400]}" if errors else "")
    else:
        text = str(body)
    return f"{response.status_code} {text[:500]}"


def route_missing(response: httpx.Response) -> bool:
    """The server has no such route (FastAPI's plain 404/405), as opposed to a domain 404."""
    if response.status_code not in (404, 405):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("detail", body.get("title")) in (
        "Not Found",
        "Method Not Allowed",
    )


# -- the launcher ---------------------------------------------------------------------------

BrokerFlavour = Literal["apache-kafka", "tansu-memory", "external"]


@dataclass
class Broker:
    bootstrap: str
    flavour: BrokerFlavour
    owned: bool


class Launcher:
    """Starts, seeds and supervises; `run()` returns the exit status."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args = args
        self.console = console
        self.layout = Layout(Path(args.state_dir).resolve())
        self.env: dict[str, str] = {}
        self.children: list[Child] = []
        self.deaths: asyncio.Queue[Child] = asyncio.Queue()
        self.broker: Broker | None = None
        self.broker_script: Path | None = None
        self.stopping = False
        self.hurry = asyncio.Event()
        self.waiting: dict[str, str] = {}
        self.status: Status | None = None
        self.timings: dict[str, float] = {}
        self._lock: IO[str] | None = None
        self._watchers: set[asyncio.Task[None]] = set()

    # -- output ---------------------------------------------------------------------------

    def say(self, text: str, style: str = "") -> None:
        self.console.print(f"[dim]{elapsed()}[/] " + (f"[{style}]{text}[/]" if style else text))

    def done(self, text: str) -> None:
        self.say(f"[green]✓[/] {text}")

    def wait_for(self, key: str, label: str | None) -> None:
        """Show what is still pending on the one status line."""
        if label is None:
            self.waiting.pop(key, None)
        else:
            self.waiting[key] = label
        if self.status is not None:
            pending = ", ".join(self.waiting.values()) or "…"
            self.status.update(f"waiting for {pending}")

    def show_tail(self, name: str, path: Path) -> None:
        lines = tail(path)
        if not lines:
            self.console.print(f"  [dim]{name} │ (no log at {path})[/]")
            return
        self.console.print(f"  [dim]last {len(lines)} lines of {path}:[/]")
        for line in lines:
            for part in line.splitlines():
                self.console.print(f"  [cyan]{name:>8}[/] [dim]│[/] {escape(part)}")

    def report_failure(self, error: StepError) -> None:
        self.console.print(f"[bold red]✗ {escape(str(error))}[/]")
        if error.hint:
            self.console.print(f"  [yellow]hint:[/] {escape(error.hint)}")
        for name, path in error.logs:
            self.show_tail(name, path)

    # -- the whole run --------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        received: list[signal.Signals] = []

        first_at = 0.0

        def on_signal(signum: signal.Signals) -> None:
            # A terminal's Ctrl-C reaches this process twice under `uv run` (directly, and
            # forwarded by uv): only a signal a moment after the first one means "kill now".
            nonlocal first_at
            now = time.monotonic()
            if not received:
                first_at = now
                received.append(signum)
                self.console.print(f"\n[yellow]{signum.name}: stopping (again to kill)[/]")
                stop.set()
            elif now - first_at > DUPLICATE_SIGNAL_SECONDS:
                received.append(signum)
                self.hurry.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)

        startup = asyncio.create_task(self.start(), name="startup")
        stopped = asyncio.create_task(stop.wait(), name="signal")
        death = asyncio.create_task(self.deaths.get(), name="death")
        status = 0
        try:
            done, _ = await asyncio.wait(
                {startup, stopped, death}, return_when=asyncio.FIRST_COMPLETED
            )
            if startup in done and startup.exception() is None:
                if self.args.exit_when_ready:
                    return 0
                self.console.print("[bold]running — Ctrl-C stops everything[/]")
                done, _ = await asyncio.wait({stopped, death}, return_when=asyncio.FIRST_COMPLETED)
            if death in done:
                self.report_death(death.result())
                status = 1
            elif startup in done and (error := startup.exception()) is not None:
                if not isinstance(error, StepError):
                    raise error
                self.report_failure(error)
                status = 1
            elif not startup.done() or self.timings.get("ready") is None:
                status = 128 + received[0].value
            return status
        finally:
            for task in (startup, stopped, death):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await startup
            await self.shutdown()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    def report_death(self, child: Child) -> None:
        code = child.process.returncode
        how = (
            f"killed by {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exited with code {code}"
        )
        self.console.print(
            f"[bold red]✗ {child.name} {how} after {time.monotonic() - child.started:.1f}s "
            f"({' '.join(child.argv)})[/]"
        )
        if child.log is not None:
            self.show_tail(child.name, child.log)
        self.console.print("[red]stopping everything[/]")

    async def start(self) -> None:
        self.status = self.console.status("starting", spinner="dots")
        self.status.start()
        try:
            await self._start()
        finally:
            self.status.stop()
            self.status = None

    async def _start(self) -> None:
        layout = self.layout
        for directory in (layout.state, layout.data, layout.logs):
            directory.mkdir(parents=True, exist_ok=True)
        self.take_lock()
        layout.run_env.unlink(missing_ok=True)
        self.say(f"Bancone local run in {layout.state}")

        secret_values, generated = load_secrets(layout.secrets_file)
        if generated:
            self.done(
                f"secrets generated into {layout.secrets_file} (0600): {', '.join(generated)}"
            )
            sealed = [layout.data / f"{name}.sqlite" for name in ("gateway", "notifier")]
            if any(name.endswith("KEYRING") for name in generated) and any(
                path.exists() for path in sealed
            ):
                self.say(
                    f"new keyrings, but {layout.data} is from an earlier run: channel secrets "
                    "sealed then no longer open. If the seed fails, stop and delete "
                    f"{layout.data} (and {layout.state / 'kafka'}).",
                    "bold yellow",
                )
        else:
            self.done(f"secrets reused from {layout.secrets_file}")
        dev = parse_env_text(DEV_ENV.read_text(encoding="utf-8"))
        self.env = build_env(layout, self.args.port_offset, dev, secret_values, os.environ)
        self.check_ports()
        for svc in PROCESSES:
            rotate(layout.log(svc.name))

        # The broker, the migrations and the sandbox do not need each other: start them together.
        await together(self.start_broker(), self.migrate_all(), self.start_sandbox())
        await self.start_services()
        self.timings["services"] = time.monotonic() - T0
        await self.seed()
        await self.wait_indexed()
        self.timings["ready"] = time.monotonic() - T0
        self.write_run_env()

    def take_lock(self) -> None:
        lock = (self.layout.state / "run.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "?"
            lock.close()
            raise StepError(
                f"another `make run` (pid {owner}) is using {self.layout.state}",
                hint="stop it first, or pass --state-dir and --port-offset for a second one",
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def check_ports(self) -> None:
        busy = [
            (svc, *host_port(self.env, svc))
            for svc in PROCESSES
            if port_in_use(*host_port(self.env, svc))
        ]
        if busy:
            listed = ", ".join(f"{svc.name} {host}:{port}" for svc, host, port in busy)
            raise StepError(
                f"port(s) already in use: {listed}",
                hint="another Bancone (or anything else) listens there: stop it "
                f"(`ss -ltnp 'sport = :{busy[0][2]}'` shows who), or pass --port-offset N",
            )

    # -- broker ---------------------------------------------------------------------------

    async def run_script(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> str:
        """Run a helper script; its stderr is shown prefixed, its stdout returned."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=REPO,
            start_new_session=True,
        )
        child = Child(name, process, None, tuple(argv))

        async def relay() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                line = raw.decode("utf-8", errors="replace").rstrip()
                self.console.print(f"  [dim]{name:>8} │ {escape(line)}[/]")

        try:
            out, _ = await asyncio.gather(
                process.stdout.read() if process.stdout else _empty(), relay()
            )
            code = await process.wait()
        except asyncio.CancelledError:
            child.signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
            child.signal(signal.SIGKILL)
            raise
        if code != 0:
            raise StepError(f"{' '.join(argv)} failed (exit {code}); its output is above")
        return out.decode().strip()

    async def start_broker(self) -> None:
        self.wait_for("broker", "broker")
        env = {
            **self.env,
            "BANCONE_KAFKA_DIR": str(self.layout.state / "kafka"),
            "BANCONE_TANSU_DIR": str(self.layout.state / "tansu"),
        }
        external = self.env.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            self.broker = Broker(external, "external", owned=False)
        elif shutil.which("java") and shutil.which("mvn"):
            script = LOCAL / "kafka.sh"
            running = await self.script_status(script, env)
            self.broker_script = None if running else script
            bootstrap = await self.run_script("kafka", ["bash", str(script), "start"], env)
            self.broker = Broker(bootstrap, "apache-kafka", owned=not running)
        else:
            self.warn_tansu()
            script = LOCAL / "tansu.sh"
            running = await self.script_status(script, env)
            self.broker_script = None if running else script
            bootstrap = await self.run_script("tansu", ["bash", str(script), "start"], env)
            self.broker = Broker(bootstrap, "tansu-memory", owned=not running)
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap
        if self.broker.flavour == "tansu-memory":
            for svc in SERVICES:
                self.env[f"{svc.prefix}KAFKA_IDEMPOTENCE"] = "false"
        await self.run_script(
            "topics",
            [sys.executable, str(LOCAL / "create_topics.py"), "--bootstrap", self.broker.bootstrap],
            self.env,
        )
        self.timings["broker"] = time.monotonic() - T0
        how = {
            "apache-kafka": "Apache Kafka",
            "tansu-memory": "tansu (IN MEMORY)",
            "external": "external broker",
        }[self.broker.flavour]
        started = "started" if self.broker.owned else "already running, left running on exit"
        self.done(f"broker: {how} on {self.broker.bootstrap} ({started}); topics ensured")
        self.wait_for("broker", None)

    async def script_status(self, script: Path, env: Mapping[str, str]) -> bool:
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(script),
            "status",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=dict(env),
        )
        return await process.wait() == 0

    def warn_tansu(self) -> None:
        self.console.rule(
            "[bold red]WARNING: no Java/Maven — falling back to tansu[/]", style="red"
        )
        self.console.print(
            "[bold red]The broker is tansu, NOT Apache Kafka: every event is kept IN MEMORY and\n"
            "lost when it stops, and idempotent producers are switched OFF in every service\n"
            "(BANCONE_<SERVICE>_KAFKA_IDEMPOTENCE=false). Fine for a look around, nothing more.\n"
            "Install openjdk-17-jre-headless and maven to run on Apache Kafka.[/]"
        )
        self.console.rule(style="red")

    # -- services -------------------------------------------------------------------------

    async def spawn(self, svc: Service, *args: str) -> Child:
        argv = (console_script(svc.command), *args)
        log_path = self.layout.log(svc.name)
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
                cwd=REPO,
                start_new_session=True,
            )
        child = Child(svc.name, process, log_path, (svc.command, *args))
        self.children.append(child)
        return child

    async def run_to_end(self, svc: Service, *args: str) -> None:
        """Run a one-shot command of a service (migrate, config import); fail the step loudly."""
        child = await self.spawn(svc, *args)
        code = await child.process.wait()
        self.children.remove(child)
        if code != 0:
            raise StepError(
                f"{svc.command} {' '.join(args)} failed (exit {code}) on "
                f"{self.env[f'{svc.prefix}DATABASE_URL']}",
                logs=[(svc.name, self.layout.log(svc.name))],
            )

    async def migrate_all(self) -> None:
        async def migrate(svc: Service) -> None:
            self.wait_for(f"migrate-{svc.name}", f"{svc.name} migrations")
            await self.run_to_end(svc, "migrate")
            if svc is AGENT:
                # The demo shop's assistant configuration (versioned; unchanged on re-runs).
                tenant, config = self.env["BANCONE_DEMO_TENANT_ID"], DEMO_AGENT_CONFIG
                await self.run_to_end(svc, "config", "import", "--tenant", tenant, str(config))
            self.wait_for(f"migrate-{svc.name}", None)

        await together(*(migrate(svc) for svc in SERVICES))
        self.timings["migrations"] = time.monotonic() - T0
        names = ", ".join(svc.name for svc in SERVICES)
        self.done(f"migrations applied: {names} (SQLite in {self.layout.data})")

    def watch(self, child: Child) -> None:
        """Report the child to `run()` if it exits while it should be running."""

        async def watcher() -> None:
            await child.process.wait()
            if not self.stopping:
                await self.deaths.put(child)

        task = asyncio.create_task(watcher(), name=f"watch-{child.name}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def start_sandbox(self) -> None:
        child = await self.spawn(SANDBOX)
        await self.wait_ready(SANDBOX, child)
        self.watch(child)

    async def start_services(self) -> None:
        children = [(svc, await self.spawn(svc, "serve")) for svc in SERVICES]
        await together(*(self.wait_ready(svc, child) for svc, child in children))
        for _, child in children:
            self.watch(child)

    async def wait_ready(self, svc: Service, child: Child) -> None:
        url = base_url(self.env, svc) + svc.probe
        self.wait_for(svc.name, svc.name)
        deadline = time.monotonic() + self.args.timeout
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=3.0) as client:
            while True:
                if not child.alive:
                    code = child.process.returncode
                    raise StepError(
                        f"{svc.name} exited with code {code} before it was ready "
                        f"({' '.join(child.argv)}, {url})",
                        logs=[(svc.name, child.log or self.layout.log(svc.name))],
                    )
                try:
                    response = await client.get(url)
                except httpx.TransportError as error:
                    last = type(error).__name__
                else:
                    if response.status_code == 200:
                        break
                    last = summarise_response(response)
                if time.monotonic() > deadline:
                    raise StepError(
                        f"{svc.name} not ready at {url} after {self.args.timeout:.0f}s; "
                        f"last answer: {last}",
                        logs=[(svc.name, self.layout.log(svc.name))],
                        hint="a 503 names the failing dependency (database, kafka); "
                        "--timeout raises the deadline",
                    )
                await asyncio.sleep(POLL_SECONDS)
        took = time.monotonic() - child.started
        self.done(f"{svc.name} ready on {base_url(self.env, svc)} ({took:.1f}s after start)")
        self.wait_for(svc.name, None)

    # -- seed -----------------------------------------------------------------------------

    async def call(
        self,
        client: httpx.AsyncClient,
        svc: Service,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (200, 201),
        **kwargs: Any,
    ) -> httpx.Response:
        """One seeding call; anything unexpected fails naming the service, URL and answer."""
        url = base_url(self.env, svc) + path
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise StepError(
                f"seed: {method} {url} → {type(error).__name__}: {error}",
                logs=[(svc.name, self.layout.log(svc.name))],
            ) from error
        if response.status_code not in set(expect):
            raise StepError(
                f"seed: {method} {url} → {summarise_response(response)}",
                logs=[(svc.name, self.layout.log(svc.name))],
            )
        return response

    async def seed(self) -> None:
        env = self.env
        tenant = env["BANCONE_DEMO_TENANT_ID"]
        phone = env["BANCONE_DEMO_PHONE_NUMBER_ID"]
        gateway_admin = {"Authorization": f"Bearer {env['BANCONE_GATEWAY_ADMIN_TOKEN']}"}
        catalog_admin = {"Authorization": f"Bearer {env['BANCONE_CATALOG_ADMIN_TOKEN']}"}
        self.wait_for("seed", "demo seed")
        async with httpx.AsyncClient(timeout=30.0) as client:
            response = await self.call(
                client,
                GATEWAY,
                "PUT",
                f"/v1/tenants/{tenant}",
                json={"name": env["BANCONE_DEMO_TENANT_NAME"]},
                headers=gateway_admin,
            )
            tenant_change = "created" if response.status_code == 201 else "exists"
            response = await self.call(
                client,
                GATEWAY,
                "PUT",
                f"/v1/tenants/{tenant}/channels/{phone}",
                json={
                    "verify_token": env["BANCONE_DEMO_VERIFY_TOKEN"],
                    "app_secret": env["BANCONE_DEMO_APP_SECRET"],
                    "access_token": env["BANCONE_DEMO_ACCESS_TOKEN"],
                    "waba_id": env["BANCONE_DEMO_WABA_ID"],
                    "display_phone_number": env["BANCONE_DEMO_DISPLAY_PHONE_NUMBER"],
                },
                headers=gateway_admin,
            )
            channel_change = response.json().get("change", "?")
            self.done(f"gateway: tenant {tenant} {tenant_change}, channel {phone} {channel_change}")

            challenge = secrets.token_hex(8)
            response = await self.call(
                client,
                GATEWAY,
                "GET",
                "/webhooks/whatsapp",
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": env["BANCONE_DEMO_VERIFY_TOKEN"],
                    "hub.challenge": challenge,
                },
                expect=(200,),
            )
            if response.text != challenge:
                raise StepError(
                    f"seed: gateway answered the webhook verification with {response.text[:80]!r}, "
                    f"not the challenge {challenge!r}",
                    logs=[("gateway", self.layout.log("gateway"))],
                )

            response = await self.call(
                client,
                SANDBOX,
                "POST",
                "/sandbox/channels",
                json={
                    "phone_number_id": phone,
                    "access_token": env["BANCONE_DEMO_ACCESS_TOKEN"],
                    "app_secret": env["BANCONE_DEMO_APP_SECRET"],
                    "gateway_webhook_url": base_url(env, GATEWAY) + "/webhooks/whatsapp",
                    "display_phone_number": env["BANCONE_DEMO_DISPLAY_PHONE_NUMBER"],
                    "waba_id": env["BANCONE_DEMO_WABA_ID"],
                },
            )
            self.done(f"sandbox: channel {phone} registered (status webhooks → gateway)")

            upload = prepare_import(self.catalog_file)
            response = await self.call(
                client,
                CATALOG,
                "POST",
                f"/v1/tenants/{tenant}/import",
                content=upload.body,
                params=upload.params(),
                headers={**catalog_admin, "Content-Type": upload.content_type},
            )
            self.done(
                f"catalog: imported {shown_path(self.catalog_file)} "
                f"(created/updated/unchanged: {import_summary(response.json())})"
            )
        self.wait_for("seed", None)
        self.timings["seed"] = time.monotonic() - T0

    @property
    def catalog_file(self) -> Path:
        path = Path(self.env["BANCONE_DEMO_CATALOG_FILE"])
        return path if path.is_absolute() else REPO / path

    async def wait_indexed(self) -> None:
        """Poll ingest's search until every active product and FAQ of the demo file is found:
        one broad search per round, then targeted ones for what it did not return."""
        tenant = self.env["BANCONE_DEMO_TENANT_ID"]
        document = json.loads(self.catalog_file.read_text(encoding="utf-8"))
        expected = [
            Expected("product", str(p["sku"]), str(p.get("name") or p["sku"]))
            for p in document.get("products", [])
            if p.get("active", True)
        ] + [
            Expected("faq", str(f["question"]), str(f["question"]))
            for f in document.get("faqs", [])
            if f.get("question")
        ]
        url = f"{base_url(self.env, INGEST)}/v1/tenants/{tenant}/search"
        broad = {
            "text": self.env["BANCONE_DEMO_TENANT_NAME"],
            "kinds": sorted({item.kind for item in expected}),
            "limit": 50,
        }
        deadline = time.monotonic() + self.args.timeout
        pending = list(expected)
        last = "not among the hits"
        self.wait_for("index", f"ingest to index the catalogue (0/{len(expected)})")

        async def search(client: httpx.AsyncClient, query: Mapping[str, Any]) -> set[str] | None:
            nonlocal last
            try:
                response = await client.post(url, json=query)
            except httpx.TransportError as error:
                last = f"{type(error).__name__}: {error}"
                return None
            if response.status_code == 200:
                return hit_keys(response.json())
            if route_missing(response):
                raise StepError(
                    f"ingest has no search endpoint: POST {url} → {summarise_response(response)}",
                    logs=[("ingest", self.layout.log("ingest"))],
                    hint="the launcher waits on ingest's search to know the demo catalogue "
                    "is indexed",
                )
            last = summarise_response(response)
            return None

        async with httpx.AsyncClient(timeout=10.0) as client:
            while pending:
                keys = await search(client, broad) or set()
                pending = [item for item in pending if not item.found_in(keys)]
                while pending:
                    query = {"text": pending[0].title, "kinds": [pending[0].kind], "limit": 10}
                    keys = await search(client, query) or set()
                    if not pending[0].found_in(keys):
                        break
                    pending.pop(0)
                found = len(expected) - len(pending)
                self.wait_for("index", f"ingest to index the catalogue ({found}/{len(expected)})")
                if not pending:
                    break
                if time.monotonic() > deadline:
                    missing = pending[0]
                    raise StepError(
                        f"ingest has not indexed {missing.kind} {missing.key!r} of tenant {tenant} "
                        f"after {self.args.timeout:.0f}s ({found}/{len(expected)} found): "
                        f"POST {url} {{'text': {missing.title!r}}} → {last}",
                        logs=[
                            ("catalog", self.layout.log("catalog")),
                            ("ingest", self.layout.log("ingest")),
                        ],
                        hint="catalog publishes changes on bancone.catalog.v1 through its "
                        "outbox; ingest consumes and indexes them",
                    )
                await asyncio.sleep(POLL_SECONDS)
        self.wait_for("index", None)
        self.timings["indexed"] = time.monotonic() - T0
        self.done(f"ingest: all {len(expected)} products and FAQs of {tenant} searchable")

    def write_run_env(self) -> None:
        env = self.env
        values = {
            "BANCONE_GATEWAY_URL": base_url(env, GATEWAY),
            "BANCONE_SANDBOX_URL": base_url(env, SANDBOX),
            "BANCONE_CATALOG_URL": base_url(env, CATALOG),
            "BANCONE_INGEST_URL": base_url(env, INGEST),
            "BANCONE_AGENT_URL": base_url(env, AGENT),
            "BANCONE_NOTIFIER_URL": base_url(env, NOTIFIER),
            "BANCONE_DEMO_TENANT_ID": env["BANCONE_DEMO_TENANT_ID"],
            "BANCONE_DEMO_PHONE_NUMBER_ID": env["BANCONE_DEMO_PHONE_NUMBER_ID"],
            "BANCONE_DEMO_APP_SECRET": env["BANCONE_DEMO_APP_SECRET"],
            "BANCONE_DEMO_VERIFY_TOKEN": env["BANCONE_DEMO_VERIFY_TOKEN"],
            "BANCONE_ADMIN_TOKEN": env["BANCONE_ADMIN_TOKEN"],
            "KAFKA_BOOTSTRAP_SERVERS": env["KAFKA_BOOTSTRAP_SERVERS"],
        }
        body = "\n".join(f"{key}={value}" for key, value in values.items())
        write_private(
            self.layout.run_env,
            f"# Written by deploy/local/run.py at {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} once "
            "everything answered;\n# removed when that run stops.\n" + body + "\n",
        )
        t = self.timings
        phases = ", ".join(
            f"{name} {t[name]:.1f}s"
            for name in ("broker", "migrations", "services", "seed", "indexed")
            if name in t
        )
        self.console.rule(f"[bold green]ready in {t['ready']:.1f}s[/]", style="green")
        self.console.print(f"[dim](each step done at: {phases})[/]")
        self.console.print(f"[bold]{self.layout.run_env}[/]:")
        self.console.print(body, markup=False, highlight=False)
        default_state = (REPO / ".bancone").resolve()
        prefix = (
            "" if self.layout.state == default_state else f"BANCONE_RUN_ENV={self.layout.run_env} "
        )
        self.console.print(f"\n[bold]try:[/] {prefix}uv run bancone chat")
        self.console.print(f"[dim]logs: {self.layout.logs}/<service>.log[/]")
        if self.broker is not None and self.broker.flavour == "tansu-memory":
            self.console.print(
                "[bold red]reminder: the broker is tansu — events in memory only, "
                "idempotent producers off[/]"
            )

    # -- stop -----------------------------------------------------------------------------

    async def shutdown(self) -> None:
        self.stopping = True
        self.layout.run_env.unlink(missing_ok=True)
        alive = [child for child in self.children if child.alive]
        if alive:
            self.say(f"stopping {', '.join(child.name for child in alive)} (SIGTERM)")
            for child in alive:
                child.signal(signal.SIGTERM)
            await asyncio.gather(*(self.reap(child) for child in alive))
        broker = self.broker_script
        if broker is not None:
            self.broker_script = None
            name = broker.stem
            with contextlib.suppress(StepError):
                await self.run_script(
                    name,
                    ["bash", str(broker), "stop"],
                    {
                        **self.env,
                        "BANCONE_KAFKA_DIR": str(self.layout.state / "kafka"),
                        "BANCONE_TANSU_DIR": str(self.layout.state / "tansu"),
                    },
                )
        elif self.broker is not None and not self.broker.owned:
            self.say(f"broker {self.broker.bootstrap} left running (not started by this run)")
        self.say("stopped")

    async def reap(self, child: Child) -> None:
        grace = self.args.grace
        hurry = asyncio.create_task(self.hurry.wait())
        exited = asyncio.create_task(child.process.wait())
        done, _ = await asyncio.wait(
            {hurry, exited}, timeout=grace, return_when=asyncio.FIRST_COMPLETED
        )
        hurry.cancel()
        if exited not in done:
            child.signal(signal.SIGKILL)
            await child.process.wait()
            why = "asked twice" if hurry in done else f"no exit {grace:.0f}s after SIGTERM"
            self.say(f"{child.name} killed ({why})", "yellow")
        else:
            code = child.process.returncode
            note = "" if code in (0, -signal.SIGTERM) else f" (exit {code})"
            self.say(f"{child.name} stopped{note}")


async def together(*steps: Coroutine[Any, Any, None]) -> None:
    """Run steps concurrently; the first to fail cancels the others and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            for step in steps:
                group.create_task(step)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def _empty() -> bytes:
    return b""


def shown_path(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def import_summary(report: Any) -> str:
    """`products 35/0/0, faqs 5/0/0, offers 2/0/0` (created/updated/unchanged) of a report."""
    report = report if isinstance(report, dict) else {}
    parts = []
    for kind in ("products", "faqs", "offers"):
        counts = report.get(kind) or {}
        numbers = "/".join(str(counts.get(k, 0)) for k in ("created", "updated", "unchanged"))
        parts.append(f"{kind} {numbers}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Expected:
    """An entity of the demo file that ingest's search must return."""

    kind: str
    key: str
    title: str

    def found_in(self, keys: set[str]) -> bool:
        return f"{self.kind}:{self.key}" in keys or f"{self.kind}:{self.title}" in keys


def hit_keys(body: Any) -> set[str]:
    """`kind:sku` and `kind:title` of every hit of a search answer."""
    keys: set[str] = set()
    for hit in body.get("hits", []) if isinstance(body, dict) else []:
        if not isinstance(hit, dict):
            continue
        kind = hit.get("kind")
        sku = (hit.get("payload") or {}).get("sku")
        if sku:
            keys.add(f"{kind}:{sku}")
        if hit.get("title"):
            keys.add(f"{kind}:{hit['title']}")
    return keys


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="deploy/local/run.py",
        description="Start Bancone locally (broker, five services, sandbox), seed the demo shop.",
    )
    parser.add_argument(
        "--state-dir",
        default=os.environ.get("BANCONE_STATE_DIR", str(REPO / ".bancone")),
        help="data, logs, secrets and run.env (default $BANCONE_STATE_DIR or <repo>/.bancone)",
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        default=int(os.environ.get("BANCONE_RUN_PORT_OFFSET", "0")),
        help="added to every default port (8080-8084, 8090) to run beside another instance",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="deadline of each wait, seconds (120)"
    )
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL (10)"
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="stop everything once ready (to time start-up, or as a smoke check)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    return asyncio.run(Launcher(args, console).run())


if __name__ == "__main__":
    sys.exit(main())
