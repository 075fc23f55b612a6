"""The agent's handlers on a real (SQLite) schema with fake shop tools: one reply per
message, staged in the outbox with everything it answers, and delivery states recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from bancone_agent.adapters.tables import (
    ConversationRecord,
    CustomerRecord,
    MessageRecord,
)
from bancone_agent.domain.phrases import phrasebook
from bancone_agent.domain.turn import outbound_id_for, read_content
from bancone_agent.handlers import AgentDeps, handle_inbound
from bancone_contracts import conversation_key
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    Customer,
    InboundContent,
    ListReplyContent,
    LocationContent,
    MediaContent,
    ReactionContent,
    TextContent,
)
from bancone_kit.messaging.tables import InboxRecord
from services.agent.tests.support.handlers import (
    PHONE_NUMBER_ID,
    TENANT,
    WA_ID,
    FakeShopTools,
    RecordingAssistant,
    body_of,
    inbound,
    outbox,
    rows,
)

pytestmark = pytest.mark.unit


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
