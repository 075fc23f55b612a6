"""One supervised child process: started in a session of its own with its output in a log
file, stopped gently (SIGTERM, then SIGKILL after a grace period) or killed outright.

A session of its own makes the child lead a process group: a terminal's Ctrl-C then reaches
only the supervisor (which stops children in order), and a stop signal reaches everything the
child started (uvicorn workers, a JVM under a shell script) instead of orphaning it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bancone_devstack.logs import log_has_line


@dataclass(frozen=True)
class Stopped:
    """How a stop ended: `killed` when SIGKILL was needed, `hurried` when asked to skip the
    grace period; `returncode` as asyncio reports it (negative: killed by that signal)."""

    returncode: int | None
    killed: bool = False
    hurried: bool = False


@dataclass
class Child:
    """A process to start (and start again) with its argv, environment and log file.

    `shown` is what messages print instead of the full argv (a console script's name rather
    than its path in the venv). `log_mode` "ab" appends (the caller rotated the old log),
    "wb" starts the file afresh."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    log: Path
    cwd: Path | None = None
    shown: tuple[str, ...] = ()
    log_mode: str = "ab"
    proc: asyncio.subprocess.Process | None = None
    started: float = field(default_factory=time.monotonic)

    async def start(self) -> Child:
        """Spawn the process (again, after it exited: a fault run's restart)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open(self.log_mode) as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        self.started = time.monotonic()
        return self

    @property
    def command_line(self) -> str:
        return " ".join(self.shown or self.argv)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started

    def signal(self, signum: signal.Signals) -> None:
        """Signal the child's whole process group (it leads one: started in a new session)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL now: no shutdown hooks, no offset commit (the e2e fault runs). Await
        `wait()` (or `Supervisor.restart`) before starting it again."""
        if self.alive:
            self.signal(signal.SIGKILL)

    async def wait(self) -> int | None:
        if self.proc is None:
            return None
        return await self.proc.wait()

    async def stop(self, grace: float, hurry: asyncio.Event | None = None) -> Stopped:
        """SIGTERM, then SIGKILL once `grace` seconds pass or `hurry` is set (a second Ctrl-C)."""
        if not self.alive or self.proc is None:
            return Stopped(self.returncode)
        self.signal(signal.SIGTERM)
        exited: asyncio.Future[Any] = asyncio.ensure_future(self.proc.wait())
        waits = {exited}
        hurried_task: asyncio.Future[Any] | None = None
        if hurry is not None:
            hurried_task = asyncio.ensure_future(hurry.wait())
            waits.add(hurried_task)
        done, _ = await asyncio.wait(waits, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
        if hurried_task is not None:
            hurried_task.cancel()
        if exited in done:
            return Stopped(self.proc.returncode)
        self.signal(signal.SIGKILL)
        await self.proc.wait()
        hurried = hurried_task is not None and hurried_task in done
        return Stopped(self.proc.returncode, killed=True, hurried=hurried)

    def log_has_line(self, *parts: str) -> bool:
        """Whether one line of this child's log contains every one of `parts`."""
        return log_has_line(self.log, *parts)

    def exit_description(self) -> str:
        """`killed by SIGKILL` or `exited with code 3`."""
        code = self.returncode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"
