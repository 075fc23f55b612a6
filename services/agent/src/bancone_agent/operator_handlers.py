"""The operators' use cases on conversations: read them (filtered, paged), take over, assign,
reply, note, hand back, resolve, reopen; and the usage figures. Plain functions of
`(command, deps)`, registered in `handlers.COMMAND_HANDLERS`.

Every change locks the conversation row (`FOR UPDATE`) first — the lock an assistant turn
takes before staging its reply — so of two operators taking over, the second sees the first's
commit and is refused, and once a takeover has committed no assistant reply can follow it.
A human reply is staged on the outbox in the same transaction as its message row; the relay
publishes it on `bancone.outbound.v1` and the notifier sends it like any reply.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as day_start

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters import conversations, feed, inbox, repository
from bancone_agent.adapters.tables import (
    AgentTurnRecord,
    ConversationRecord,
    Direction,
    FeedEventRecord,
    MessageRecord,
)
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.commands import (
    AddNote,
    Assign,
    HandBack,
    ListConversations,
    ListMessages,
    ListTurns,
    ReadFeed,
    Reopen,
    Reply,
    Resolve,
    ShowConversation,
    SumDailyUsage,
    TakeOver,
    UsageByDay,
)
from bancone_agent.domain.conversation import Trigger
from bancone_agent.domain.events import human_reply_event
from bancone_agent.domain.operators import (
    ConversationNotFoundError,
    TemplateNeededError,
    check_takeover,
    check_text,
    check_writable,
    window_open,
)
from bancone_agent.domain.usage import (
    DailyUsage,
    DayUsage,
    TurnFacts,
    check_range,
    daily_series,
    daily_usage,
)
from bancone_agent.satisfaction_handlers import ask_after_resolve, satisfaction_by_day
from bancone_kit.logging import get_logger
from bancone_kit.messaging.outbox import stage

log = get_logger(__name__)


@dataclass(frozen=True)
class StateChange:
    conversation: ConversationRecord
    changed: bool
    """False when the conversation already was where the action leads (idempotent)."""


async def _locked(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID
) -> ConversationRecord:
    conversation = await repository.get_conversation(
        session, tenant_id, conversation_id, for_update=True
    )
    if conversation is None:
        raise ConversationNotFoundError("no such conversation in this tenant")
    return conversation


async def _act(
    tenant_id: str,
    conversation_id: uuid.UUID,
    trigger: Trigger,
    operator_id: str,
    deps: AgentDeps,
    after: Callable[[AsyncSession, ConversationRecord], Awaitable[None]] | None = None,
) -> StateChange:
    """Move the conversation; `after` runs in the same transaction when it did move."""
    async with deps.sessions() as session, session.begin():
        conversation = await _locked(session, tenant_id, conversation_id)
        if trigger is Trigger.TAKEOVER:
            check_takeover(conversation.state, conversation.assigned_to, operator_id)
        changed = conversations.change_state(
            session,
            conversation,
            trigger,
            actor="operator",
            operator_id=operator_id,
            now=deps.clock(),
        )
        if changed and after is not None:
            await after(session, conversation)
    return StateChange(conversation, changed)


async def take_over(command: TakeOver, deps: AgentDeps) -> StateChange:
    """An operator takes the conversation: the assistant falls silent from this commit on.
    Refused (`ConversationTakenError`) when another operator holds it already."""
    return await _act(
        command.tenant_id, command.conversation_id, Trigger.TAKEOVER, command.operator_id, deps
    )


async def resolve(command: Resolve, deps: AgentDeps) -> StateChange:
    """Close the conversation; the customer's next message goes to the assistant again.
    With the tenant's satisfaction question on, it is asked in the same transaction."""

    async def ask(session: AsyncSession, conversation: ConversationRecord) -> None:
        await ask_after_resolve(session, conversation, command.operator_id, deps)

    return await _act(
        command.tenant_id,
        command.conversation_id,
        Trigger.RESOLVE,
        command.operator_id,
        deps,
        after=ask,
    )


