"""Outbox relay: publishes staged events in commit order and marks them sent.

It wakes on the commit signal of `outbox.stage` (same process), on PostgreSQL `NOTIFY` (other
processes) and, as a safety net, on a poll timer, then lingers a moment so that the commits
that follow join the batch. Publishing waits for Kafka's acknowledgement
(acks=all) before the row is marked sent, so a crash in between publishes the event again on
restart: consumers dedupe by event id (`inbox.claim`). One relay at a time publishes for a
PostgreSQL database (an advisory lock), which keeps per-key order across replicas.

Dev-only fault hook (`make faults`, off by default): with `BANCONE_DEV_FAULT_RELAY_CRASH_FILE`
set to a path, the relay SIGKILLs its own process after publishing a batch and before marking
it sent whenever that file exists (deleting it first, so the restarted process runs normally).
That is the crash the paragraph above claims is safe, made on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
import structlog
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bancone_kit.messaging.outbox import NOTIFY_CHANNEL, register_waker
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.messaging.tracecontext import attached
from bancone_kit.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

_ADVISORY_LOCK_KEY = 0x0B_A4C0_4E  # constant for "bancone outbox"

FAULT_CRASH_FILE_VARIABLE = "BANCONE_DEV_FAULT_RELAY_CRASH_FILE"
"""Dev-only fault hook (see the module docstring); unset in every deployment."""

DEFAULT_LINGER = 0.02
"""Seconds the relay waits after a commit signal before it reads the outbox: under load the
commits of that moment are published as one batch (one transaction, one wait for the acks)
instead of one batch each; at 40 customer messages a second the notifier made 3 relay
transactions per message without it (docs/benchmarks.md, issue 11)."""

BUSY_WINDOW = 0.1
"""The relay lingers only when its last batch ended less than this ago (it is under load):
a commit after a quiet spell is published at once, so a lone reply does not pay the linger."""

PublishedHook = Callable[[OutboxRecord], Awaitable[None]]


def should_linger(
    now: float, last_batch_at: float | None, busy_window: float = BUSY_WINDOW
) -> bool:
    """Wait for more commits only while batches follow each other closely."""
    return last_batch_at is not None and now - last_batch_at < busy_window


class OutboxRelay:
    """Publishes unsent outbox rows of one database through one broker."""

    def __init__(
        self,
        engine: AsyncEngine,
        broker: KafkaBroker,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        linger: float = DEFAULT_LINGER,
        after_publish: PublishedHook | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._broker = broker
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._linger = linger
        self._after_publish = after_publish
        self._wake = asyncio.Event()
        self._last_batch_at: float | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        url = engine.url.render_as_string(hide_password=False)
        self._waker = register_waker(url, self._signal)
        self._crash_file = os.environ.get(FAULT_CRASH_FILE_VARIABLE) or None

    def _signal(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._engine.dialect.name == "postgresql":
            await self._listen()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the batch in hand finish, then stop; cancel only past `grace_seconds`. A batch
        cancelled inside its transaction (publish done, marking not) was seen to leave its
        database connection hanging and the app's shutdown with it."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        await cancel_and_wait(self._task)
        self._task = None
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        url = self._engine.url.set(drivername="postgresql")
        self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._signal())

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            if self._stopping:
                return
            # Under load, commits that follow within the linger share this batch's
            # transaction and acks; after a quiet spell the commit is published at once.
            if should_linger(time.monotonic(), self._last_batch_at):
                await asyncio.sleep(self._linger)
            self._wake.clear()
            try:
                published = await self.publish_pending()
                while published == self._batch_size and not self._stopping:
                    published = await self.publish_pending()
                if published:
                    self._last_batch_at = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed")
                if not self._stopping:
                    await asyncio.sleep(self._poll_interval)

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were published."""
        async with self._sessions() as session, session.begin():
            if not await self._take_lock(session):
                return 0
            rows = (
                await session.scalars(
                    sa.select(OutboxRecord)
                    .where(sa.column("sent_at").is_(None))
                    .order_by(sa.column("seq"))
                    .limit(self._batch_size)
                )
            ).all()
            await self._publish_all(rows)
            if self._after_publish is not None:
                for row in rows:
                    await self._after_publish(row)
            if rows:
                self._crash_if_armed(len(rows))
                now = datetime.now(UTC)
                await session.execute(
                    sa.update(OutboxRecord)
                    .where(sa.column("seq").in_([r.seq for r in rows]))
                    .values(sent_at=now)
                )
                log.debug("outbox.published", count=len(rows))
            return len(rows)

    async def _publish_all(self, rows: Sequence[OutboxRecord]) -> None:
        """Every row handed to the producer in order, then every ack awaited together: one
        Kafka round-trip per batch instead of one per row (on SQLite the relay holds the
        write lock meanwhile, so every other writer of the file waited for those round-trips).
        Per-key order holds: the producer sends a partition's records in the order given and
        keeps one batch in flight per partition."""
        deliveries: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                with attached(row.headers):
                    delivery = await self._broker.publish(
                        row.payload,
                        topic=row.topic,
                        key=row.key.encode(),
                        headers=dict(row.headers),
                        no_confirm=True,
                    )
                deliveries.append(delivery)
        finally:
            if deliveries:  # even when a later send raised: no ack left unawaited
                await asyncio.wait(deliveries)
        for delivery in deliveries:
            delivery.result()  # the first failure, if any: nothing of the batch is marked

    def _crash_if_armed(self, published: int) -> None:
        """The dev-only fault: die between publish and mark when the armed file exists."""
        if self._crash_file is None or not os.path.exists(self._crash_file):
            return
        os.unlink(self._crash_file)
        log.warning("outbox.fault_crash_between_publish_and_mark", published=published)
        os.kill(os.getpid(), signal.SIGKILL)

    async def _take_lock(self, session: AsyncSession) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        got = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
        return bool(got)
