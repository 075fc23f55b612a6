"""The agent's use cases: answer a customer's message, follow what became of the answer.
Plain functions `(event, deps)`; the registry at the bottom says who handles what.

An inbound message is answered in two steps. First the assistant computes the reply with
no transaction open (tool calls take time, and a write transaction held across them would
block every other writer of a SQLite file). Then ONE transaction, owned through the inbox,
records the customer, the conversation, the inbound message, the outbound event (outbox)
and the outbound message — all committed together or not at all. The outbound id is a
uuid5 of the inbound event id, so a reply recomputed after a crash is the same outbound
message and the notifier sends it once. A redelivered event finds its inbox row and does
nothing; a wamid already recorded under another event id gets no second reply.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.adapters import repository
from bancone_agent.adapters.tables import (
    ConversationRecord,
    ConversationState,
    CustomerRecord,
    Direction,
    MessageRecord,
)
from bancone_agent.domain import SILENT_KINDS, Assistant, ContentKind, Reply, ShopTools, Turn
from bancone_agent.metrics import assistant_name, observe_turn
from bancone_contracts.common import utc_now
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    InboundContent,
    InboundMessageReceived,
    ListReplyContent,
    MediaContent,
    OrderContent,
    TemplateButtonContent,
    TextContent,
)
from bancone_contracts.events.outbound import (
    TEXT_BODY_MAX,
    OutboundMessage,
    OutboundMessageRequested,
    OutboundText,
)
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_kit.messaging.outbox import stage

log = get_logger(__name__)

SOURCE = "agent"
INBOUND_CONSUMER = "agent"
DELIVERY_CONSUMER = "agent-delivery"

_OUTBOUND_IDS = uuid.UUID("3b0f5c8e-2d4a-5e61-9a7c-1f8e6d2b4c90")
_OUTBOUND_EVENT_IDS = uuid.UUID("9c4e2a71-6b3d-5f08-8e1a-7d5c3b9f2e64")


@dataclass(frozen=True)
class Shop:
    """What the assistant says about the shop it speaks for."""

    name: str
    language: str = "it"


@dataclass(frozen=True)
class AgentDeps:
    sessions: async_sessionmaker[AsyncSession]
    """From `bootstrap.sessions_of`: objects stay usable after commit."""
    assistant: Assistant
    tools_for: Callable[[str], ShopTools]
    """The shop's tools bound to one tenant; the tenant comes from the event, never a model."""
    shop_for: Callable[[str], Shop]


def outbound_id_for(inbound_event_id: uuid.UUID) -> uuid.UUID:
    """The id of the reply to an inbound event: the same however often it is recomputed."""
    return uuid.uuid5(_OUTBOUND_IDS, str(inbound_event_id))


def read_content(content: InboundContent) -> tuple[str | None, ContentKind]:
    """The text an assistant can read in a message (text, caption, button or row title,
    order note) and what kind of message it is."""
    kind = ContentKind.from_inbound(
        content.kind, content.media_type if isinstance(content, MediaContent) else None
    )
    text: str | None = None
    if isinstance(content, TextContent):
        text = content.body
    elif isinstance(content, MediaContent):
        text = content.caption
    elif isinstance(content, ButtonReplyContent | ListReplyContent):
        text = content.title
    elif isinstance(content, TemplateButtonContent | OrderContent):
        text = content.text
    return (text if text and text.strip() else None), kind


# --- inbound messages -----------------------------------------------------------------------


async def handle_inbound(event: InboundMessageReceived, deps: AgentDeps) -> None:
    """Record the customer's message and, unless it needs none, reply through the outbox."""
    message = event.data
    tenant_id = event.tenant_id
    customer_id = message.customer.customer_id
    fields = {"tenant_id": tenant_id, "event_id": str(event.id), "wamid": message.message_id}
    async with deps.sessions() as session:
        if await repository.was_processed(session, INBOUND_CONSUMER, event.id):
            log.info("inbound.duplicate_event", **fields)
            return
        known = await repository.find_conversation(session, tenant_id, customer_id)
    text, kind = read_content(message.content)
    log.info("inbound.turn_started", kind=kind.value, **fields)
    conversation_id = known.id if known is not None else uuid.uuid4()
    reply: Reply | None = None
    if kind not in SILENT_KINDS and (known is None or known.state == ConversationState.BOT):
        shop = deps.shop_for(tenant_id)
        turn = Turn(
            tenant_id=tenant_id,
            conversation_id=str(conversation_id),
            text=text,
            kind=kind,
            previous_language=known.language if known is not None else None,
            shop_name=shop.name,
            default_language=shop.language,
        )
        with observe_turn(assistant_name(deps.assistant)) as timing:
            reply = timing.reply = await deps.assistant.respond(turn, deps.tools_for(tenant_id))

    async with inbox.claim(deps.sessions, INBOUND_CONSUMER, event.id) as tx:
        if tx is None:
            log.info("inbound.duplicate_event", **fields)
            return
        now = utc_now()
        await _save_customer(tx, event, now, reply.language if reply else None)
        conversation = await _open_conversation(tx, event, conversation_id, now)
        if not await _record_inbound(tx, event, conversation, text, kind, now):
            log.info("inbound.duplicate_wamid", **fields)
            return
        if reply is None:
            log.info("inbound.recorded_without_reply", kind=kind.value, **fields)
            return
        if conversation.state != ConversationState.BOT:
            log.info("inbound.reply_muted", state=conversation.state, **fields)
            return
        outbound = _reply_event(event, conversation, reply)
        stage(tx, outbound)
        tx.add(_outbound_record(event, conversation, outbound, reply, now))
        conversation.language = reply.language
        conversation.updated_at = now
    log.info(
        "reply.staged",
        outbound_id=str(outbound.data.outbound_id),
        intent=reply.intent.value,
        language=reply.language,
        products=len(reply.products_cited),
        wants_human=reply.wants_human,
        **fields,
    )


