"""Operator use cases: take a conversation over, resolve it, look at it, sum a day's usage.

A takeover or resolution locks the conversation row and stages its `bancone.conversation.v1`
event in the same transaction — the lock a turn takes before staging a reply, so once a
takeover has committed no assistant reply can follow it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.adapters import repository
from bancone_agent.adapters.tables import AgentTurnRecord, ConversationRecord, MessageRecord
from bancone_agent.domain.conversation import Trigger
from bancone_agent.domain.run import TurnOutcome
from bancone_agent.handlers import change_state
from bancone_kit.logging import get_logger

log = get_logger(__name__)

COST_QUANTUM = Decimal("0.000001")
"""Costs are estimated to the millionth (the price table's own precision); plain, not 0E-8."""


@dataclass(frozen=True)
class StateChange:
    conversation: ConversationRecord
    changed: bool
    """False when the conversation already was where the action leads (idempotent)."""


async def takeover(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    conversation_id: uuid.UUID,
    operator_id: str,
    clock: Callable[[], datetime],
) -> StateChange | None:
    """An operator takes the conversation: the assistant falls silent from this commit on."""
    return await _act(sessions, tenant_id, conversation_id, Trigger.TAKEOVER, operator_id, clock)


async def resolve(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    conversation_id: uuid.UUID,
    operator_id: str,
    clock: Callable[[], datetime],
) -> StateChange | None:
    """Close the conversation; the customer's next message goes to the assistant again."""
    return await _act(sessions, tenant_id, conversation_id, Trigger.RESOLVE, operator_id, clock)


async def _act(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    conversation_id: uuid.UUID,
    trigger: Trigger,
    operator_id: str,
    clock: Callable[[], datetime],
) -> StateChange | None:
    async with sessions() as session, session.begin():
        conversation = await repository.get_conversation(
            session, tenant_id, conversation_id, for_update=True
        )
        if conversation is None:
            return None
        changed = change_state(
            session,
            conversation,
            trigger,
            actor="operator",
            operator_id=operator_id,
            now=clock(),
        )
    return StateChange(conversation, changed)


@dataclass(frozen=True)
class ConversationView:
    conversation: ConversationRecord
    messages: list[MessageRecord]
    turns: list[AgentTurnRecord]


async def conversation_view(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    conversation_id: uuid.UUID,
    *,
    last_messages: int = 50,
) -> ConversationView | None:
    async with sessions() as session:
        conversation = await repository.get_conversation(session, tenant_id, conversation_id)
        if conversation is None:
            return None
        messages = await repository.messages_of(
            session, tenant_id, conversation_id, last=last_messages
        )
        turns = await repository.turns_of(session, tenant_id, conversation_id)
    return ConversationView(conversation, messages, turns[-last_messages:])


@dataclass(frozen=True)
class Usage:
    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_cost: Decimal = Decimal("0")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.turns + other.turns,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated_cost + other.estimated_cost,
        )


@dataclass(frozen=True)
class DailyUsage:
    tenant_id: str
    day: date
    total: Usage
    by_outcome: dict[str, Usage]


async def daily_usage(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str, day: date
) -> DailyUsage:
    """The tenant's turns, tokens and estimated cost on `day` (UTC), in total and by outcome."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    async with sessions() as session:
        rows = await repository.usage_by_outcome(
            session, tenant_id, start, start + timedelta(days=1)
        )
    by_outcome = {outcome.value: Usage() for outcome in TurnOutcome}
    for outcome, (turns, prompt, completion, cost) in rows.items():
        by_outcome[outcome] = Usage(turns, prompt, completion, cost.quantize(COST_QUANTUM))
    total = sum(by_outcome.values(), Usage())
    return DailyUsage(tenant_id, day, total, by_outcome)
