"""What the platform benchmarks share: start and stop `make run`, print as they go, and stop
cleanly when interrupted. Traffic is in `bench.traffic`, numbers and tables in `bench.latencies`,
what the services logged in `bench.service_logs`, what they recorded in `bench.outcomes`.

Benchmarks measure and print; they assert nothing (the project's rule: speed targets live in
`make bench`, not in tests). Every process a benchmark starts is stopped when it ends, fails,
or is interrupted (Ctrl-C, SIGTERM, SIGHUP); the processes themselves are supervised by
`bancone_devstack`, as in `make run` and the e2e tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bancone_cli.runenv import parse_env_text
from bancone_devstack import Child, tail_text

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


async def spawn(name: str, argv: list[str], env: Mapping[str, str], log: Path) -> Child:
    """A child of the benchmark (its log started afresh), supervised as `make run`'s are."""
    child = Child(name, tuple(argv), dict(env), log, cwd=REPO, log_mode="wb")
    return await child.start()


async def stop(child: Child, grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, saying so."""
    stopped = await child.stop(grace)
    if stopped.killed:
        say(f"[yellow]{child.name} still running {grace:.0f}s after SIGTERM: SIGKILL[/]")


def tail(path: Path, lines: int = 30) -> str:
    return tail_text(path, lines, missing="(no log)")


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
    owner_email: str
    owner_password: str
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
            owner_email=values["BANCONE_DEMO_OWNER_EMAIL"],
            owner_password=values["BANCONE_DEMO_OWNER_PASSWORD"],
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
            if not child.alive:
                raise RuntimeError(
                    f"run.py exited with {child.returncode} before it was ready:\n"
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
        await asyncio.shield(stop(child, STOP_SECONDS))
        code = child.returncode
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
