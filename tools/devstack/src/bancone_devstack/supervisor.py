"""The children of one run, by name: a queue of unexpected deaths (so a launcher stops
everything when one service dies), stop-all with a grace period, kill/restart for the
e2e fault runs, and a restart policy (`make faults`: a killed service comes back by itself,
as Kubernetes restarts a container)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bancone_devstack.process import Child, Stopped


@dataclass(frozen=True)
class RestartPolicy:
    """Kubernetes' `restartPolicy: Always` in small: a child that exits is started again after
    a back-off that doubles from `initial_seconds` up to `max_seconds`, and falls back to
    `initial_seconds` once a run lasted `reset_after_seconds` (a crash loop slows down, a
    one-off crash comes back at once)."""

    initial_seconds: float = 0.5
    max_seconds: float = 10.0
    reset_after_seconds: float = 10.0

    def next_delay(self, previous: float | None, uptime: float) -> float:
        """The back-off before the next start, given the previous one and how long it ran."""
        if previous is None or uptime >= self.reset_after_seconds:
            return self.initial_seconds
        return min(previous * 2, self.max_seconds)


@dataclass(frozen=True)
class Restarted:
    """One automatic restart: which child, how its process ended, and when it was back."""

    name: str
    exit_description: str
    died_at: float
    started_at: float


class Supervisor:
    """Starts children, watches the long-running ones (restarting those with a policy), and
    stops them all."""

    def __init__(self) -> None:
        self.children: dict[str, Child] = {}
        self.deaths: asyncio.Queue[Child] = asyncio.Queue()
        self.restarts: list[Restarted] = []
        """Every automatic restart so far, oldest first (`time.monotonic()` times)."""
        self.stopping = False
        self._watchers: set[asyncio.Task[None]] = set()
        self._expected: set[str] = set()
        self._policies: dict[str, RestartPolicy] = {}
        self._delays: dict[str, float] = {}

    def __getitem__(self, name: str) -> Child:
        return self.children[name]

    async def start(
        self, child: Child, *, watch: bool = False, restart: RestartPolicy | None = None
    ) -> Child:
        """Start `child` and keep it; with `watch`, an exit before `stop_all` is a death; with
        `restart`, it is no death: the child is started again under that policy."""
        self.children[child.name] = child
        if restart is not None:
            self._policies[child.name] = restart
            watch = True
        await child.start()
        if watch:
            self.watch(child)
        return child

    async def run_to_end(self, child: Child) -> int | None:
        """A one-shot command (migrations, a config import): its exit code."""
        await child.start()
        return await child.wait()

    def watch(self, child: Child) -> None:
        """Put `child` on `deaths` if it exits while it should be running."""
        proc = child.proc

        async def watcher() -> None:
            if proc is None:
                return
            await proc.wait()
            if self.stopping or child.name in self._expected:
                return
            policy = self._policies.get(child.name)
            if policy is None:
                await self.deaths.put(child)
            else:
                await self._restart_by_policy(child, policy)

        task = asyncio.create_task(watcher(), name=f"watch-{child.name}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _restart_by_policy(self, child: Child, policy: RestartPolicy) -> None:
        died_at, how = time.monotonic(), child.exit_description()
        delay = policy.next_delay(self._delays.get(child.name), child.uptime)
        self._delays[child.name] = delay
        await asyncio.sleep(delay)
        if self.stopping or child.name in self._expected:
            return
        await child.start()
        self.restarts.append(Restarted(child.name, how, died_at, time.monotonic()))
        self.watch(child)

    def restart_count(self, name: str) -> int:
        return sum(1 for restarted in self.restarts if restarted.name == name)

    def kill(self, name: str) -> None:
        """SIGKILL one child on purpose (not reported as a death)."""
        self._expected.add(name)
        self.children[name].kill()

    async def restart(self, name: str, *, watch: bool = False) -> Child:
        """Wait for the old process to be gone (its port free), then start it again."""
        child = self.children[name]
        self._expected.add(name)
        await child.wait()
        self._expected.discard(name)
        await child.start()
        if watch:
            self.watch(child)
        return child

    def alive(self) -> list[Child]:
        return [child for child in self.children.values() if child.alive]

    async def stop_all(
        self,
        grace: float,
        hurry: asyncio.Event | None = None,
        on_stopped: Callable[[Child, Stopped], None] | None = None,
    ) -> None:
        """SIGTERM every live child at once, then reap each (SIGKILL after `grace`)."""
        self.stopping = True

        async def reap(child: Child) -> None:
            stopped = await child.stop(grace, hurry)
            if on_stopped is not None:
                on_stopped(child, stopped)

        await asyncio.gather(*(reap(child) for child in self.alive()))


async def together(*steps: Coroutine[Any, Any, None]) -> None:
    """Run steps concurrently; the first to fail cancels the others and is raised as is (a
    launcher reports that one failure, not an exception group)."""
    try:
        async with asyncio.TaskGroup() as group:
            for step in steps:
                group.create_task(step)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
