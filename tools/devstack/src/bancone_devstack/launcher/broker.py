"""The broker of `make run`: the one in KAFKA_BOOTSTRAP_SERVERS if set, else Apache Kafka
through deploy/local/kafka.sh, else (no Java/Maven) the in-memory tansu; then every contract
topic ensured. A broker this run started is stopped with it; one it found running is not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.markup import escape

from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.report import Reporter, StepError
from bancone_devstack.launcher.services import SERVICES

BrokerFlavour = Literal["apache-kafka", "tansu-memory", "external"]
FLAVOUR_NAMES: dict[BrokerFlavour, str] = {
    "apache-kafka": "Apache Kafka",
    "tansu-memory": "tansu (IN MEMORY)",
    "external": "external broker",
}


@dataclass
class Broker:
    bootstrap: str
    flavour: BrokerFlavour
    owned: bool


class BrokerControl:
    """Starts (or finds) the broker through the repository's scripts, and stops what it started."""

    def __init__(self, reporter: Reporter, layout: Layout, scripts: Path, cwd: Path) -> None:
        self.reporter = reporter
        self.layout = layout
        self.scripts = scripts
        self.cwd = cwd
        self.broker: Broker | None = None
        self.owned_script: Path | None = None

    def script_env(self, env: Mapping[str, str]) -> dict[str, str]:
        return {
            **env,
            "BANCONE_KAFKA_DIR": str(self.layout.state / "kafka"),
            "BANCONE_TANSU_DIR": str(self.layout.state / "tansu"),
        }

    async def run_script(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> str:
        """Run a helper script; its stderr is shown prefixed, its stdout returned."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=self.cwd,
            start_new_session=True,
        )
        console = self.reporter.console

        async def relay() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                line = raw.decode("utf-8", errors="replace").rstrip()
                console.print(f"  [dim]{name:>8} │ {escape(line)}[/]")

        async def output() -> bytes:
            return await process.stdout.read() if process.stdout else b""

        try:
            out, _ = await asyncio.gather(output(), relay())
            code = await process.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
        if code != 0:
            raise StepError(f"{' '.join(argv)} failed (exit {code}); its output is above")
        return out.decode().strip()

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

    async def start(self, env: dict[str, str]) -> Broker:
        """Find or start the broker, point `env` at it, and ensure the topics."""
        script_env = self.script_env(env)
        external = env.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            broker = Broker(external, "external", owned=False)
        else:
            java = bool(shutil.which("java") and shutil.which("mvn"))
            if not java:
                self.warn_tansu()
            name = "kafka" if java else "tansu"
            script = self.scripts / f"{name}.sh"
            running = await self.script_status(script, script_env)
            self.owned_script = None if running else script
            bootstrap = await self.run_script(name, ["bash", str(script), "start"], script_env)
            flavour: BrokerFlavour = "apache-kafka" if java else "tansu-memory"
            broker = Broker(bootstrap, flavour, owned=not running)
        self.broker = broker
        env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        if broker.flavour == "tansu-memory":
            for svc in SERVICES:
                env[f"{svc.prefix}KAFKA_IDEMPOTENCE"] = "false"
        topics = self.scripts / "create_topics.py"
        argv = [sys.executable, str(topics), "--bootstrap", broker.bootstrap]
        await self.run_script("topics", argv, env)
        return broker

    async def stop(self, env: Mapping[str, str]) -> None:
        """Stop the broker this run started; say so when it leaves someone else's running."""
        script = self.owned_script
        if script is not None:
            self.owned_script = None
            with contextlib.suppress(StepError):
                argv = ["bash", str(script), "stop"]
                await self.run_script(script.stem, argv, self.script_env(env))
        elif self.broker is not None and not self.broker.owned:
            self.reporter.say(
                f"broker {self.broker.bootstrap} left running (not started by this run)"
            )

    def warn_tansu(self) -> None:
        console = self.reporter.console
        console.rule("[bold red]WARNING: no Java/Maven — falling back to tansu[/]", style="red")
        console.print(
            "[bold red]The broker is tansu, NOT Apache Kafka: every event is kept IN MEMORY and\n"
            "lost when it stops, and idempotent producers are switched OFF in every service\n"
            "(BANCONE_<SERVICE>_KAFKA_IDEMPOTENCE=false). Fine for a look around, nothing more.\n"
            "Install openjdk-17-jre-headless and maven to run on Apache Kafka.[/]"
        )
        console.rule(style="red")
