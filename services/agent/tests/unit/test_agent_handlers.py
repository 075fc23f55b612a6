"""The agent's handlers on a real (SQLite) schema with fake shop tools: one reply per
message, staged in the outbox with everything it answers, and delivery states recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel import col

from bancone_agent.adapters.tables import (
    ConversationRecord,
    CustomerRecord,
    FeedEventRecord,
    MessageRecord,
)
from bancone_agent.bootstrap import sessions_of
from bancone_agent.delivery_handlers import handle_delivery, handle_delivery_batch
from bancone_agent.domain import (
    Assistant,
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    Turn,
)
from bancone_agent.domain.delivery import advances, needs_template
from bancone_agent.domain.operators import delivery_label
from bancone_agent.domain.phrases import phrasebook
from bancone_agent.domain.turn import outbound_id_for, read_content
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_contracts import CONVERSATION, OUTBOUND, conversation_key, parse_event
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    ListReplyContent,
    LocationContent,
    MediaContent,
    ReactionContent,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord

pytestmark = pytest.mark.unit

TENANT = "enoteca"
WA_ID = "393331234567"
PHONE_NUMBER_ID = "106540352242922"

CHIANTI = Product(
    id=str(uuid.uuid4()),
    sku="CHI-1",
    name="Chianti Classico DOCG",
    category="vino-rosso",
    price=Decimal("14.50"),
    stock=7,
    attributes={"colour": "red"},
)
BAROLO = CHIANTI.model_copy(
    update={"id": str(uuid.uuid4()), "sku": "BAR-1", "name": "Barolo", "price": Decimal("42")}
)


@dataclass
class FakeShopTools:
    """The shop's tools with a fixed catalogue; remembers the tenant it was built for."""

    tenant_id: str
    products: Sequence[Product] = (CHIANTI, BAROLO)
    queries: list[ProductQuery] = field(default_factory=list)

    async def search_products(self, query: ProductQuery) -> list[Product]:
        self.queries.append(query)
        return [
            p
            for p in self.products
            if (query.max_price is None or p.price <= query.max_price)
            and (query.colour is None or p.colour == query.colour)
        ]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []


@dataclass
class RecordingAssistant:
    """The offline assistant, remembering every turn it was asked to answer."""

    inner: Assistant = field(default_factory=OfflineAssistant)
    turns: list[Turn] = field(default_factory=list)

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        self.turns.append(turn)
        return await self.inner.respond(turn, tools)


@pytest.fixture
def assistant() -> RecordingAssistant:
    return RecordingAssistant()


@pytest.fixture
def tools_built() -> list[FakeShopTools]:
    return []


@pytest.fixture
def deps(
    engine: AsyncEngine, assistant: RecordingAssistant, tools_built: list[FakeShopTools]
) -> AgentDeps:
    def tools_for(tenant_id: str) -> ShopTools:
        tools = FakeShopTools(tenant_id)
        tools_built.append(tools)
        return tools

    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=assistant,
        tools_for=tools_for,
        shop_for=lambda tenant_id: Shop(name="Enoteca Prova", language="it"),
    )


def inbound(
    content: InboundContent | str,
    *,
    wamid: str | None = None,
    tenant_id: str = TENANT,
    customer: Customer | None = None,
) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=tenant_id,
        source="gateway",
        data=InboundMessage(
            message_id=wamid or f"wamid.{uuid.uuid4().hex}",
            phone_number_id=PHONE_NUMBER_ID,
            customer=customer or Customer(wa_id=WA_ID, profile_name="Giulia"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
        ),
    )


async def outbox(engine: AsyncEngine) -> list[OutboundMessageRequested]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(col(OutboxRecord.payload))
            .where(col(OutboxRecord.topic) == OUTBOUND)
            .order_by(col(OutboxRecord.seq))
        )
        events = [parse_event(OUTBOUND, payload) for (payload,) in rows]
    return [e for e in events if isinstance(e, OutboundMessageRequested)]


