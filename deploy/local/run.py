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
CLI should not assume. The steps themselves live in `bancone_devstack.launcher`, the process
handling in `bancone_devstack` (shared with bench/ and tests/e2e/); this file orders them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.markup import escape

from bancone_cli.runenv import parse_env_text
from bancone_devstack import (
    Child,
    ExitedBeforeReadyError,
    NotReadyError,
    Stopped,
    Supervisor,
    rotate,
    together,
)
from bancone_devstack.launcher.broker import FLAVOUR_NAMES, BrokerControl
from bancone_devstack.launcher.environment import base_url, build_env, host_port, run_env_values
from bancone_devstack.launcher.indexing import wait_indexed
from bancone_devstack.launcher.layout import Layout, take_lock, write_private
from bancone_devstack.launcher.report import Reporter, StepError
from bancone_devstack.launcher.secrets_file import load_secrets
from bancone_devstack.launcher.seed import DemoSeed
from bancone_devstack.launcher.services import (
    AGENT,
    PROCESSES,
    SANDBOX,
    SERVICES,
    Service,
    console_script,
)
from bancone_devstack.ports import port_in_use
from bancone_devstack.readiness import wait_ready

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / "deploy" / "local"
DEMO_AGENT_CONFIG = LOCAL / "demo" / "agent-config.json"
DEV_ENV = LOCAL / "dev.env"

DUPLICATE_SIGNAL_SECONDS = 1.0


