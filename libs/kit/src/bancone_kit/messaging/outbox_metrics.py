"""Outbox backlog for Prometheus: how many staged events are unsent, and how old the oldest is.

Read at scrape time, cached for a few seconds. Why not a gauge the relay refreshes: the relay
wakes on every commit and at least once a second, so it would count the table far more often
than anyone looks, even with no scraper at all; a scrape-time query runs only when Prometheus
asks (every 15-30 s), and the TTL keeps several scrapers (HA Prometheus pairs, someone curling
`/metrics`) down to one query per TTL per database. The query reads only unsent rows through
the `ix_outbox_unsent (sent_at, seq)` index, so it costs as much as the backlog is long.

The age is computed when the collector is read, from the cached oldest `created_at`, so it
keeps growing between refreshes. A refresh that fails (database down, or slower than its
timeout) drops that database's samples until the next success: a stale number would say
"all is well" exactly when it is not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bancone_kit.logging import get_logger
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.metrics import on_scrape

log = get_logger(__name__)

DEFAULT_TTL_S = 5.0
DEFAULT_TIMEOUT_S = 2.0

_outbox: sa.Table = SQLModel.metadata.tables[str(OutboxRecord.__tablename__)]
_BACKLOG_QUERY = sa.select(sa.func.count(), sa.func.min(_outbox.c.created_at)).where(
    _outbox.c.sent_at.is_(None)
)


def database_label(engine: AsyncEngine) -> str:
    """A short, stable name for the engine's database (a SQLite file's name, not its path)."""
    name = engine.url.database or engine.url.drivername
    return Path(name).name if engine.dialect.name == "sqlite" else name


@dataclass
class _Source:
    engine: AsyncEngine
    ttl_s: float
    timeout_s: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    read_at: float | None = None
    """`time.monotonic()` of the last successful read; None = never, or the last one failed."""
    unsent: int = 0
    oldest: datetime | None = None

    async def refresh(self) -> None:
        async with self.lock:
            if self.read_at is not None and time.monotonic() - self.read_at < self.ttl_s:
                return
            try:
                async with asyncio.timeout(self.timeout_s), self.engine.connect() as conn:
                    count, oldest = (await conn.execute(_BACKLOG_QUERY)).one()
            except Exception:
                self.read_at = None
                raise
            self.unsent = int(count)
            self.oldest = oldest if oldest is None or oldest.tzinfo else oldest.replace(tzinfo=UTC)
            self.read_at = time.monotonic()


class OutboxBacklog(Collector):
    """Unsent outbox rows and the age of the oldest one, per watched database."""

    def __init__(self) -> None:
        self._sources: dict[str, _Source] = {}

    def watch(
        self,
        engine: AsyncEngine,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Report this engine's outbox (replacing an earlier engine of the same database)."""
        self._sources[database_label(engine)] = _Source(engine, ttl_s, timeout_s)

    def unwatch(self, engine: AsyncEngine) -> None:
        label = database_label(engine)
        source = self._sources.get(label)
        if source is not None and source.engine is engine:
            del self._sources[label]

    async def refresh(self) -> None:
        """Re-read every database whose cached values are older than its TTL."""
        sources = list(self._sources.items())
        results = await asyncio.gather(
            *(source.refresh() for _, source in sources), return_exceptions=True
        )
        for (label, _), result in zip(sources, results, strict=True):
            if isinstance(result, Exception):
                log.warning("outbox.backlog_unreadable", database=label, error=repr(result))

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        unsent, age = self._families()
        now = datetime.now(UTC)
        for label, source in list(self._sources.items()):
            if source.read_at is None:
                continue
            unsent.add_metric([label], source.unsent)
            oldest = source.oldest
            age.add_metric([label], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        return [unsent, age]

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        unsent = GaugeMetricFamily(
            "bancone_outbox_unsent_events",
            "Events staged in the outbox and not yet published to Kafka, by database.",
            labels=["database"],
        )
        age = GaugeMetricFamily(
            "bancone_outbox_oldest_unsent_age_seconds",
            "Age of the oldest unsent outbox event (0 when none), by database.",
            labels=["database"],
        )
        return unsent, age


OUTBOX_BACKLOG = OutboxBacklog()
REGISTRY.register(OUTBOX_BACKLOG)
on_scrape(OUTBOX_BACKLOG.refresh)


def watch_outbox(
    engine: AsyncEngine, *, ttl_s: float = DEFAULT_TTL_S, timeout_s: float = DEFAULT_TIMEOUT_S
) -> None:
    """Serve this engine's outbox backlog at `/metrics` (`Messaging.start` calls it)."""
    OUTBOX_BACKLOG.watch(engine, ttl_s=ttl_s, timeout_s=timeout_s)


def unwatch_outbox(engine: AsyncEngine) -> None:
    OUTBOX_BACKLOG.unwatch(engine)
