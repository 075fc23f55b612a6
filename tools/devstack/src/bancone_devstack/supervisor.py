"""The children of one run, by name: a queue of unexpected deaths (so a launcher stops
everything when one service dies), stop-all with a grace period, and kill/restart for the
e2e fault runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bancone_devstack.process import Child, Stopped


class Supervisor:
    """Starts children, watches the long-running ones, and stops them all."""

    def __init__(self) -> None:
        self.children: dict[str, Child] = {}
        self.deaths: asyncio.Queue[Child] = asyncio.Queue()
        self.stopping = False
        self._watchers: set[asyncio.Task[None]] = set()
        self._expected: set[str] = set()

    def __getitem__(self, name: str) -> Child:
        return self.children[name]

    async def start(self, child: Child, *, watch: bool = False) -> Child:
        """Start `child` and keep it; with `watch`, an exit before `stop_all` is a death."""
        self.children[child.name] = child
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
            if not self.stopping and child.name not in self._expected:
                await self.deaths.put(child)

        task = asyncio.create_task(watcher(), name=f"watch-{child.name}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

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
