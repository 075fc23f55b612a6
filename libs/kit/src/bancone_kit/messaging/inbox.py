"""Idempotent-consumer inbox: the processed event id is recorded in the consumer's own transaction.

A redelivered event finds its id already there and is a no-op; a crash before the commit rolls
back both the work and the id, so the redelivery does the work.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict, insert_ignoring_conflict_statement
from bancone_kit.messaging.tables import InboxRecord


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
        values = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
        if not await insert_ignoring_conflict(session, InboxRecord, values):
            yield None
            return
        yield session


@asynccontextmanager
async def claim_many(
    session_factory: async_sessionmaker[AsyncSession],
    consumer: str,
    event_ids: Sequence[uuid.UUID],
) -> AsyncIterator[tuple[AsyncSession, set[uuid.UUID]]]:
    """`claim` for a batch of events in one transaction and one statement: the session and the
    ids this consumer had not processed before (the caller handles only those). Commits when
    the block exits normally, rolls back (every claim included) on an exception."""
    async with session_factory() as session, session.begin():
        fresh: set[uuid.UUID] = set()
        if event_ids:
            connection = await session.connection()
            now = utcnow()
            values = [
                {"consumer": consumer, "event_id": event_id, "processed_at": now}
                for event_id in dict.fromkeys(event_ids)
            ]
            table = InboxRecord.__table__  # type: ignore[attr-defined]
            statement = insert_ignoring_conflict_statement(
                connection.dialect.name, table, values
            ).returning(table.c.event_id)
            fresh = set((await connection.execute(statement)).scalars())
        yield session, fresh
