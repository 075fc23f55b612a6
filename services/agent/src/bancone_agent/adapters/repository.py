"""Reads and writes of customers, conversations and messages, always inside one tenant.

Rows that a redelivery or a concurrent consumer could create twice (a customer, their
conversation, an inbound wamid) are inserted with ON CONFLICT DO NOTHING and then read back,
so a second writer finds the first one's row instead of failing the transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters.tables import (
    AgentTable,
    ConversationRecord,
    CustomerRecord,
    MessageRecord,
)
from bancone_kit.messaging.tables import InboxRecord


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[AgentTable], values: dict[str, Any]
) -> bool:
    """Insert a row unless a unique key already holds it; True when this call inserted it."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


async def get_customer(
    session: AsyncSession, tenant_id: str, customer_id: str
) -> CustomerRecord | None:
    return await session.get(CustomerRecord, (tenant_id, customer_id))


async def find_conversation(
    session: AsyncSession, tenant_id: str, customer_id: str, *, for_update: bool = False
) -> ConversationRecord | None:
    """The customer's conversation; `for_update` locks it until commit (PostgreSQL)."""
    query = sa.select(ConversationRecord).where(
        col(ConversationRecord.tenant_id) == tenant_id,
        col(ConversationRecord.customer_id) == customer_id,
    )
    if for_update:
        query = query.with_for_update()
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


async def messages_of(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID
) -> list[MessageRecord]:
    """A conversation's messages, oldest first."""
    result = await session.scalars(
        sa.select(MessageRecord)
        .where(
            col(MessageRecord.tenant_id) == tenant_id,
            col(MessageRecord.conversation_id) == conversation_id,
        )
        .order_by(col(MessageRecord.created_at), col(MessageRecord.direction))
    )
    return list(result.all())