async def _save_customer(
    tx: AsyncSession, event: InboundMessageReceived, now: datetime, language: str | None
) -> CustomerRecord:
    who = event.data.customer
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
    await repository.insert_ignoring_conflict(tx, CustomerRecord, repository.row_values(new))
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


async def _open_conversation(
    tx: AsyncSession, event: InboundMessageReceived, conversation_id: uuid.UUID, now: datetime
) -> ConversationRecord:
    """The customer's conversation, created on their first message and locked until commit."""
    message = event.data
    new = ConversationRecord(
        tenant_id=event.tenant_id,
        id=conversation_id,
        customer_id=message.customer.customer_id,
        phone_number_id=message.phone_number_id,
        opened_at=now,
        updated_at=now,
        last_inbound_at=message.timestamp,
    )
    await repository.insert_ignoring_conflict(tx, ConversationRecord, repository.row_values(new))
    conversation = await repository.find_conversation(
        tx, event.tenant_id, message.customer.customer_id, for_update=True
    )
    assert conversation is not None, "just inserted or already there"
    conversation.phone_number_id = message.phone_number_id
    if conversation.last_inbound_at is None or conversation.last_inbound_at < message.timestamp:
        conversation.last_inbound_at = message.timestamp
    conversation.updated_at = now
    return conversation


async def _record_inbound(
    tx: AsyncSession,
    event: InboundMessageReceived,
    conversation: ConversationRecord,
    text: str | None,
    kind: ContentKind,
    now: datetime,
) -> bool:
    """Store the message; False when its wamid is already stored (same message, new event)."""
    record = MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.IN.value,
        sender="customer",
        kind=kind.value,
        text=text,
        wamid=event.data.message_id,
        event_id=event.id,
        occurred_at=event.data.timestamp,
        created_at=now,
    )
    return await repository.insert_ignoring_conflict(
        tx, MessageRecord, repository.row_values(record)
    )


def _reply_event(
    event: InboundMessageReceived, conversation: ConversationRecord, reply: Reply
) -> OutboundMessageRequested:
    message = event.data
    who = message.customer
    body = reply.text.strip()
    if len(body) > TEXT_BODY_MAX:
        body = body[: TEXT_BODY_MAX - 1] + "…"
    return OutboundMessageRequested.new(
        tenant_id=event.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_OUTBOUND_EVENT_IDS, str(event.id)),
        data=OutboundMessage(
            outbound_id=outbound_id_for(event.id),
            customer_id=who.customer_id,
            to=who.wa_id,
            to_user_id=None if who.wa_id else who.user_id,
            phone_number_id=message.phone_number_id,
            conversation_id=str(conversation.id),
            reply_to=message.message_id,
            sender="ai",
            content=OutboundText(body=body),
        ),
    )


def _outbound_record(
    event: InboundMessageReceived,
    conversation: ConversationRecord,
    outbound: OutboundMessageRequested,
    reply: Reply,
    now: datetime,
) -> MessageRecord:
    content = outbound.data.content
    return MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="ai",
        kind=content.kind,
        text=content.body if isinstance(content, OutboundText) else None,
        language=reply.language,
        outbound_id=outbound.data.outbound_id,
        event_id=event.id,
        reply_to=outbound.data.reply_to,
        delivery_status="requested",
        created_at=now,
    )


# --- delivery -------------------------------------------------------------------------------

_PROGRESS: Final = {"requested": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}


def advances(current: str | None, new: str) -> bool:
    """Whether a delivery status moves a message forward: never back from read to sent, and
    a failure counts only before the message was delivered."""
    if current == new:
        return False
    if new == "failed":
        return current not in ("delivered", "read")
    if current == "failed":
        return False
    return _PROGRESS.get(new, -1) > _PROGRESS.get(current or "requested", 0)


async def handle_delivery(event: DeliveryUpdated, deps: AgentDeps) -> None:
    """Note on our outbound message what the notifier reports about it."""
    result: DeliveryResult = event.data
    fields = {"tenant_id": event.tenant_id, "outbound_id": str(result.outbound_id)}
    async with inbox.claim(deps.sessions, DELIVERY_CONSUMER, event.id) as tx:
        if tx is None:
            return
        row = await repository.find_outbound(tx, event.tenant_id, result.outbound_id)
        if row is None:
            log.info("delivery.not_ours", status=result.status, **fields)
            return
        if result.wamid and not row.wamid:
            row.wamid = result.wamid
        if advances(row.delivery_status, result.status):
            row.delivery_status = result.status
            row.delivery_updated_at = result.occurred_at or event.time
            if result.status == "failed":
                row.delivery_error = " ".join(
                    part for part in (str(result.error_code or ""), result.error_title) if part
                )[:500]
    log.info("delivery.recorded", status=result.status, **fields)


# --- registry -------------------------------------------------------------------------------

Handler = Callable[[Any, AgentDeps], Awaitable[None]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], Handler]] = {
    InboundMessageReceived: handle_inbound,
    DeliveryUpdated: handle_delivery,
}
"""Which handler reacts to which event (consumers subscribe them in `entrypoints`)."""