async def hand_back(command: HandBack, deps: AgentDeps) -> StateChange:
    """Give the conversation back to the assistant (it answers the next message)."""
    return await _act(
        command.tenant_id, command.conversation_id, Trigger.HANDBACK, command.operator_id, deps
    )


async def reopen(command: Reopen, deps: AgentDeps) -> StateChange:
    """Reopen a resolved conversation, held by the operator who reopens it."""
    return await _act(
        command.tenant_id, command.conversation_id, Trigger.REOPEN, command.operator_id, deps
    )


async def assign(command: Assign, deps: AgentDeps) -> StateChange:
    """Give the conversation to an operator, who holds it from now on (the assistant is
    silent); a conversation held by someone else changes hands (an explicit assignment)."""
    async with deps.sessions() as session, session.begin():
        conversation = await _locked(session, command.tenant_id, command.conversation_id)
        check_writable(conversation.state)
        now = deps.clock()
        changed = conversations.change_state(
            session,
            conversation,
            Trigger.TAKEOVER,
            actor="operator",
            operator_id=command.operator_id,
            reason=f"assigned by {command.assigned_by}"[:200],
            now=now,
        )
        if not changed and conversation.assigned_to != command.operator_id:
            conversation.assigned_to = command.operator_id
            conversation.operator_id = command.operator_id
            conversation.updated_at = now
            feed.stage_conversation(session, conversation, None)
            changed = True
    return StateChange(conversation, changed)


@dataclass(frozen=True)
class Sent:
    message: MessageRecord
    took_over: bool


async def reply(command: Reply, deps: AgentDeps) -> Sent:
    """Stage an operator's text to the customer. Refused on a resolved conversation, one
    another operator holds, or when the 24-hour window is closed (a template is needed):
    nothing is staged then. A conversation not yet held is taken over by the replying
    operator in the same transaction, so the assistant cannot answer over them."""
    text = check_text(command.text)
    async with deps.sessions() as session, session.begin():
        conversation = await _locked(session, command.tenant_id, command.conversation_id)
        check_writable(conversation.state)
        check_takeover(conversation.state, conversation.assigned_to, command.operator_id)
        now = deps.clock()
        if not window_open(conversation.last_inbound_at, now):
            raise TemplateNeededError(conversation.last_inbound_at)
        customer = await repository.get_customer(
            session, command.tenant_id, conversation.customer_id
        )
        assert customer is not None, "a conversation's customer exists (foreign key)"
        took_over = conversations.change_state(
            session,
            conversation,
            Trigger.TAKEOVER,
            actor="operator",
            operator_id=command.operator_id,
            now=now,
        )
        event = human_reply_event(
            command.tenant_id,
            conversation.id,
            (customer.customer_id, customer.wa_id, customer.user_id),
            conversation.phone_number_id,
            command.operator_id,
            text,
        )
        stage(session, event)
        message = MessageRecord(
            tenant_id=command.tenant_id,
            conversation_id=conversation.id,
            direction=Direction.OUT.value,
            sender="human",
            operator_id=command.operator_id,
            kind="text",
            text=text,
            outbound_id=event.data.outbound_id,
            delivery_status="requested",
            created_at=now,
        )
        session.add(message)
        feed.stage_message(session, feed.MESSAGE_SENT, message)
        conversation.updated_at = now
    log.info(
        "reply.human_staged",
        tenant_id=command.tenant_id,
        conversation_id=str(command.conversation_id),
        outbound_id=str(event.data.outbound_id),
        operator_id=command.operator_id,
    )
    return Sent(message, took_over)


async def add_note(command: AddNote, deps: AgentDeps) -> MessageRecord:
    """Keep an operators' note in the conversation; it is never sent."""
    text = check_text(command.text)
    async with deps.sessions() as session, session.begin():
        conversation = await _locked(session, command.tenant_id, command.conversation_id)
        note = MessageRecord(
            tenant_id=command.tenant_id,
            conversation_id=conversation.id,
            direction=Direction.OUT.value,
            sender="human",
            operator_id=command.operator_id,
            kind="note",
            text=text,
            is_note=True,
            created_at=deps.clock(),
        )
        session.add(note)
        feed.stage_message(session, feed.NOTE_ADDED, note)
    return note


