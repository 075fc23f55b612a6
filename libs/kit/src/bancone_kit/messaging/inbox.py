"""Idempotent-consumer inbox: the processed event id is recorded in the consumer's own transaction.

A redelivered event finds its id already there and is a no-op; a crash before the commit rolls
back both the work and the id, so the redelivery does the work.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_kit.messaging.tables import InboxRecord, utcnow


def _insert_ignoring_duplicates(dialect: str, consumer: str, event_id: uuid.UUID) -> sa.Insert:
    values = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
    table = InboxRecord.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_nothing()
    raise RuntimeError(f"inbox: unsupported database dialect {dialect!r}")


@asynccontextmanager
async def claim(
    session_factory: async_sessionmaker[AsyncSession] | async_sessionmaker[AsyncSession],
    consumer: str,
    event_id: uuid.UUID,
) -> AsyncIterator[AsyncSession | None]:
    """Yield a session in a transaction that owns `event_id` for `consumer`, or None if done before.

    The transaction commits when the block exits normally and rolls back on an exception.
    """
    async with session_factory() as session, session.begin():
        dialect = session.get_bind().dialect.name
        result = await session.execute(_insert_ignoring_duplicates(dialect, consumer, event_id))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            yield None
            return
        yield session
