"""Dead letters of the agent's inbound consumer: escalate, keep, list, replay.

A customer message the consumer gave up on (every retry failed) comes back from
`bancone.inbound.v1.dlq`. In one transaction that owns the DLQ record in the inbox (a
redelivered record is a no-op): the dead letter is kept (raw, error, attempts, source topic)
and, the first time this event dies, its conversation goes to people with the holding
message — so the same event seen twice, or dying again after a replay, escalates once.

Replay stages the original record again on its topic with the same event id. The turn
consumer then finds the event among the dead letters and records the message without
answering it: the customer already had the holding message, a replay never adds a reply.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

from bancone_agent.adapters import dead_letters, handoffs
from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.adapters.tables import DeadLetterRecord
from bancone_agent.domain.dead_letters import (
    DEAD_LETTER_ESCALATION,
    REPLAY_ALL_LIMIT,
    DeadLetterAlreadyReplayedError,
    DeadLetterNotFoundError,
    DeadLetterStatus,
    ListDeadLetters,
    ReplayDeadLetter,
    ReplayDeadLetters,
)
from bancone_contracts.events import EventDecodeError, parse_event
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_kit.messaging.dead_letter import DeadLetter

if TYPE_CHECKING:
    from bancone_agent.handlers import AgentDeps

log = get_logger(__name__)

DEAD_LETTER_CONSUMER: Final = consumer_group(
    "agent", InboundMessageReceived, dead_letters=True
).inbox
_UNDECODED = uuid.UUID("7f3e9b12-6c4d-5a0e-8b21-9d5f3a7c1e46")


def _decode(letter: DeadLetter) -> InboundMessageReceived | None:
    try:
        event = parse_event(InboundMessageReceived.topic, letter.payload)
    except (EventDecodeError, ValueError):
        return None
    return event if isinstance(event, InboundMessageReceived) else None


async def handle_inbound_dead_letter(letter: DeadLetter, deps: AgentDeps) -> None:
    """Keep the dead letter; the first time its event dies, escalate its conversation."""
    event = _decode(letter)
    tenant_id = event.tenant_id if event is not None else letter.tenant_id
    fields = {"tenant_id": tenant_id, "dlq_offset": letter.offset, "error": letter.error_type}
    if tenant_id is None:
        log.error("dead_letter.no_tenant", topic=letter.topic, **fields)
        return
    letter_id = event.id if event is not None else uuid.uuid5(_UNDECODED, str(letter.record_id))
    async with inbox.claim(deps.sessions, DEAD_LETTER_CONSUMER, letter.record_id) as tx:
        if tx is None:
            log.info("dead_letter.duplicate_record", **fields)
            return
        now = deps.clock()
        event_type = event.type if event is not None else None
        row, first = await dead_letters.record(tx, tenant_id, letter_id, letter, event_type, now)
        if not first or event is None:
            log.warning("dead_letter.recorded", first=first, decoded=event is not None, **fields)
            return
        config = await get_active_config(
            tx, tenant_id, fallback=deps.fallback_config(tenant_id), box=deps.config_box
        )
        reason = f"{DEAD_LETTER_ESCALATION}: {letter.error_type or 'error'}"
        done = await handoffs.escalate_dead_letter(tx, event, config, reason, now)
        row.conversation_id = done.conversation.id
    log.warning(
        "dead_letter.escalated",
        event_id=str(event.id),
        conversation_id=str(done.conversation.id),
        holding_message=done.holding is not None,
        **fields,
    )


async def list_dead_letters(command: ListDeadLetters, deps: AgentDeps) -> list[DeadLetterRecord]:
    """Newest failure first: one tenant's, or every tenant's for platform operators."""
    async with deps.sessions() as session:
        return await dead_letters.listed(session, command.tenant_id, command.status, command.limit)


async def replay_dead_letter(command: ReplayDeadLetter, deps: AgentDeps) -> DeadLetterRecord:
    """Publish one dead letter again; only a `dead` one (a replayed one is refused)."""
    async with deps.sessions() as session, session.begin():
        row = await dead_letters.get(
            session, command.tenant_id, command.dead_letter_id, for_update=True
        )
        if row is None:
            raise DeadLetterNotFoundError(command.dead_letter_id)
        if row.status != DeadLetterStatus.DEAD.value:
            raise DeadLetterAlreadyReplayedError(command.dead_letter_id)
        dead_letters.stage_replay(session, row, command.operator_id, deps.clock())
    log.info("dead_letter.replayed", tenant_id=row.tenant_id, dead_letter_id=str(row.id))
    return row


async def replay_dead_letters(
    command: ReplayDeadLetters, deps: AgentDeps
) -> list[DeadLetterRecord]:
    """Publish every `dead` dead letter of the tenant again, oldest first."""
    async with deps.sessions() as session, session.begin():
        rows = await dead_letters.listed(
            session,
            command.tenant_id,
            DeadLetterStatus.DEAD,
            REPLAY_ALL_LIMIT,
            oldest_first=True,
            for_update=True,
        )
        now = deps.clock()
        for row in rows:
            dead_letters.stage_replay(session, row, command.operator_id, now)
    log.info("dead_letter.replayed_all", tenant_id=command.tenant_id, count=len(rows))
    return rows
