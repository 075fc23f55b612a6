"""The satisfaction question (`domain.satisfaction`): asked when an operator resolves a
conversation, if the tenant turned it on (`AgentConfig.satisfaction_question`, off by default)
and the 24-hour window is open; the customer's tap is stored here and never reaches the
assistant.

The question is staged in the resolve's own transaction (under the conversation's row lock):
a resolve that changes nothing (already resolved) asks nothing, so one resolve is one question.
An answer claims its inbound event like any turn (a redelivery is ignored) and fills the
newest unanswered question of that customer; a second tap on the same list changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters import config_store, feed, repository
from bancone_agent.adapters.tables import (
    ConversationRecord,
    Direction,
    MessageRecord,
    SatisfactionRecord,
)
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.operators import SERVICE_WINDOW, window_open
from bancone_agent.domain.satisfaction import (
    Satisfaction,
    answer_score,
    question,
    summarise,
    wording,
)
from bancone_agent.paced_turns import INBOUND_CONSUMER
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessage, OutboundMessageRequested
from bancone_kit.logging import get_logger
from bancone_kit.messaging.outbox import stage

log = get_logger(__name__)

SOURCE = "agent"


async def ask_after_resolve(
    session: AsyncSession, conversation: ConversationRecord, operator_id: str, deps: AgentDeps
) -> None:
    """Stage the question, in the resolve's transaction, when the tenant wants it and the
    window is open."""
    tenant_id = conversation.tenant_id
    config = await config_store.get_active_config(
        session, tenant_id, fallback=deps.fallback_config(tenant_id), box=deps.config_box
    )
    if not config.satisfaction_question:
        return
    now = deps.clock()
    fields = {"tenant_id": tenant_id, "conversation_id": str(conversation.id)}
    if not window_open(conversation.last_inbound_at, now):
        log.info("satisfaction.skipped_outside_window", **fields)
        return
    customer = await repository.get_customer(session, tenant_id, conversation.customer_id)
    assert customer is not None, "a conversation's customer exists (foreign key)"
    language, words = wording(conversation.language or customer.language, config.default_language)
    content = question(words)
    event = OutboundMessageRequested.new(
        tenant_id=tenant_id,
        source=SOURCE,
        data=OutboundMessage(
            customer_id=customer.customer_id,
            to=customer.wa_id,
            to_user_id=None if customer.wa_id else customer.user_id,
            phone_number_id=conversation.phone_number_id,
            conversation_id=str(conversation.id),
            sender="ai",
            content=content,
        ),
    )
    stage(session, event)
    message = MessageRecord(
        tenant_id=tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="ai",
        kind="list",
        text=content.body,
        outbound_id=event.data.outbound_id,
        delivery_status="requested",
        created_at=now,
    )
    session.add(message)
    feed.stage_message(session, feed.MESSAGE_SENT, message)
    session.add(
        SatisfactionRecord(
            tenant_id=tenant_id,
            conversation_id=conversation.id,
            customer_id=customer.customer_id,
            outbound_id=event.data.outbound_id,
            language=language,
            operator_id=operator_id,
            asked_at=now,
        )
    )
    log.info("satisfaction.asked", language=language, **fields)


def is_answer(event: InboundMessageReceived) -> bool:
    """A tap on a row of the question (`csat:<n>`): stored, never answered by the assistant."""
    return event.data.kind == "message" and answer_score(event.data.content) is not None


async def record_answer(event: InboundMessageReceived, deps: AgentDeps) -> None:
    """Store the score on the customer's newest unanswered question (asked within the last
    24 hours); a tap with no such question is dropped (logged)."""
    score = answer_score(event.data.content)
    assert score is not None
    customer_id = event.data.customer.customer_id
    fields = {"tenant_id": event.tenant_id, "event_id": str(event.id), "score": score}
    async with repository.claim_all(deps.sessions, INBOUND_CONSUMER, [event.id]) as tx:
        if tx is None:
            log.info("satisfaction.duplicate_ignored", **fields)
            return
        asked = await tx.scalar(
            sa.select(SatisfactionRecord)
            .where(
                col(SatisfactionRecord.tenant_id) == event.tenant_id,
                col(SatisfactionRecord.customer_id) == customer_id,
                col(SatisfactionRecord.score).is_(None),
                col(SatisfactionRecord.asked_at) >= event.data.timestamp - SERVICE_WINDOW,
            )
            .order_by(col(SatisfactionRecord.asked_at).desc())
            .limit(1)
            .with_for_update()
        )
        if asked is None:
            log.info("satisfaction.answer_without_question", **fields)
            return
        asked.score = score
        asked.answered_at = event.data.timestamp
        asked.answer_wamid = event.data.message_id
    log.info("satisfaction.answered", conversation_id=str(asked.conversation_id), **fields)


async def satisfaction_by_day(
    session: AsyncSession, tenant_id: str, first: date, last: date
) -> dict[date, Satisfaction]:
    """Answers per day (UTC, by answer time) from `first` to `last`: count and average."""
    start = datetime.combine(first, day_start.min, tzinfo=UTC)
    end = datetime.combine(last, day_start.min, tzinfo=UTC) + timedelta(days=1)
    rows = await session.execute(
        sa.select(col(SatisfactionRecord.answered_at), col(SatisfactionRecord.score)).where(
            col(SatisfactionRecord.tenant_id) == tenant_id,
            col(SatisfactionRecord.answered_at) >= start,
            col(SatisfactionRecord.answered_at) < end,
            col(SatisfactionRecord.score).is_not(None),
        )
    )
    scores: dict[date, list[int]] = {}
    for answered_at, score in rows:
        if answered_at is not None and score is not None:
            scores.setdefault(answered_at.astimezone(UTC).date(), []).append(score)
    return {day: summarise(found) for day, found in scores.items()}


def split_answers(
    events: Sequence[InboundMessageReceived],
) -> tuple[list[InboundMessageReceived], list[InboundMessageReceived]]:
    """(the satisfaction answers, everything else) — in order."""
    answers = [e for e in events if is_answer(e)]
    return answers, [e for e in events if not is_answer(e)]
