"""Hand-off, folding and the run log at the handler level, on a real (SQLite) schema: what
the outbox holds after each turn is what Kafka would get."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent import handlers
from bancone_agent.adapters.tables import AgentTurnRecord, ConversationRecord, MessageRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import (
    Intent,
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    Turn,
)
from bancone_agent.domain.commands import Resolve, TakeOver
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.operators import ConversationNotFoundError
from bancone_agent.domain.run import ToolCallRecord, TurnOutcome, TurnRun
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound, handle_inbound_batch
from bancone_contracts import parse_event
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord

pytestmark = pytest.mark.unit

TENANT = "enoteca"
WA_ID = "393331234567"
HOLDING = AgentConfig().holding_message

CHIANTI = Product(
    id=str(uuid.uuid4()),
    sku="CHI-1",
    name="Chianti Classico DOCG",
    price=Decimal("14.50"),
    stock=7,
    attributes={"colour": "red"},
)


class Shop1:
    async def search_products(self, query: ProductQuery) -> list[Product]:
        return [CHIANTI]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return CHIANTI if product_id == CHIANTI.id else None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


@dataclass
class ScriptedAssistant:
    """The offline assistant, unless a test scripts the next replies or makes it wait."""

    inner: OfflineAssistant = field(default_factory=OfflineAssistant)
    turns: list[Turn] = field(default_factory=list)
    replies: list[Reply | Exception] = field(default_factory=list)
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        self.turns.append(turn)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.replies:
            scripted = self.replies.pop(0)
            if isinstance(scripted, Exception):
                raise scripted
            return scripted
        return await self.inner.respond(turn, tools)


@pytest.fixture
def assistant() -> ScriptedAssistant:
    return ScriptedAssistant()


@pytest.fixture
def deps(engine: AsyncEngine, assistant: ScriptedAssistant) -> AgentDeps:
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=assistant,
        tools_for=lambda _: Shop1(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )


def inbound(content: InboundContent | str, *, wa_id: str = WA_ID) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=TENANT,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id=wa_id),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
        ),
    )


async def staged(engine: AsyncEngine) -> list[Any]:
    """Every event in the outbox, in commit order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(col(OutboxRecord.payload)).order_by(col(OutboxRecord.seq))
        )
        return [parse_event(None, payload) for (payload,) in rows]


def replies(events: list[Any]) -> list[str]:
    texts = []
    for event in events:
        if isinstance(event, OutboundMessageRequested):
            assert isinstance(event.data.content, OutboundText)
            texts.append(event.data.content.body)
    return texts


def transitions(events: list[Any]) -> list[tuple[str, str, str | None]]:
    return [
        (e.data.transition, e.data.actor, e.data.reason)
        for e in events
        if isinstance(e, ConversationChanged)
    ]


def outcomes(events: list[Any]) -> list[str]:
    return [e.data.outcome for e in events if isinstance(e, AgentTurnCompleted)]


async def conversation(engine: AsyncEngine) -> ConversationRecord:
    async with sessions_of(engine)() as session:
        found: ConversationRecord | None = await session.scalar(sa.select(ConversationRecord))
    assert found is not None
    return found


async def turn_rows(engine: AsyncEngine) -> list[AgentTurnRecord]:
    async with sessions_of(engine)() as session:
        result = await session.scalars(
            sa.select(AgentTurnRecord).order_by(col(AgentTurnRecord.created_at))
        )
        return list(result.all())


