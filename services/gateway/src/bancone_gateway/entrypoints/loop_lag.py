"""How late the event loop runs: the wait a request met before the gateway's code saw it.

uvicorn does not say when a request arrived; under overload the wait is spent before the app
runs (bytes in the socket, parsed requests queued as tasks behind every other ready task). A
tick that asks to wake every `interval` seconds and notes how much later it woke measures
exactly that queue: a request handled now waited about as long, per hop through the loop.

Only sustained lateness counts: `seconds` is the smallest of the last `window` ticks, so one
stall (a slow synchronous call, a garbage collection) does not shed the requests behind it,
while a loop that stays behind is seen within `window` of its ticks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class LoopLag:
    """Started and stopped by the gateway's lifespan; `seconds` is 0 while it is not running."""

    def __init__(self, interval: float = 0.05, window: int = 2) -> None:
        self.interval = interval
        self.ticks = 0
        self._late: deque[float] = deque(maxlen=window)
        self._task: asyncio.Task[None] | None = None

    @property
    def seconds(self) -> float:
        """How late every one of the last `window` ticks was, at least (0 until there are)."""
        if len(self._late) < (self._late.maxlen or 1):
            return 0.0
        return min(self._late)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="gateway-loop-lag"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._late.clear()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._late.append(max(0.0, loop.time() - due))
            self.ticks += 1