async def rows(engine: AsyncEngine, model: type[Any]) -> list[Any]:
    async with sessions_of(engine)() as session:
        return list((await session.scalars(sa.select(model))).all())


def body_of(event: OutboundMessageRequested) -> str:
    content = event.data.content
    assert isinstance(content, OutboundText)
    return content.body


async def test_a_budget_question_gets_one_reply_with_the_catalog_price_staged_in_the_outbox(
    deps: AgentDeps, engine: AsyncEngine, tools_built: list[FakeShopTools]
) -> None:
    event = inbound("Vorrei un vino rosso sotto i 20 euro")

    await handle_inbound(event, deps)

    [reply] = await outbox(engine)
    assert reply.tenant_id == TENANT
    assert reply.subject == reply.key() == conversation_key(TENANT, WA_ID)
    assert reply.data.outbound_id == outbound_id_for(event.id)
    assert (reply.data.to, reply.data.to_user_id) == (WA_ID, None)
    assert reply.data.reply_to == event.data.message_id
    assert reply.data.phone_number_id == PHONE_NUMBER_ID
    assert reply.data.sender == "ai"
    assert "Chianti Classico DOCG" in body_of(reply)
    assert phrasebook("it").price(Decimal("14.50"), "EUR") in body_of(reply)
    assert "Barolo" not in body_of(reply)
    assert [t.tenant_id for t in tools_built] == [TENANT]
    assert tools_built[0].queries[0].max_price == Decimal("20")

    [conversation] = await rows(engine, ConversationRecord)
    assert (conversation.state, conversation.language) == ("bot", "it")
    assert reply.data.conversation_id == str(conversation.id)
    [customer] = await rows(engine, CustomerRecord)
    assert (customer.customer_id, customer.profile_name, customer.language) == (
        WA_ID,
        "Giulia",
        "it",
    )
    messages = sorted(await rows(engine, MessageRecord), key=lambda m: m.direction)
    assert [(m.direction, m.sender) for m in messages] == [("in", "customer"), ("out", "ai")]
    assert messages[0].wamid == event.data.message_id
    assert messages[1].outbound_id == reply.data.outbound_id
    assert messages[1].text == body_of(reply)


async def test_the_same_event_handled_twice_gets_one_reply(
    deps: AgentDeps, engine: AsyncEngine, assistant: RecordingAssistant
) -> None:
    event = inbound("Avete vino rosso sotto i 20 euro?")

    await handle_inbound(event, deps)
    await handle_inbound(event, deps)

    assert len(await outbox(engine)) == 1
    assert len(await rows(engine, MessageRecord)) == 2
    assert len(assistant.turns) == 1, "a processed event is not even recomputed"


