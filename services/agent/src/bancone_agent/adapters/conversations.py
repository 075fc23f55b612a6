"""Reads and writes of the agent's conversations. Reads: what a turn starts from, what an
operator looks at. Writes and state changes, inside a transaction the
caller owns (`repository.claim_all`, `inbox.claim` or `session.begin()`): the customer, the
conversation and its state, the messages in and out, the run log and delivery statuses —
each event that announces a change staged in the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters import feed, repository
from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.adapters.tables import (
    AgentTurnRecord,
    ConversationMemoryRecord,
    ConversationRecord,
    CustomerRecord,
    Direction,
    MessageRecord,
)
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.conversation import ConversationState, Trigger, move
from bancone_agent.domain.delivery import advances, delivery_error, needs_template
from bancone_agent.domain.events import (
    Actor,
    TurnLog,
    conversation_event,
    reply_event,
    turn_completed_event,
)
from bancone_agent.domain.memory import Memory
from bancone_agent.domain.operators import delivery_label
from bancone_agent.domain.turn import Incoming, Plan
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import (
    OutboundButtons,
    OutboundMessageRequested,
    OutboundText,
    ReplyButton,
)
from bancone_kit.crypto import SecretBox
from bancone_kit.db.conflicts import dialect_insert, insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_kit.messaging.outbox import stage

log = get_logger(__name__)


async def read_plan(
    session: AsyncSession,
    consumer: str,
    events: Sequence[InboundMessageReceived],
    fallback_config: Callable[[str], AgentConfig],
    config_box: SecretBox,
) -> Plan | None:
    """What a turn starts from, read without locks: which events are new (None when none is),
    which of them repeat a recorded wamid, the conversation's state and the tenant's config."""
    unique = list({e.id: e for e in events}.values())
    tenant_id = unique[0].tenant_id
    customer_id = unique[0].data.customer.customer_id
    done = await repository.processed_event_ids(session, consumer, [e.id for e in unique])
    new = [e for e in unique if e.id not in done]
    for event in unique:
        if event.id in done:
            log.info("inbound.duplicate_event", **_fields(event))
    if not new:
        return None
    recorded = await repository.recorded_wamids(
        session, tenant_id, [e.data.message_id for e in new]
    )
    fresh: list[Incoming] = []
    repeats: list[InboundMessageReceived] = []
    seen: set[str] = set(recorded)
    for event in new:
        if event.data.message_id in seen:
            repeats.append(event)
            log.info("inbound.duplicate_wamid", **_fields(event))
        else:
            seen.add(event.data.message_id)
            fresh.append(Incoming.of(event))
    known = await repository.find_conversation(session, tenant_id, customer_id)
    config = await get_active_config(
        session, tenant_id, fallback=fallback_config(tenant_id), box=config_box
    )
    return Plan(
        tenant_id=tenant_id,
        customer_id=customer_id,
        fresh=tuple(fresh),
        repeats=tuple(repeats),
        conversation_id=known.id if known is not None else uuid.uuid4(),
        state=ConversationState(known.state) if known is not None else ConversationState.BOT,
        language=known.language if known is not None else None,
        failed_turns=known.failed_turns if known is not None else 0,
        config=config,
        memory=await load_memory(session, tenant_id, known.id) if known is not None else Memory(),
        new_conversation=known is None,
    )


async def load_memory(session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID) -> Memory:
    """The conversation's memory (empty for a new one or one never remembered)."""
    record = await session.get(ConversationMemoryRecord, (tenant_id, conversation_id))
    return Memory.model_validate(record.memory) if record is not None else Memory()


async def save_memory(
    tx: AsyncSession, tenant_id: str, conversation_id: uuid.UUID, memory: Memory, now: datetime
) -> None:
    """Store the conversation's memory after a turn, in the turn's transaction (one upsert: the
    turn holds the conversation, so nothing else writes this row meanwhile)."""
    table: sa.Table = ConversationMemoryRecord.__table__  # type: ignore[attr-defined]
    connection = await tx.connection()
    values = {
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "memory": memory.model_dump(mode="json"),
        "updated_at": now,
    }
    upsert = dialect_insert(connection.dialect.name, table).values(values)
    await connection.execute(
        upsert.on_conflict_do_update(
            index_elements=["tenant_id", "conversation_id"],
            set_={"memory": upsert.excluded.memory, "updated_at": upsert.excluded.updated_at},
        )
    )


