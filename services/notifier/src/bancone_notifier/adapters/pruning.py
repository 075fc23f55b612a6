"""Deletes of rows no reader needs any more (the sweeper's queries), in bounded batches so a
big backlog never holds one long transaction.

- `inbound_seen`: only a reply quoting a customer message reads it, within seconds of the
  message (`consent_handlers.await_quoted_inbound`); the 24-hour window reads
  `customer_windows`, not this table. Rows recorded before the retention go.
- `pacing_pairs`: a pair whose `next_at` and `blocked_until` are both past behaves exactly
  like a pair with no row (the pacer's upsert inserts it ready), so it goes. A concurrent
  send that moves the row forward wins: the delete's condition is re-checked on the newer
  row (PostgreSQL; on SQLite the writers are serialised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_notifier.adapters.tables import InboundSeenRecord, PacingPairRecord

_SEEN: sa.Table = InboundSeenRecord.__table__  # type: ignore[attr-defined]
_PAIRS: sa.Table = PacingPairRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Pruned:
    inbound_seen: int = 0
    pacing_pairs: int = 0


async def _delete_batch(
    sessions: async_sessionmaker[AsyncSession],
    table: sa.Table,
    keys: tuple[str, str],
    condition: sa.ColumnElement[bool],
    batch_size: int,
) -> int:
    key_columns = [table.c[name] for name in keys]
    chosen = sa.select(*key_columns).where(condition).limit(batch_size)
    statement = sa.delete(table).where(sa.tuple_(*key_columns).in_(chosen), condition)
    async with sessions() as session, session.begin():
        result = await (await session.connection()).execute(statement)
    return int(result.rowcount or 0)


async def _delete_all(
    sessions: async_sessionmaker[AsyncSession],
    table: sa.Table,
    keys: tuple[str, str],
    condition: sa.ColumnElement[bool],
    batch_size: int,
) -> int:
    total = 0
    while True:
        deleted = await _delete_batch(sessions, table, keys, condition, batch_size)
        total += deleted
        if deleted < batch_size:
            return total


async def prune(
    sessions: async_sessionmaker[AsyncSession],
    *,
    inbound_seen_before: datetime,
    pairs_idle_before: float,
    batch_size: int = 5000,
) -> Pruned:
    """Delete `inbound_seen` rows recorded before `inbound_seen_before` and pacing pairs
    neither spaced nor blocked after `pairs_idle_before` (epoch seconds, the pacer's clock)."""
    seen = await _delete_all(
        sessions,
        _SEEN,
        ("tenant_id", "message_id"),
        _SEEN.c.recorded_at < inbound_seen_before,
        batch_size,
    )
    pairs = await _delete_all(
        sessions,
        _PAIRS,
        ("phone_number_id", "customer_id"),
        sa.and_(_PAIRS.c.next_at < pairs_idle_before, _PAIRS.c.blocked_until < pairs_idle_before),
        batch_size,
    )
    return Pruned(inbound_seen=seen, pacing_pairs=pairs)