async def test_the_same_wamid_under_a_new_event_id_gets_no_second_reply(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    first = inbound("Ciao!", wamid="wamid.same")
    again = inbound("Ciao!", wamid="wamid.same")

    await handle_inbound(first, deps)
    await handle_inbound(again, deps)

    assert [r.data.outbound_id for r in await outbox(engine)] == [outbound_id_for(first.id)]
    assert len(await rows(engine, InboxRecord)) == 2


async def test_a_crash_before_commit_leaves_nothing_and_the_retry_stages_the_same_outbound(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Un rosso sotto i 20 euro?")
    crashes = [RuntimeError("killed before commit")]

    def crash_once(session: Session) -> None:
        if crashes and session.info.get("bancone_outbox_pending"):
            raise crashes.pop()

    sa_event.listen(Session, "before_commit", crash_once)
    try:
        with pytest.raises(RuntimeError, match="killed before commit"):
            await handle_inbound(event, deps)
        assert await outbox(engine) == []
        assert await rows(engine, MessageRecord) == []
        await handle_inbound(event, deps)
    finally:
        sa_event.remove(Session, "before_commit", crash_once)

    [reply] = await outbox(engine)
    assert reply.data.outbound_id == outbound_id_for(event.id)


@pytest.mark.parametrize(
    "content",
    [
        ReactionContent(message_id="wamid.ours", emoji="👍"),
        LocationContent(latitude=45.46, longitude=9.19),
    ],
    ids=["reaction", "location"],
)
async def test_messages_without_words_are_recorded_and_only_a_reaction_gets_no_reply(
    content: InboundContent,
    deps: AgentDeps,
    engine: AsyncEngine,
    assistant: RecordingAssistant,
) -> None:
    await handle_inbound(inbound(content), deps)

    [message] = [m for m in await rows(engine, MessageRecord) if m.direction == "in"]
    assert message.kind == content.kind
    replies = await outbox(engine)
    if isinstance(content, ReactionContent):
        assert (replies, assistant.turns) == ([], [])
    else:
        assert len(replies) == 1, "a location still gets a helpful answer"


async def test_the_conversation_language_carries_into_the_next_turn(
    deps: AgentDeps, engine: AsyncEngine, assistant: RecordingAssistant
) -> None:
    await handle_inbound(inbound("Hello, do you have a red wine under 20 euros?"), deps)
    await handle_inbound(inbound("👍🏻"), deps)

    assert [t.previous_language for t in assistant.turns] == [None, "en"]
    assert len({t.conversation_id for t in assistant.turns}) == 1
    assert len(await rows(engine, ConversationRecord)) == 1


async def test_a_customer_known_only_by_business_scoped_id_is_answered_by_user_id(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    customer = Customer(user_id="IT.1234567890")

    await handle_inbound(inbound("Ciao", customer=customer), deps)

    [reply] = await outbox(engine)
    assert (reply.data.to, reply.data.to_user_id) == (None, "IT.1234567890")
    assert reply.subject == conversation_key(TENANT, "IT.1234567890")


@pytest.mark.parametrize(
    ("content", "text", "kind"),
    [
        (TextContent(body="Ciao"), "Ciao", "text"),
        (MediaContent(media_type="image", media_id="m1", caption="Questo?"), "Questo?", "image"),
        (MediaContent(media_type="audio", media_id="m2", voice=True), None, "audio"),
        (ButtonReplyContent(id="b1", title="Vini rossi"), "Vini rossi", "interactive"),
        (ListReplyContent(id="r1", title="Barolo", description="x"), "Barolo", "interactive"),
        (ReactionContent(message_id="wamid.x", emoji="❤️"), None, "reaction"),
        (TextContent(body="   "), None, "text"),
    ],
)
def test_read_content_finds_the_words_and_the_kind(
    content: InboundContent, text: str | None, kind: str
) -> None:
    assert read_content(content) == (text, kind)


# --- delivery -------------------------------------------------------------------------------


def delivery(
    outbound_id: uuid.UUID, status: Any, *, tenant_id: str = TENANT, wamid: str | None = None
) -> DeliveryUpdated:
    return DeliveryUpdated.new(
        tenant_id=tenant_id,
        source="notifier",
        data=DeliveryResult(
            outbound_id=outbound_id,
            customer_id=WA_ID,
            wamid=wamid,
            status=status,
            occurred_at=datetime.now(UTC),
        ),
    )


async def test_delivery_updates_move_our_message_forward_only_within_its_tenant(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)

    await handle_delivery(delivery(outbound_id, "accepted", wamid="wamid.out"), deps)
    await handle_delivery(delivery(outbound_id, "read"), deps)
    await handle_delivery(delivery(outbound_id, "delivered"), deps)
    await handle_delivery(delivery(outbound_id, "failed", tenant_id="other-shop"), deps)

    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (out.delivery_status, out.wamid, out.delivery_error) == ("read", "wamid.out", None)


async def test_a_batch_of_reports_is_recorded_in_order_once_each(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    """A reply's reports folded into one batch (the consumer queues them per conversation),
    one of them a redelivery of a report handled before: each moves the message forward once,
    in order, and the feed announces each fresh change once."""
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    accepted = delivery(outbound_id, "accepted", wamid="wamid.out")
    await handle_delivery(accepted, deps)
    before = len(await rows(engine, FeedEventRecord))

    batch = [
        accepted,
        delivery(outbound_id, "sent"),
        delivery(outbound_id, "delivered"),
        delivery(outbound_id, "failed", tenant_id="other-shop"),
        delivery(outbound_id, "read"),
    ]
    await handle_delivery_batch(batch, deps)
    await handle_delivery_batch(batch, deps)  # the whole batch redelivered: nothing new

    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (out.delivery_status, out.wamid, out.delivery_error) == ("read", "wamid.out", None)
    statuses = [
        f.data["item"]["delivery_status"]
        for f in sorted(await rows(engine, FeedEventRecord), key=lambda f: f.seq)[before:]
    ]
    assert statuses == [delivery_label(s) for s in ("sent", "delivered", "read")]


def failure(outbound_id: uuid.UUID, title: str, *, tenant_id: str = TENANT) -> DeliveryUpdated:
    event = delivery(outbound_id, "failed", tenant_id=tenant_id)
    return event.model_copy(
        update={"data": event.data.model_copy(update={"error_code": 131000, "error_title": title})}
    )


async def conversation_transitions(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        payloads = await connection.execute(
            sa.select(col(OutboxRecord.payload))
            .where(col(OutboxRecord.topic) == CONVERSATION)
            .order_by(col(OutboxRecord.seq))
        )
        events = [parse_event(CONVERSATION, payload) for (payload,) in payloads]
    return [e.data.transition for e in events if isinstance(e, ConversationChanged)]


async def test_an_assistant_reply_that_did_not_reach_the_customer_hands_the_conversation_to_people(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    unknown = "outcome unknown (interrupted); not resent"

    await handle_delivery(failure(outbound_id, unknown, tenant_id="other-shop"), deps)
    assert await conversation_transitions(engine) == ["opened"], "another tenant's report"
    await handle_delivery(failure(outbound_id, unknown), deps)
    await handle_delivery(failure(outbound_id, unknown), deps)  # reported again: no new event

    [conversation] = await rows(engine, ConversationRecord)
    assert conversation.state == "waiting_for_human"
    assert conversation.escalation_reason == f"reply not delivered: 131000 {unknown}"
    assert await conversation_transitions(engine) == ["opened", "escalated"]
    assert len(await outbox(engine)) == 1, "no holding message beside a reply of unknown fate"


async def test_a_failed_operator_reply_leaves_the_conversation_with_the_operator(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    async with sessions_of(engine)() as session, session.begin():
        reply = await session.scalar(
            sa.select(MessageRecord).where(col(MessageRecord.outbound_id) == outbound_id)
        )
        assert reply is not None
        reply.sender = "human"

    await handle_delivery(failure(outbound_id, "Re-engagement message"), deps)

    [conversation] = await rows(engine, ConversationRecord)
    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (conversation.state, out.delivery_status) == ("bot", "failed")
    assert await conversation_transitions(engine) == ["opened"]


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        ("requested", "accepted", True),
        ("sent", "read", True),
        ("read", "delivered", False),
        ("sent", "failed", True),
        ("delivered", "failed", False),
        ("failed", "sent", False),
        ("sent", "sent", False),
    ],
)
def test_delivery_status_order(current: str, new: str, expected: bool) -> None:
    assert advances(current, new) is expected


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        ("failed", "131047 outside the 24-hour window, a template is needed", True),
        ("failed", "131047 Re-engagement message", True),
        ("failed", "131047", True),
        ("failed", "131026 Message undeliverable", False),
        ("failed", "1310470 something else", False),
        ("failed", None, False),
        ("sent", "131047 Re-engagement message", False),
        (None, None, False),
    ],
)
def test_a_failure_for_the_closed_window_needs_a_template(
    status: str | None, error: str | None, expected: bool
) -> None:
    assert needs_template(status, error) is expected
