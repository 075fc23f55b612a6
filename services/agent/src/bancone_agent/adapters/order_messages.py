"""Writes of the messages order changes cause, inside the transaction that claims the order
event in the inbox: the outbound message (outbox + the conversation's messages + the live
feed), or the operators' note when the 24-hour window kept it back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters import feed, repository
from bancone_agent.adapters.tables import ConversationRecord, CustomerRecord, Direction
from bancone_agent.adapters.tables import MessageRecord as Message
from bancone_agent.domain.events import SOURCE
from bancone_agent.domain.order_updates import outbound_event_id_for, outbound_id_for
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import (
    TEXT_BODY_MAX,
    OutboundMessage,
    OutboundMessageRequested,
    OutboundText,
)
from bancone_kit.messaging.outbox import stage


@dataclass(frozen=True)
class Recipient:
    conversation: ConversationRecord
    customer: CustomerRecord


async def locked_recipient(tx: AsyncSession, tenant_id: str, customer_id: str) -> Recipient | None:
    """The customer's conversation in this tenant, locked until commit; None when the
    customer never wrote to the shop (nobody to write to, nor a window open)."""
    await repository.take_write_lock(tx)
    conversation = await repository.find_conversation(tx, tenant_id, customer_id, for_update=True)
    if conversation is None:
        return None
    customer = await repository.get_customer(tx, tenant_id, customer_id)
    assert customer is not None, "a conversation's customer exists (foreign key)"
    return Recipient(conversation, customer)


def record_order_message(
    tx: AsyncSession,
    event: OrderChanged,
    recipient: Recipient,
    text: str,
    language: str,
    now: datetime,
) -> OutboundMessageRequested:
    """Stage the message about `event` and keep it among the conversation's messages. Its
    ids derive from the event's, so a redelivery could only stage the same message again."""
    conversation, customer = recipient.conversation, recipient.customer
    body = text if len(text) <= TEXT_BODY_MAX else text[: TEXT_BODY_MAX - 1] + "…"
    outbound = OutboundMessageRequested.new(
        tenant_id=event.tenant_id,
        source=SOURCE,
        id=outbound_event_id_for(event.id),
        data=OutboundMessage(
            outbound_id=outbound_id_for(event.id),
            customer_id=customer.customer_id,
            to=customer.wa_id,
            to_user_id=None if customer.wa_id else customer.user_id,
            phone_number_id=event.data.order.phone_number_id or conversation.phone_number_id,
            conversation_id=str(conversation.id),
            sender="ai",
            content=OutboundText(body=body),
        ),
    )
    stage(tx, outbound)
    message = Message(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="ai",
        kind="text",
        text=body,
        language=language,
        outbound_id=outbound.data.outbound_id,
        event_id=event.id,
        delivery_status="requested",
        created_at=now,
    )
    tx.add(message)
    feed.stage_message(tx, feed.MESSAGE_SENT, message)
    conversation.updated_at = now
    return outbound


def record_unsent_note(
    tx: AsyncSession, tenant_id: str, conversation_id: uuid.UUID, note: str, now: datetime
) -> None:
    """A system note (never sent) saying which order message was kept back and why."""
    message = Message(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        direction=Direction.OUT.value,
        sender="system",
        kind="note",
        text=note,
        is_note=True,
        created_at=now,
    )
    tx.add(message)
    feed.stage_message(tx, feed.NOTE_ADDED, message)
