"""Start the gateway's messaging even when Kafka is down at boot.

The gateway is the edge: while Kafka is unreachable it should still run, answer the handshake,
refuse webhooks with 503 (Meta retries them) and report not-ready, rather than crash-loop.
So a failed first connection is retried in the background until it succeeds, with the kit's
retry helper: backoff from one second up to `retry_seconds` between tries, jittered, unbounded.
"""

from __future__ import annotations

import asyncio
import contextlib

from bancone_kit.logging import get_logger
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.runtime import Messaging
from bancone_kit.tasks import cancel_and_wait

log = get_logger(__name__)


class ResilientMessagingStart:
    def __init__(self, messaging: Messaging, *, retry_seconds: float) -> None:
        self._messaging = messaging
        first = min(1.0, retry_seconds)
        self._retry = RetryPolicy(
            attempts=None, initial_delay=first, max_delay=retry_seconds, jitter=first
        )
        self._task: asyncio.Task[None] | None = None
        self.started = False

    async def start(self) -> None:
        """Connect now if Kafka answers; otherwise keep trying in the background."""
        if await self._try_start():
            return
        self._task = asyncio.create_task(self._keep_trying(), name="gateway-messaging-start")

    async def _try_start(self) -> bool:
        try:
            await self._start_once()
        except Exception:
            return False
        return True

    async def _start_once(self) -> None:
        try:
            await self._messaging.start()
        except Exception as exc:
            log.warning("messaging.start_failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):
                await self._messaging.stop()
            raise
        self.started = True
        log.info("messaging.started")

    async def _keep_trying(self) -> None:
        """After the failed first try: wait, then try again under the policy until it starts."""
        await asyncio.sleep(self._retry.delay(1))
        await self._retry.call(self._start_once)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self.started:
            await self._messaging.stop()
            self.started = False
