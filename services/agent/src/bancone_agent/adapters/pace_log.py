"""What the pace rule (`domain.pace`) reads: a customer's recent messages and slow-downs.

Both come from rows the agent keeps anyway (inbound messages, the run log), through the
indexes that lead with tenant and conversation — so the window survives restarts and is the
same whichever replica holds the conversation's partition.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters.tables import AgentTurnRecord, Direction, MessageRecord
from bancone_agent.domain.pace import PACE_ASSISTANT, RecentInbound
from bancone_agent.domain.run import TurnOutcome


async def recent_inbound(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID, since: datetime
) -> RecentInbound:
    """The conversation's customer messages stored after `since`, and its last slow-down (one
    statement: it is read on every turn, and again under the conversation's lock)."""
    received = (
        sa.select(sa.func.count())
        .where(
            col(MessageRecord.tenant_id) == tenant_id,
            col(MessageRecord.conversation_id) == conversation_id,
            col(MessageRecord.created_at) > since,
            col(MessageRecord.direction) == Direction.IN.value,
        )
        .scalar_subquery()
    )
    slowed_down_at = (
        sa.select(sa.func.max(col(AgentTurnRecord.created_at)))
        .where(
            col(AgentTurnRecord.tenant_id) == tenant_id,
            col(AgentTurnRecord.conversation_id) == conversation_id,
            col(AgentTurnRecord.created_at) > since,
            col(AgentTurnRecord.assistant) == PACE_ASSISTANT,
            col(AgentTurnRecord.outcome) == TurnOutcome.ANSWERED.value,
        )
        .scalar_subquery()
    )
    row = (await session.execute(sa.select(received, slowed_down_at))).one()
    return RecentInbound(int(row[0] or 0), row[1])
