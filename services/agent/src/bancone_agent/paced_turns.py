"""The customer's pace in a turn (`domain.pace`): one slow-down reply, then quiet for a window.

A customer writing faster than the shop's `inbound_per_minute` gets one slow-down reply instead
of an answer, then silence until a minute has passed since it; the messages are stored all the
same (operators see them) and the run log says the pace rule decided (assistant `pace`). The
window is read from the agent's own rows and re-decided under the conversation's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.adapters import conversations, pace_log, repository
from bancone_agent.domain.conversation import ConversationState, Trigger, held_by_people
from bancone_agent.domain.events import turn_log
from bancone_agent.domain.pace import (
    PACE_ASSISTANT,
    Pace,
    RecentInbound,
    inbound_limit,
    pace_of,
    slow_down_reply,
    window_of,
)
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.domain.turn import Draft, Plan
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger

log = get_logger(__name__)

INBOUND_CONSUMER: Final = consumer_group("agent", InboundMessageReceived).inbox
"""The inbox of inbound turns: the agent's declared consumer group of inbound messages."""


class ReplanError(Exception):
    """The conversation or the inbox changed between plan and commit: compute again."""


def log_fields(event: InboundMessageReceived) -> dict[str, str]:
    return {"tenant_id": event.tenant_id, "event_id": str(event.id), "wamid": event.data.message_id}


async def pace_for(
    session: AsyncSession, plan: Plan | None, now: datetime, *, new_conversation: bool
) -> Pace | None:
    """The pace rule's decision for a turn the assistant would answer; None when it has no
    say (nothing new to answer, or people hold the conversation: those turns stay muted).
    A `new_conversation` (not stored before this turn) has no rows to read: nothing is."""
    if plan is None or not plan.speaking or held_by_people(plan.state):
        return None
    limit = inbound_limit(plan.config.inbound_per_minute)
    since = now - window_of(limit)
    recent = (
        RecentInbound(received=0, slowed_down_at=None)
        if new_conversation
        else await pace_log.recent_inbound(session, plan.tenant_id, plan.conversation_id, since)
    )
    return pace_of(limit, recent, len(plan.fresh), now)


async def commit_paced(
    plan: Plan,
    pace: Pace,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
) -> None:
    """Store the turn's messages (operators see them all) with the slow-down reply or none,
    and a run-log row by the pace rule; re-decided under the conversation's lock."""
    async with repository.claim_all(sessions, INBOUND_CONSUMER, plan.event_ids) as tx:
        if tx is None:
            log.info(
                "inbound.duplicate_event", tenant_id=plan.tenant_id, events=len(plan.event_ids)
            )
            return
        now = clock()
        last = plan.last
        await conversations.save_customer(tx, last, now, None)
        conversation, created = await conversations.open_conversation(tx, plan, now)
        state = ConversationState(conversation.state)
        repaced = await pace_for(tx, plan, now, new_conversation=created)
        if held_by_people(state) or repaced is not pace:
            raise ReplanError("the conversation or the customer's pace changed meanwhile")
        for incoming in plan.fresh:
            if not await conversations.record_inbound(tx, incoming, conversation, now):
                raise ReplanError(f"wamid {incoming.event.data.message_id} recorded meanwhile")
        if state is ConversationState.RESOLVED:
            conversations.change_state(
                tx, conversation, Trigger.CUSTOMER_MESSAGE, actor="customer", now=now
            )
        outcome, language = TurnOutcome.MUTED, None
        if pace is Pace.SLOW_DOWN:
            texts = [i.text for i in plan.speaking if i.text]
            previous = conversation.language or plan.language
            language, text = slow_down_reply(texts, previous, plan.config.default_language)
            conversations.record_reply(tx, last, conversation, text, language, now)
            outcome = TurnOutcome.ANSWERED
        run = TurnRun(assistant=PACE_ASSISTANT, outcome=outcome)
        entry = turn_log(
            plan, Draft(run=run, language=language), conversation.id, outcome, None, now
        )
        conversations.record_turn(tx, entry)
    log.info("inbound.paced", pace=pace.value, messages=len(plan.fresh), **log_fields(last))