def _fields(event: InboundMessageReceived) -> dict[str, str]:
    return {"tenant_id": event.tenant_id, "event_id": str(event.id), "wamid": event.data.message_id}


async def save_customer(
    tx: AsyncSession, event: InboundMessageReceived, now: datetime, language: str | None
) -> CustomerRecord:
    who = event.data.customer
    customer = await repository.get_customer(tx, event.tenant_id, who.customer_id)
    if customer is None:  # first message: insert, unless another writer just did
        new = CustomerRecord(
            tenant_id=event.tenant_id,
            customer_id=who.customer_id,
            wa_id=who.wa_id,
            user_id=who.user_id,
            profile_name=who.profile_name,
            language=language,
            created_at=now,
            updated_at=now,
        )
        await insert_ignoring_conflict(tx, CustomerRecord, repository.row_values(new))
        customer = await repository.get_customer(tx, event.tenant_id, who.customer_id)
    assert customer is not None, "just inserted or already there"
    changes = {
        "wa_id": who.wa_id or customer.wa_id,
        "user_id": who.user_id or customer.user_id,
        "profile_name": who.profile_name or customer.profile_name,
        "language": language or customer.language,
    }
    if any(getattr(customer, name) != value for name, value in changes.items()):
        for name, value in changes.items():
            setattr(customer, name, value)
        customer.updated_at = now
    return customer


async def open_conversation(
    tx: AsyncSession, plan: Plan, now: datetime
) -> tuple[ConversationRecord, bool]:
    """The customer's conversation, created on their first message and locked until commit
    (its state read fresh under the lock); True when this call created it (its `opened`
    event is staged then)."""
    last = plan.last.data
    conversation, created = await lock_conversation(
        tx, plan.tenant_id, plan.customer_id, last.phone_number_id, now, new_id=plan.conversation_id
    )
    newest = max(i.event.data.timestamp for i in plan.fresh)
    if conversation.last_inbound_at is None or conversation.last_inbound_at < newest:
        conversation.last_inbound_at = newest
    return conversation, created


async def lock_conversation(
    tx: AsyncSession,
    tenant_id: str,
    customer_id: str,
    phone_number_id: str,
    now: datetime,
    *,
    new_id: uuid.UUID | None = None,
) -> tuple[ConversationRecord, bool]:
    """The customer's conversation (the customer row must exist), created if need be and
    locked until commit; True when created (its `opened` event is staged then)."""
    created = False
    conversation = await repository.find_conversation(tx, tenant_id, customer_id, for_update=True)
    if conversation is None:  # insert, unless another writer just did (then lock theirs)
        new = ConversationRecord(
            tenant_id=tenant_id,
            id=new_id or uuid.uuid4(),
            customer_id=customer_id,
            phone_number_id=phone_number_id,
            opened_at=now,
            updated_at=now,
            state_changed_at=now,
        )
        values = repository.row_values(new)
        created = await insert_ignoring_conflict(tx, ConversationRecord, values)
        conversation = await repository.find_conversation(
            tx, tenant_id, customer_id, for_update=True
        )
    assert conversation is not None, "just inserted or already there"
    conversation.phone_number_id = phone_number_id
    conversation.updated_at = now
    if created:
        opened = conversation_event(
            conversation.tenant_id,
            conversation.id,
            conversation.customer_id,
            "opened",
            actor="customer",
            reason=None,
            operator_id=None,
            now=now,
        )
        stage(tx, opened)
    return conversation, created


async def record_inbound(
    tx: AsyncSession, incoming: Incoming, conversation: ConversationRecord, now: datetime
) -> bool:
    """Store the message; False when its wamid is already stored (same message, new event)."""
    event = incoming.event
    record = MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.IN.value,
        sender="customer",
        kind=incoming.kind.value,
        text=incoming.text,
        wamid=event.data.message_id,
        event_id=event.id,
        occurred_at=event.data.timestamp,
        created_at=now,
    )
    inserted = await insert_ignoring_conflict(tx, MessageRecord, repository.row_values(record))
    if inserted:
        feed.stage_message(tx, feed.MESSAGE_RECEIVED, record)
    return inserted


