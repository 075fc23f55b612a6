"""The notifier's periodic sweeper: every `interval` it deletes rows nobody reads any more
(`adapters/pruning.py`: `inbound_seen` past its retention, idle `pacing_pairs`). Runs in the
app's lifespan beside the campaign runner; every replica may run it (the deletes are
idempotent and batched)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_notifier.adapters.pruning import Pruned, prune

log = get_logger(__name__)


@dataclass(frozen=True)
class SweeperSettings:
    interval_seconds: float = 3600.0
    inbound_seen_retention: timedelta = timedelta(days=7)
    pair_idle_seconds: float = 60.0
    """A pair is deleted this long after its spacing and any block have passed (a margin
    over the clocks of the replicas, which book on their own wall clocks)."""
    batch_size: int = 5000


class Sweeper:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: SweeperSettings | None = None,
    ) -> None:
        self._sessions = sessions
        self.settings = settings or SweeperSettings()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="notifier-sweeper")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.interval_seconds)
            if self._stopping.is_set():
                return
            try:
                await self.sweep_once()
            except Exception:
                log.exception("sweeper.round_failed")

    async def sweep_once(self, now: datetime | None = None) -> Pruned:
        """One pass; `now` defaults to the wall clock (tests pass their own)."""
        now = now or utcnow()
        pruned = await prune(
            self._sessions,
            inbound_seen_before=now - self.settings.inbound_seen_retention,
            pairs_idle_before=now.timestamp() - self.settings.pair_idle_seconds,
            batch_size=self.settings.batch_size,
        )
        log.info(
            "sweeper.pruned",
            inbound_seen=pruned.inbound_seen,
            pacing_pairs=pruned.pacing_pairs,
        )
        return pruned