async def test_asking_for_a_person_escalates_and_the_assistant_then_stays_silent(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    await handle_inbound(inbound("voglio parlare con una persona"), deps)

    events = await staged(engine)
    assert replies(events) == [HOLDING["it"]]
    assert transitions(events) == [
        ("opened", "customer", None),
        ("escalated", "customer", "customer_request"),
    ]
    assert outcomes(events) == ["escalated"]
    assert assistant.turns == [], "no assistant is asked once the customer wants a person"
    held = await conversation(engine)
    assert (held.state, held.escalation_reason) == ("waiting_for_human", "customer_request")

    await handle_inbound(inbound("c'è nessuno?"), deps)
    await handle_inbound(inbound("Avete un Chianti?"), deps)

    events = await staged(engine)
    assert replies(events) == [HOLDING["it"]], "no reply while waiting for a person"
    assert outcomes(events) == ["escalated", "muted", "muted"]
    assert assistant.turns == []
    rows = await turn_rows(engine)
    assert [(r.outcome, r.assistant) for r in rows] == [
        ("escalated", "rules"),
        ("muted", "none"),
        ("muted", "none"),
    ]
    async with sessions_of(engine)() as session:
        inbound_count = await session.scalar(
            sa.select(sa.func.count()).where(col(MessageRecord.direction) == "in")
        )
    assert inbound_count == 3, "muted messages are still recorded for the operator"


@pytest.mark.parametrize(
    ("content", "language"),
    [
        ("I want to talk to a human", "en"),
        ("quiero hablar con una persona", "es"),
        (ButtonReplyContent(id="human", title="Operatore"), "it"),
    ],
)
async def test_the_holding_message_comes_in_the_customers_language(
    content: InboundContent | str, language: str, deps: AgentDeps, engine: AsyncEngine
) -> None:
    await handle_inbound(inbound(content), deps)

    events = await staged(engine)
    assert replies(events) == [HOLDING[language]]
    assert (await conversation(engine)).state == "waiting_for_human"


async def test_takeover_mutes_and_resolve_hands_the_next_message_back_to_the_assistant(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    await handle_inbound(inbound("Ciao"), deps)
    conv = await conversation(engine)

    taken = await handlers.take_over(TakeOver(TENANT, conv.id, "giulia"), deps)
    again = await handlers.take_over(TakeOver(TENANT, conv.id, "giulia"), deps)
    await handle_inbound(inbound("Avete un Chianti?"), deps)
    resolved = await handlers.resolve(Resolve(TENANT, conv.id, "giulia"), deps)
    await handle_inbound(inbound("Avete un Chianti?"), deps)

    assert taken is not None
    assert taken.changed
    assert again is not None
    assert not again.changed, "taking over twice is a no-op"
    assert resolved is not None
    assert resolved.changed
    events = await staged(engine)
    assert transitions(events) == [
        ("opened", "customer", None),
        ("human_took_over", "operator", None),
        ("resolved", "operator", None),
        ("resumed", "customer", None),
    ]
    changed = [e for e in events if isinstance(e, ConversationChanged)]
    assert changed[1].data.operator_id == "giulia"
    texts = replies(events)
    assert len(texts) == 2
    assert "Chianti Classico DOCG" in texts[1]
    assert outcomes(events) == ["answered", "muted", "answered"]
    assert [t.text for t in assistant.turns] == ["Ciao", "Avete un Chianti?"]
    assert (await conversation(engine)).state == "bot"


async def test_takeover_of_an_unknown_conversation_is_refused_as_not_found(
    deps: AgentDeps,
) -> None:
    with pytest.raises(ConversationNotFoundError):
        await handlers.take_over(TakeOver(TENANT, uuid.uuid4(), "x"), deps)


async def test_a_takeover_while_the_assistant_thinks_mutes_the_reply_it_computed(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    await handle_inbound(inbound("Ciao"), deps)
    conv = await conversation(engine)
    assistant.gate = asyncio.Event()
    assistant.started.clear()

    turn = asyncio.create_task(handle_inbound(inbound("Avete un Chianti?"), deps))
    await assistant.started.wait()
    await handlers.take_over(TakeOver(TENANT, conv.id, "giulia"), deps)
    assistant.gate.set()
    await turn

    events = await staged(engine)
    assert len(replies(events)) == 1, "only the greeting before the takeover"
    assert outcomes(events) == ["answered", "muted"]
    muted = (await turn_rows(engine))[-1]
    assert muted.assistant != "none", "the computed turn is logged with what it cost"


async def test_messages_queued_together_are_one_turn_with_one_reply(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    first, second, third = (
        inbound("Buongiorno"),
        inbound("cerco un vino rosso"),
        inbound("sotto i 20 euro"),
    )

    await handle_inbound_batch([first, second, third], deps)

    [turn] = assistant.turns
    assert turn.text == "Buongiorno\ncerco un vino rosso\nsotto i 20 euro"
    assert turn.history == ("Buongiorno", "cerco un vino rosso")
    events = await staged(engine)
    [reply] = [e for e in events if isinstance(e, OutboundMessageRequested)]
    assert reply.data.outbound_id == outbound_id_for(third.id)
    assert reply.data.reply_to == third.data.message_id
    [completed] = [e for e in events if isinstance(e, AgentTurnCompleted)]
    assert completed.data.message_ids == tuple(m.data.message_id for m in (first, second, third))
    async with sessions_of(engine)() as session:
        claimed = await session.scalar(sa.select(sa.func.count()).select_from(InboxRecord))
        recorded = await session.scalar(
            sa.select(sa.func.count()).where(col(MessageRecord.direction) == "in")
        )
    assert (claimed, recorded) == (3, 3)

    await handle_inbound_batch([first, second, third], deps)
    assert len(await staged(engine)) == len(events), "a redelivered batch does nothing"


async def test_a_batch_mixing_processed_and_new_events_answers_only_the_new(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    old = inbound("Ciao")
    await handle_inbound(old, deps)
    new = inbound("Avete un Chianti?")

    await handle_inbound_batch([old, new, new], deps)

    assert [t.text for t in assistant.turns] == ["Ciao", "Avete un Chianti?"]
    assert len(replies(await staged(engine))) == 2


async def test_a_failing_assistant_still_answers_with_the_holding_message(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    assistant.replies = [RuntimeError("model exploded")]

    await handle_inbound(inbound("Avete un Chianti?"), deps)

    events = await staged(engine)
    assert replies(events) == [HOLDING["it"]]
    assert transitions(events)[-1] == ("escalated", "system", "failure: RuntimeError")
    [row] = await turn_rows(engine)
    assert (row.outcome, row.error) == ("escalated", "RuntimeError: model exploded")


def llm_reply(
    text: str, *, outcome: TurnOutcome = TurnOutcome.ANSWERED, wants_human: bool = False
) -> Reply:
    return Reply(
        text=text,
        language="it",
        intent=Intent.PRODUCT_SEARCH,
        wants_human=wants_human,
        escalation_reason="model" if wants_human else None,
        run=TurnRun(
            assistant="llm",
            model="gpt-test",
            prompt_tokens=900,
            completion_tokens=100,
            estimated_cost=Decimal("0.000195"),
            tool_calls=(
                ToolCallRecord(
                    name="search_products",
                    arguments={"max_price": "20"},
                    result_items=2,
                    result_bytes=512,
                ),
            ),
            outcome=outcome,
        ),
    )


async def test_the_run_log_keeps_what_the_llm_turn_did_and_cost(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    assistant.replies = [llm_reply("Ecco il Chianti Classico DOCG")]

    await handle_inbound(inbound("Avete un rosso?"), deps)

    [row] = await turn_rows(engine)
    assert (row.assistant, row.model, row.prompt_tokens, row.completion_tokens) == (
        "llm",
        "gpt-test",
        900,
        100,
    )
    assert row.estimated_cost == Decimal("0.000195")
    assert row.tool_calls == [
        {
            "name": "search_products",
            "arguments": {"max_price": "20"},
            "result_items": 2,
            "result_bytes": 512,
            "error": None,
            "categories": [],
        }
    ]
    assert row.latency_ms >= 0
    [event] = [e for e in await staged(engine) if isinstance(e, AgentTurnCompleted)]
    assert event.data.turn_id == row.id
    assert event.data.estimated_cost == Decimal("0.000195")
    assert event.data.tool_calls[0].result_bytes == 512
    assert event.subject == f"{TENANT}:{WA_ID}"


async def test_failed_turns_in_a_row_escalate_and_an_assistant_wanting_a_human_does_at_once(
    deps: AgentDeps, engine: AsyncEngine, assistant: ScriptedAssistant
) -> None:
    assistant.replies = [
        llm_reply("Non so", outcome=TurnOutcome.FALLBACK),
        llm_reply("Non so ancora", outcome=TurnOutcome.FALLBACK),
    ]

    await handle_inbound(inbound("Avete un rosso?"), deps)
    assert (await conversation(engine)).failed_turns == 1
    await handle_inbound(inbound("Un rosso?"), deps)

    events = await staged(engine)
    assert replies(events) == ["Non so", HOLDING["it"]]
    assert transitions(events)[-1] == ("escalated", "system", "failed_turns: 2")
    assert outcomes(events) == ["fallback", "escalated"]

    async with sessions_of(engine)() as session:
        conv = await session.scalar(sa.select(ConversationRecord))
        assert conv is not None
    await handlers.resolve(Resolve(TENANT, conv.id, "ops"), deps)
    assistant.replies = [llm_reply("Passo a un collega", wants_human=True)]
    await handle_inbound(inbound("E un bianco?"), deps)

    events = await staged(engine)
    assert replies(events)[-1] == HOLDING["it"]
    assert transitions(events)[-3:] == [
        ("resolved", "operator", None),
        ("resumed", "customer", None),
        ("escalated", "ai", "model"),
    ]


async def test_a_conversation_resolved_while_a_muted_turn_commits_is_answered_after_all(
    deps: AgentDeps,
    engine: AsyncEngine,
    assistant: ScriptedAssistant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The turn planned silence (people held the chat), but an operator resolved it before
    the commit: the turn is planned again and the customer is answered, not ignored."""
    await handle_inbound(inbound("voglio parlare con una persona"), deps)
    held = await conversation(engine)
    planned = handlers._draft

    async def resolved_meanwhile(plan: Any, deps_: AgentDeps) -> Any:
        draft = await planned(plan, deps_)
        if draft.muted:
            await handlers.resolve(Resolve(TENANT, held.id, "ops"), deps)
        return draft

    monkeypatch.setattr(handlers, "_draft", resolved_meanwhile)
    await handle_inbound(inbound("Avete un Chianti?"), deps)

    events = await staged(engine)
    texts = replies(events)
    assert len(texts) == 2
    assert "Chianti Classico DOCG" in texts[1]
    assert transitions(events)[-2:] == [
        ("resolved", "operator", None),
        ("resumed", "customer", None),
    ]
    assert outcomes(events) == ["escalated", "answered"]
    assert [t.text for t in assistant.turns] == ["Avete un Chianti?"]
