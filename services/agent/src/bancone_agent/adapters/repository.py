"""Reads and writes of customers, conversations and messages, always inside one tenant.

Rows that a redelivery or a concurrent consumer could create twice (a customer, their
conversation, an inbound wamid) are inserted with ON CONFLICT DO NOTHING and then read back,
so a second writer finds the first one's row instead of failing the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bancone_agent.adapters.tables import (
    AgentTable,
    AgentTurnRecord,
    ConversationRecord,
    CustomerRecord,
    MessageRecord,
)
from bancone_kit.messaging import inbox
from bancone_kit.messaging.tables import InboxRecord


def row_values(record: AgentTable) -> dict[str, Any]:
    """The column values of a not-yet-added record, defaults applied."""
    table: sa.Table = type(record).__table__  # type: ignore[attr-defined]
    return {column.name: getattr(record, column.name) for column in table.columns}


async def was_processed(session: AsyncSession, consumer: str, event_id: uuid.UUID) -> bool:
    """Whether `consumer` already committed its work for `event_id` (a cheap early exit)."""
    found = await session.scalar(
        sa.select(sa.literal(1)).where(
            col(InboxRecord.consumer) == consumer, col(InboxRecord.event_id) == event_id
        )
    )
    return found is not None


async def processed_event_ids(
    session: AsyncSession, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `event_ids` `consumer` already committed its work for."""
    if not event_ids:
        return set()
    found = await session.scalars(
        sa.select(col(InboxRecord.event_id)).where(
            col(InboxRecord.consumer) == consumer, col(InboxRecord.event_id).in_(event_ids)
        )
    )
    return set(found.all())


class PartialClaimError(Exception):
    """Some events of a turn were claimed by another consumer meanwhile: recompute the turn."""


@asynccontextmanager
async def claim_all(
    sessions: async_sessionmaker[AsyncSession], consumer: str, event_ids: Sequence[uuid.UUID]
) -> AsyncIterator[AsyncSession | None]:
    """`inbox.claim_many`, all or nothing, for the events of a turn: a session in a transaction
    owning every id, None when all were processed before; `PartialClaimError` (rolled back) when
    only some were. The first statement writes, so on SQLite this transaction is the single
    writer."""
    async with inbox.claim_many(sessions, consumer, event_ids) as (session, fresh):
        if not fresh:
            yield None
            return
        if len(fresh) != len(set(event_ids)):
            taken = len(set(event_ids)) - len(fresh)
            raise PartialClaimError(f"{taken} of the turn's events taken")
        yield session


async def recorded_wamids(session: AsyncSession, tenant_id: str, wamids: Sequence[str]) -> set[str]:
    """Which of these inbound wamids the tenant already has."""
    if not wamids:
        return set()
    found = await session.scalars(
        sa.select(col(MessageRecord.wamid)).where(
            col(MessageRecord.tenant_id) == tenant_id, col(MessageRecord.wamid).in_(wamids)
        )
    )
    return {w for w in found.all() if w is not None}


async def get_customer(
    session: AsyncSession, tenant_id: str, customer_id: str
) -> CustomerRecord | None:
    return await session.get(CustomerRecord, (tenant_id, customer_id))


async def find_conversation(
    session: AsyncSession, tenant_id: str, customer_id: str, *, for_update: bool = False
) -> ConversationRecord | None:
    """The customer's conversation; `for_update` locks it until commit (PostgreSQL) and reads
    it afresh even if this session loaded it before."""
    query = sa.select(ConversationRecord).where(
        col(ConversationRecord.tenant_id) == tenant_id,
        col(ConversationRecord.customer_id) == customer_id,
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def take_write_lock(session: AsyncSession) -> None:
    """Make this transaction SQLite's writer now, before it reads what it will write: a
    read-then-write transaction in WAL mode fails at once ("database is locked") when another
    writer committed after its first read. PostgreSQL needs nothing (row locks do it)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(sa.text("UPDATE inbox SET consumer = consumer WHERE 0"))


async def get_conversation(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID, *, for_update: bool = False
) -> ConversationRecord | None:
    """A conversation by id within the tenant; `for_update` as in `find_conversation`, and
    on SQLite it makes this transaction the writer first."""
    if for_update:
        await take_write_lock(session)
    query = sa.select(ConversationRecord).where(
        col(ConversationRecord.tenant_id) == tenant_id,
        col(ConversationRecord.id) == conversation_id,
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def find_outbound(
    session: AsyncSession, tenant_id: str, outbound_id: uuid.UUID
) -> MessageRecord | None:
    return await session.scalar(
        sa.select(MessageRecord).where(
            col(MessageRecord.tenant_id) == tenant_id,
            col(MessageRecord.outbound_id) == outbound_id,
        )
    )


async def turns_of(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID
) -> list[AgentTurnRecord]:
    """A conversation's run log, oldest first."""
    result = await session.scalars(
        sa.select(AgentTurnRecord)
        .where(
            col(AgentTurnRecord.tenant_id) == tenant_id,
            col(AgentTurnRecord.conversation_id) == conversation_id,
        )
        .order_by(col(AgentTurnRecord.created_at))
    )
    return list(result.all())


async def usage_by_outcome(
    session: AsyncSession, tenant_id: str, start: datetime, end: datetime
) -> dict[str, tuple[int, int, int, Decimal]]:
    """Per outcome: turns, prompt tokens, completion tokens and estimated cost of the tenant's
    turns created in [start, end)."""
    rows = await session.execute(
        sa.select(
            col(AgentTurnRecord.outcome),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(col(AgentTurnRecord.prompt_tokens)), 0),
            sa.func.coalesce(sa.func.sum(col(AgentTurnRecord.completion_tokens)), 0),
            sa.func.coalesce(sa.func.sum(col(AgentTurnRecord.estimated_cost)), 0),
        )
        .where(
            col(AgentTurnRecord.tenant_id) == tenant_id,
            col(AgentTurnRecord.created_at) >= start,
            col(AgentTurnRecord.created_at) < end,
        )
        .group_by(col(AgentTurnRecord.outcome))
    )
    return {
        outcome: (int(turns), int(prompt), int(completion), Decimal(str(cost)))
        for outcome, turns, prompt, completion, cost in rows.all()
    }


async def turn_facts(
    session: AsyncSession, tenant_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, uuid.UUID, str, int, Decimal]]:
    """(created at, conversation, outcome, tokens, cost) of the tenant's turns in [start, end)."""
    rows = await session.execute(
        sa.select(
            col(AgentTurnRecord.created_at),
            col(AgentTurnRecord.conversation_id),
            col(AgentTurnRecord.outcome),
            col(AgentTurnRecord.prompt_tokens) + col(AgentTurnRecord.completion_tokens),
            col(AgentTurnRecord.estimated_cost),
        ).where(
            col(AgentTurnRecord.tenant_id) == tenant_id,
            col(AgentTurnRecord.created_at) >= start,
            col(AgentTurnRecord.created_at) < end,
        )
    )
    return [
        (at, cid, outcome, int(tokens), Decimal(str(cost)))
        for at, cid, outcome, tokens, cost in rows.all()
    ]