def change_state(
    tx: AsyncSession,
    conversation: ConversationRecord,
    trigger: Trigger,
    *,
    actor: Actor,
    reason: str | None = None,
    operator_id: str | None = None,
    now: datetime,
) -> bool:
    """Move a conversation LOCKED in `tx` and stage the event announcing the move (the state
    machine says which moves have one); True when the state changed."""
    step = move(conversation.state, trigger)
    if step.transition is None:
        return False
    conversation.state = step.state.value
    conversation.state_changed_at = now
    conversation.updated_at = now
    if step.state is ConversationState.WAITING_FOR_HUMAN:
        conversation.escalation_reason = reason
    elif step.state is ConversationState.BOT:
        conversation.escalation_reason = None
    if operator_id is not None:
        conversation.operator_id = operator_id
    if step.state is ConversationState.HUMAN:
        conversation.assigned_to = operator_id
    elif step.state is not ConversationState.WAITING_FOR_HUMAN:
        conversation.assigned_to = None
    conversation.failed_turns = 0
    feed.stage_conversation(tx, conversation, step.transition)
    event = conversation_event(
        conversation.tenant_id,
        conversation.id,
        conversation.customer_id,
        step.transition,
        actor=actor,
        reason=reason,
        operator_id=operator_id,
        now=now,
    )
    stage(tx, event)
    log.info(
        "conversation.changed",
        tenant_id=conversation.tenant_id,
        conversation_id=str(conversation.id),
        transition=step.transition,
        state=step.state.value,
        reason=reason,
        actor=actor,
    )
    return True


def record_reply(
    tx: AsyncSession,
    event: InboundMessageReceived,
    conversation: ConversationRecord,
    text: str,
    language: str,
    now: datetime,
    *,
    outbound: OutboundMessageRequested | None = None,
    buttons: tuple[ReplyButton, ...] = (),
) -> OutboundMessageRequested:
    """Stage the reply to `event` (`outbound`, else the turn's reply with `text` and its
    `buttons`) and keep it among the conversation's messages (with its body text)."""
    outbound = outbound or reply_event(event, conversation.id, text, buttons)
    stage(tx, outbound)
    content = outbound.data.content
    message = MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="ai",
        kind=content.kind,
        text=content.body if isinstance(content, OutboundText | OutboundButtons) else None,
        language=language,
        outbound_id=outbound.data.outbound_id,
        event_id=event.id,
        reply_to=outbound.data.reply_to,
        delivery_status="requested",
        created_at=now,
    )
    tx.add(message)
    feed.stage_message(tx, feed.MESSAGE_SENT, message)
    conversation.language = language
    conversation.updated_at = now
    return outbound


def record_turn(tx: AsyncSession, entry: TurnLog) -> None:
    """The run-log row of a turn and its `agent.turn.completed` event, in the transaction of
    the reply (or the silence) they describe."""
    tx.add(
        AgentTurnRecord(
            tenant_id=entry.tenant_id,
            id=entry.id,
            conversation_id=entry.conversation_id,
            config_version=entry.config_version,
            assistant=entry.assistant,
            model=entry.model,
            prompt_tokens=entry.prompt_tokens,
            completion_tokens=entry.completion_tokens,
            estimated_cost=entry.estimated_cost,
            latency_ms=entry.latency_ms,
            tool_calls=entry.tool_calls,
            guard_findings=entry.guard_findings,
            outcome=entry.outcome,
            escalation_reason=entry.escalation_reason,
            error=entry.error,
            message_ids=entry.message_ids,
            created_at=entry.created_at,
        )
    )
    stage(tx, turn_completed_event(entry))


@dataclass(frozen=True)
class RecordedDelivery:
    message: MessageRecord
    failed_now: bool
    """This event moved the message to `failed` (a repeated failure report does not)."""


async def record_delivery(tx: AsyncSession, event: DeliveryUpdated) -> RecordedDelivery | None:
    """Note on our outbound message what the notifier reports; None when it is not ours."""
    result = event.data
    row = await repository.find_outbound(tx, event.tenant_id, result.outbound_id)
    if row is None:
        return None
    failed_now = False
    if result.wamid and not row.wamid:
        row.wamid = result.wamid
    if advances(row.delivery_status, result.status):
        row.delivery_status = result.status
        row.delivery_updated_at = result.occurred_at or event.time
        if result.status == "failed":
            row.delivery_error = delivery_error(result.error_code, result.error_title)
            failed_now = True
        status = {
            "id": str(row.id),
            "delivery_status": delivery_label(row.delivery_status),
            "delivery_error": row.delivery_error,
            "template_needed": needs_template(row.delivery_status, row.delivery_error),
        }
        feed.stage(tx, row.tenant_id, feed.MESSAGE_STATUS, row.conversation_id, status)
    return RecordedDelivery(row, failed_now)
