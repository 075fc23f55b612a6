"""The live notifier replicas, from a heartbeat row each (`pacing_replicas`), kept in this
replica's `ReplicaShare` for the pacer (`domain/replica_share.py` says how the tier is split and
why a newcomer waits). One small transaction per heartbeat: upsert this replica's row, read the
rows that are not expired, delete rows an hour dead (replicas killed without their goodbye).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import dialect_insert
from bancone_kit.logging import get_logger
from bancone_notifier.adapters.pacing_clock import Clock, SystemClock
from bancone_notifier.adapters.tables import PacingReplicaRecord
from bancone_notifier.domain.replica_share import ReplicaShare, RosterTiming
from bancone_notifier.metrics import LIVE_REPLICAS

log = get_logger(__name__)

_REPLICAS: sa.Table = PacingReplicaRecord.__table__  # type: ignore[attr-defined]
_DEAD_ROWS_KEPT_SECONDS = 3600.0


def new_replica_id() -> str:
    """Unique per process; the host name only helps a reader of the table."""
    return f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:16]}"


class ReplicaRoster:
    """Beats every `timing.heartbeat_seconds` in the background; `share` is what the pacer
    reads."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        timing: RosterTiming,
        *,
        clock: Clock | None = None,
        replica_id: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock: Clock = clock or SystemClock()
        self.share = ReplicaShare(replica_id or new_replica_id(), timing)
        self._task: asyncio.Task[None] | None = None

    async def beat(self) -> None:
        """Say this replica is alive, and learn who else is."""
        at = self._clock.now()
        timing = self.share.timing
        async with self._sessions() as session, session.begin():
            connection = await session.connection()
            insert = dialect_insert(connection.dialect.name, _REPLICAS)
            await connection.execute(
                insert.values(
                    replica_id=self.share.me, seen_at=at, started_at=utcnow()
                ).on_conflict_do_update(index_elements=["replica_id"], set_={"seen_at": at})
            )
            await connection.execute(
                sa.delete(_REPLICAS).where(_REPLICAS.c.seen_at < at - _DEAD_ROWS_KEPT_SECONDS)
            )
            live = (
                await connection.execute(
                    sa.select(_REPLICAS.c.replica_id).where(
                        _REPLICAS.c.seen_at > at - timing.expiry
                    )
                )
            ).scalars()
            members = list(live)
        before = self.share.members
        self.share.beaten(at, members)
        LIVE_REPLICAS.set(len(self.share.members))
        if self.share.members != before:
            log.info(
                "pacing.replicas_changed",
                replica_id=self.share.me,
                replicas=len(self.share.members),
                may_send_in=round(self.share.ready_at(at) - at, 3),
            )

    async def start(self) -> None:
        """The first beat at once (a replica alone may then send straight away), the rest in
        the background."""
        await self._beat_logged()
        self._task = asyncio.get_running_loop().create_task(
            self._loop(), name="notifier-replica-roster"
        )

    async def _loop(self) -> None:
        while True:
            await self._clock.sleep(self.share.timing.heartbeat_seconds)
            await self._beat_logged()

    async def _beat_logged(self) -> None:
        try:
            await self.beat()
        except Exception:  # the share fences itself if beats keep failing
            log.exception("pacing.heartbeat_failed", replica_id=self.share.me)

    async def stop(self) -> None:
        """Stop beating and remove this replica's row, so the others take its share at their
        next beat rather than after the expiry. Call it after the last send has left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            async with self._sessions() as session, session.begin():
                await (await session.connection()).execute(
                    sa.delete(_REPLICAS).where(_REPLICAS.c.replica_id == self.share.me)
                )
        except Exception:  # the row then expires on its own
            log.exception("pacing.goodbye_failed", replica_id=self.share.me)