# --- reads ----------------------------------------------------------------------------------


async def list_conversations(
    command: ListConversations, deps: AgentDeps
) -> tuple[list[inbox.ConversationRow], str | None]:
    """A page of the tenant's conversations (waiting for a person first) and the next cursor."""
    wanted = inbox.ConversationFilter(
        states=command.states,
        assigned_to=command.assigned_to,
        customer=command.customer,
        text=command.text,
        since=command.since,
        until=command.until,
    )
    async with deps.sessions() as session:
        return await inbox.list_conversations(
            session, command.tenant_id, wanted, command.limit, command.cursor
        )


async def show_conversation(command: ShowConversation, deps: AgentDeps) -> inbox.ConversationRow:
    async with deps.sessions() as session:
        found = await inbox.conversation_row(session, command.tenant_id, command.conversation_id)
    if found is None:
        raise ConversationNotFoundError("no such conversation in this tenant")
    return found


async def list_messages(
    command: ListMessages, deps: AgentDeps
) -> tuple[list[MessageRecord], str | None]:
    """A conversation's messages and notes, newest first, and the next page's cursor."""
    async with deps.sessions() as session:
        if (
            await repository.get_conversation(session, command.tenant_id, command.conversation_id)
            is None
        ):
            raise ConversationNotFoundError("no such conversation in this tenant")
        return await inbox.messages_page(
            session, command.tenant_id, command.conversation_id, command.limit, command.cursor
        )


async def list_turns(command: ListTurns, deps: AgentDeps) -> list[AgentTurnRecord]:
    """The run log of a conversation, oldest first."""
    async with deps.sessions() as session:
        if (
            await repository.get_conversation(session, command.tenant_id, command.conversation_id)
            is None
        ):
            raise ConversationNotFoundError("no such conversation in this tenant")
        return await repository.turns_of(session, command.tenant_id, command.conversation_id)


async def sum_daily_usage(command: SumDailyUsage, deps: AgentDeps) -> DailyUsage:
    """The tenant's turns, tokens and estimated cost on the day (UTC), in total and by outcome."""
    start = datetime.combine(command.day, day_start.min, tzinfo=UTC)
    async with deps.sessions() as session:
        rows = await repository.usage_by_outcome(
            session, command.tenant_id, start, start + timedelta(days=1)
        )
    return daily_usage(command.tenant_id, command.day, rows)


async def read_feed(command: ReadFeed, deps: AgentDeps) -> list[FeedEventRecord]:
    """The tenant's feed events after `command.after`, in order."""
    async with deps.sessions() as session:
        return await feed.events_after(session, command.tenant_id, command.after, command.limit)


async def feed_position(tenant_id: str, deps: AgentDeps) -> int:
    """The newest number of the tenant's feed: a new stream starts after it."""
    async with deps.sessions() as session:
        return await feed.last_seq(session, tenant_id)


async def usage_by_day(command: UsageByDay, deps: AgentDeps) -> list[DayUsage]:
    """Per day (UTC) from `first` to `last`: conversations, auto-answered vs handed off,
    turns, tokens and estimated cost, for the console's charts."""
    check_range(command.first, command.last)
    start = datetime.combine(command.first, day_start.min, tzinfo=UTC)
    end = datetime.combine(command.last, day_start.min, tzinfo=UTC) + timedelta(days=1)
    async with deps.sessions() as session:
        rows = await repository.turn_facts(session, command.tenant_id, start, end)
        rated = await satisfaction_by_day(session, command.tenant_id, command.first, command.last)
    facts = [
        TurnFacts(at.astimezone(UTC).date(), str(cid), outcome, tokens, cost)
        for at, cid, outcome, tokens, cost in rows
    ]
    return daily_series(command.first, command.last, facts, rated)
