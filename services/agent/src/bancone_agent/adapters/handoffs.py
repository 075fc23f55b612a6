"""Hand-offs that do not come from a turn: a customer message the agent gave up on (dead
letter), the owner answering from the WhatsApp Business app (echo), and an assistant reply
that did not reach the customer (failed or outcome unknown). Both run inside a
transaction the caller owns, lock the conversation row like a turn does, and stage their
events in the outbox of that transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters import repository
from bancone_agent.adapters.conversations import (
    change_state,
    lock_conversation,
    record_reply,
    save_customer,
)
from bancone_agent.adapters.tables import ConversationRecord, CustomerRecord, Direction
from bancone_agent.adapters.tables import MessageRecord as Message
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.conversation import ConversationState, Trigger
from bancone_agent.domain.escalation import holding_message
from bancone_agent.domain.events import dead_letter_holding_event
from bancone_agent.domain.language import detect_language
from bancone_contracts.events.inbound import InboundMessageReceived, TextContent
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.whatsapp_update import BusinessEcho
from bancone_kit.db.conflicts import insert_ignoring_conflict

BUSINESS_APP_OPERATOR = "business_app"
"""The operator id of a takeover by the owner answering from the WhatsApp Business app."""


@dataclass(frozen=True)
class DeadLetterEscalation:
    conversation: ConversationRecord
    holding: OutboundMessageRequested | None
    """The holding message staged; None when people already had the conversation (the
    assistant would have been silent anyway)."""


async def escalate_dead_letter(
    tx: AsyncSession,
    event: InboundMessageReceived,
    config: AgentConfig,
    reason: str,
    now: datetime,
) -> DeadLetterEscalation:
    """The customer's conversation goes to people and the customer is told a person will
    answer, in their language. Reads only the envelope's plain fields: whatever made the
    turn fail must not make this fail too."""
    customer = await save_customer(tx, event, now, None)
    conversation, _ = await lock_conversation(
        tx, event.tenant_id, customer.customer_id, event.data.phone_number_id, now
    )
    moved = change_state(
        tx, conversation, Trigger.ESCALATE, actor="system", reason=reason[:200], now=now
    )
    if not moved:
        return DeadLetterEscalation(conversation, None)
    language = _language(event, conversation, customer, config)
    text = holding_message(config, language, now)
    holding = dead_letter_holding_event(event, conversation.id, text)
    record_reply(tx, event, conversation, text, language, now, outbound=holding)
    return DeadLetterEscalation(conversation, holding)


def _language(
    event: InboundMessageReceived,
    conversation: ConversationRecord,
    customer: CustomerRecord,
    config: AgentConfig,
) -> str:
    content = event.data.content
    said = content.body if isinstance(content, TextContent) else None
    detected = detect_language(said) if said else None
    return detected or conversation.language or customer.language or config.default_language


async def hold_for_business_app(
    tx: AsyncSession, tenant_id: str, echo: BusinessEcho, event_id: uuid.UUID, now: datetime
) -> tuple[ConversationRecord, bool]:
    """The owner wrote to the customer from the Business app: keep the message, and the
    conversation is held by a person (`human`, operator `business_app`) — the assistant is
    silent until an operator resolves it. True when the state changed."""
    wa_id = echo.customer_wa_id
    row = CustomerRecord(
        tenant_id=tenant_id, customer_id=wa_id, wa_id=wa_id, created_at=now, updated_at=now
    )
    await insert_ignoring_conflict(tx, CustomerRecord, repository.row_values(row))
    conversation, _ = await lock_conversation(tx, tenant_id, wa_id, echo.phone_number_id, now)
    message = Message(
        tenant_id=tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="human",
        kind=echo.message_type[:24],
        text=echo.text,
        wamid=echo.message_id,
        event_id=event_id,
        occurred_at=echo.timestamp,
        created_at=now,
    )
    await insert_ignoring_conflict(tx, Message, repository.row_values(message))
    changed = change_state(
        tx,
        conversation,
        Trigger.TAKEOVER,
        actor="operator",
        reason="answered from the WhatsApp Business app",
        operator_id=BUSINESS_APP_OPERATOR,
        now=now,
    )
    return conversation, changed


async def escalate_undelivered_reply(
    tx: AsyncSession, reply: Message, reason: str, now: datetime
) -> bool:
    """The assistant's reply did not reach the customer: its conversation, if the assistant
    still holds it, waits for a person (no holding message — the channel just failed, and a
    second message could arrive beside an unknown first one). True when the state changed."""
    conversation = await repository.get_conversation(
        tx, reply.tenant_id, reply.conversation_id, for_update=True
    )
    if conversation is None or conversation.state != ConversationState.BOT.value:
        return False
    return change_state(tx, conversation, Trigger.ESCALATE, actor="system", reason=reason, now=now)