class Launcher:
    """Starts, seeds and supervises; `run()` returns the exit status."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args = args
        self.console = console
        self.report = Reporter(console)
        self.layout = Layout(Path(args.state_dir).resolve())
        self.env: dict[str, str] = {}
        self.supervisor = Supervisor()
        self.broker = BrokerControl(self.report, self.layout, LOCAL, REPO)
        self.hurry = asyncio.Event()
        self.timings: dict[str, float] = {}
        self._lock: IO[str] | None = None

    def mark(self, step: str) -> None:
        self.timings[step] = self.report.since_start()

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
        death = asyncio.create_task(self.supervisor.deaths.get(), name="death")
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
                self.report.report_death(death.result())
                status = 1
            elif startup in done and (error := startup.exception()) is not None:
                if not isinstance(error, StepError):
                    raise error
                self.report.report_failure(error)
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

    async def start(self) -> None:
        self.report.start_status()
        try:
            await self._start()
        finally:
            self.report.stop_status()

    async def _start(self) -> None:
        layout = self.layout
        for directory in (layout.state, layout.data, layout.logs):
            directory.mkdir(parents=True, exist_ok=True)
        self._lock = take_lock(layout)
        layout.run_env.unlink(missing_ok=True)
        self.report.say(f"Bancone local run in {layout.state}")
        self.load_env()
        self.check_ports()
        for svc in PROCESSES:
            rotate(layout.log(svc.name))

        # The broker, the migrations and the sandbox do not need each other: start them together.
        await together(self.start_broker(), self.migrate_all(), self.start_sandbox())
        await self.start_services()
        self.mark("services")
        owner_token = await DemoSeed(
            self.env, layout, self.report, self.catalog_file, shown_path(self.catalog_file)
        ).run()
        self.mark("seed")
        await wait_indexed(
            self.env, layout, self.report, self.catalog_file, self.args.timeout, owner_token
        )
        self.mark("indexed")
        self.mark("ready")
        self.write_run_env()

    def load_env(self) -> None:
        layout = self.layout
        secret_values, generated = load_secrets(layout.secrets_file)
        if generated:
            self.report.done(
                f"secrets generated into {layout.secrets_file} (0600): {', '.join(generated)}"
            )
            sealed = [layout.data / f"{name}.sqlite" for name in ("gateway", "notifier")]
            if any(name.endswith("KEYRING") for name in generated) and any(
                path.exists() for path in sealed
            ):
                self.report.say(
                    f"new keyrings, but {layout.data} is from an earlier run: channel secrets "
                    "sealed then no longer open. If the seed fails, stop and delete "
                    f"{layout.data} (and {layout.state / 'kafka'}).",
                    "bold yellow",
                )
        else:
            self.report.done(f"secrets reused from {layout.secrets_file}")
        dev = parse_env_text(DEV_ENV.read_text(encoding="utf-8"))
        self.env = build_env(layout, self.args.port_offset, dev, secret_values, os.environ)

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

    async def start_broker(self) -> None:
        self.report.wait_for("broker", "broker")
        broker = await self.broker.start(self.env)
        self.mark("broker")
        started = "started" if broker.owned else "already running, left running on exit"
        self.report.done(
            f"broker: {FLAVOUR_NAMES[broker.flavour]} on {broker.bootstrap} ({started}); "
            "topics ensured"
        )
        self.report.wait_for("broker", None)

    # -- services -------------------------------------------------------------------------

    def child(self, svc: Service, *args: str) -> Child:
        return Child(
            svc.name,
            (console_script(svc.command), *args),
            self.env,
            self.layout.log(svc.name),
            cwd=REPO,
            shown=(svc.command, *args),
        )

    async def run_to_end(self, svc: Service, *args: str) -> None:
        """Run a one-shot command of a service (migrate, config import); fail the step loudly."""
        code = await self.supervisor.run_to_end(self.child(svc, *args))
        if code != 0:
            raise StepError(
                f"{svc.command} {' '.join(args)} failed (exit {code}) on "
                f"{self.env[f'{svc.prefix}DATABASE_URL']}",
                logs=[(svc.name, self.layout.log(svc.name))],
            )

    async def migrate_all(self) -> None:
        async def migrate(svc: Service) -> None:
            self.report.wait_for(f"migrate-{svc.name}", f"{svc.name} migrations")
            await self.run_to_end(svc, "migrate")
            if svc is AGENT:
                # The demo shop's assistant configuration (versioned; unchanged on re-runs).
                tenant, config = self.env["BANCONE_DEMO_TENANT_ID"], DEMO_AGENT_CONFIG
                await self.run_to_end(svc, "config", "import", "--tenant", tenant, str(config))
            self.report.wait_for(f"migrate-{svc.name}", None)

        await together(*(migrate(svc) for svc in SERVICES))
        self.mark("migrations")
        names = ", ".join(svc.name for svc in SERVICES)
        self.report.done(f"migrations applied: {names} (SQLite in {self.layout.data})")

    async def start_sandbox(self) -> None:
        child = await self.supervisor.start(self.child(SANDBOX))
        await self.wait_ready(SANDBOX, child)
        self.supervisor.watch(child)

    async def start_services(self) -> None:
        children = [
            (svc, await self.supervisor.start(self.child(svc, "serve"))) for svc in SERVICES
        ]
        await together(*(self.wait_ready(svc, child) for svc, child in children))
        for _, child in children:
            self.supervisor.watch(child)

    async def wait_ready(self, svc: Service, child: Child) -> None:
        url = base_url(self.env, svc) + svc.probe
        self.report.wait_for(svc.name, svc.name)
        try:
            took = await wait_ready(child, url, deadline_seconds=self.args.timeout)
        except ExitedBeforeReadyError as error:
            raise StepError(str(error), logs=[(svc.name, child.log)]) from None
        except NotReadyError as error:
            raise StepError(
                str(error),
                logs=[(svc.name, child.log)],
                hint="a 503 names the failing dependency (database, kafka); "
                "--timeout raises the deadline",
            ) from None
        self.report.done(f"{svc.name} ready on {base_url(self.env, svc)} ({took:.1f}s after start)")
        self.report.wait_for(svc.name, None)

    # -- ready ----------------------------------------------------------------------------

    @property
    def catalog_file(self) -> Path:
        path = Path(self.env["BANCONE_DEMO_CATALOG_FILE"])
        return path if path.is_absolute() else REPO / path

    def write_run_env(self) -> None:
        body = "\n".join(f"{key}={value}" for key, value in run_env_values(self.env).items())
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
        values = run_env_values(self.env)
        login = (
            f"{values['BANCONE_CONSOLE_URL']}  (log in as {values['BANCONE_DEMO_OWNER_EMAIL']}"
            f" / {values['BANCONE_DEMO_OWNER_PASSWORD']})"
        )
        self.console.print("\n[bold]console:[/] " + escape(login))
        self.console.print(f"[bold]try:[/] {prefix}uv run bancone chat")
        self.console.print(f"[dim]logs: {self.layout.logs}/<service>.log[/]")
        broker = self.broker.broker
        if broker is not None and broker.flavour == "tansu-memory":
            self.console.print(
                "[bold red]reminder: the broker is tansu — events in memory only, "
                "idempotent producers off[/]"
            )

    # -- stop -----------------------------------------------------------------------------

    async def shutdown(self) -> None:
        self.supervisor.stopping = True
        self.layout.run_env.unlink(missing_ok=True)
        alive = self.supervisor.alive()
        if alive:
            self.report.say(f"stopping {', '.join(child.name for child in alive)} (SIGTERM)")
            await self.supervisor.stop_all(self.args.grace, self.hurry, self.stopped)
        await self.broker.stop(self.env)
        self.report.say("stopped")

    def stopped(self, child: Child, how: Stopped) -> None:
        if how.killed:
            why = "asked twice" if how.hurried else f"no exit {self.args.grace:.0f}s after SIGTERM"
            self.report.say(f"{child.name} killed ({why})", "yellow")
        else:
            code = how.returncode
            note = "" if code in (0, -signal.SIGTERM) else f" (exit {code})"
            self.report.say(f"{child.name} stopped{note}")


def shown_path(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


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
