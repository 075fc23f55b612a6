"""How late the event loop runs: the wait a request met before the gateway's code saw it.

uvicorn does not say when a request arrived; under overload the wait is spent before the app
runs (bytes in the socket, parsed requests queued as tasks behind every other ready task). A
tick that asks to wake every `interval` seconds and notes how much later it woke measures
exactly that queue: a request handled now waited about as long, per hop through the loop.
While a tick is overdue, the lateness counts up from its due time, so a loop blocked right
now is seen before the tick gets to run.
"""

from __future__ import annotations

import asyncio
import contextlib


class LoopLag:
    """Started and stopped by the gateway's lifespan; `seconds` is 0 while it is not running."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._last = 0.0
        self._due: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def seconds(self) -> float:
        """The loop's current lateness: the last tick's, or the overdue tick's so far."""
        if self._due is None or self._loop is None:
            return 0.0
        return max(self._last, self._loop.time() - self._due)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._run(), name="gateway-loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._due = None
        self._last = 0.0
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        assert self._loop is not None
        while True:
            self._due = self._loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._last = max(0.0, self._loop.time() - self._due)
