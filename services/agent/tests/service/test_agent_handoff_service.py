"""Hand-off as it runs: real PostgreSQL, real Kafka, the operator routes over HTTP.

Inbound events go on a one-partition topic of this test's own (its own consumer group); what
the agent publishes is read from the real outbound, conversation and agent-turns topics,
keeping only this test's tenant. The absence of a reply is proven without waiting: a muted
turn publishes its `agent.turn.completed` in the same transaction a reply would be staged in,
so once that event is here the outbox is final for the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent import handlers
from bancone_agent.adapters.tables import ConversationRecord
from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.commands import TakeOver
from bancone_agent.domain.config import AgentConfig
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS, CONVERSATION, OUTBOUND, parse_event
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.testing.tokens import TokenSigner, bearer
from services.agent.tests.support.outbox import staged_replies_at
from services.agent.tests.support.service import (
    Cellar,
    GatedAssistant,
    TopicTail,
    body_of,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

WA_ID = "393331239876"
SIGNER = TokenSigner()
"""Signs the operator tokens the conversation routes check, as the gateway would."""
HOLDING_IT = AgentConfig().holding_message["it"]


@pytest.fixture
def tenant_id() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}"


def turn_done(wamid: str) -> Callable[[TopicTail], bool]:
    """The turn that answered (or muted) `wamid` has been published."""
    return lambda tail: any(wamid in e.data.message_ids for e in tail.of(AgentTurnCompleted))


def transitions(tail: TopicTail) -> list[str]:
    return [e.data.transition for e in tail.of(ConversationChanged)]


async def test_escalation_holding_message_event_and_silence_until_resolved(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
    tenant_id: str,
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=1, name_prefix="agent-handoff")
    settings = AgentSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    app = build_app(
        settings,
        tools_for=lambda _: Cellar(),
        subscriptions=[Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)],
    )
    SIGNER.install(app, "agent")
    operator = bearer(SIGNER.operator(tenant_id, "agent"))
    admin = bearer(SIGNER.operator(tenant_id, "admin"))
    ask = inbound(tenant_id, WA_ID, "voglio parlare con una persona")
    anyone = inbound(tenant_id, WA_ID, "c'è qualcuno?")
    thanks = inbound(tenant_id, WA_ID, "grazie")
    again = inbound(tenant_id, WA_ID, "Avete un Chianti?")
    base = f"/v1/tenants/{tenant_id}/conversations"

    async with (
        TopicTail(kafka_bootstrap, [OUTBOUND, CONVERSATION, AGENT_TURNS], tenant_id) as tail,
        running(app) as http,
    ):
        await publish(kafka_bootstrap, topic, [ask])
        await tail.until(
            lambda t: "escalated" in transitions(t) and bool(t.of(OutboundMessageRequested))
        )
        [holding] = tail.of(OutboundMessageRequested)
        assert body_of(holding) == HOLDING_IT
        assert holding.data.reply_to == ask.data.message_id
        escalated = tail.of(ConversationChanged)[-1]
        assert (escalated.data.actor, escalated.data.reason) == ("customer", "customer_request")
        conversation_id = escalated.data.conversation_id

        await publish(kafka_bootstrap, topic, [anyone])
        await tail.until(turn_done(anyone.data.message_id))
        assert len(await staged_replies_at(postgres_url, tenant_id)) == 1, "no reply while waiting"

        assert (await http.post(f"{base}/{conversation_id}/takeover")).status_code == 401
        taken = await http.post(f"{base}/{conversation_id}/takeover", headers=operator)
        assert taken.status_code == 200, taken.text
        assert (taken.json()["state"], taken.json()["changed"]) == ("human", True)
        await publish(kafka_bootstrap, topic, [thanks])
        await tail.until(turn_done(thanks.data.message_id))
        assert len(await staged_replies_at(postgres_url, tenant_id)) == 1, "no reply while held"

        view = (await http.get(f"{base}/{conversation_id}", headers=operator)).json()
        assert view["state"] == "human"
        assert view["assigned_to"] == view["operator_id"] == f"op-agent-{tenant_id}"
        messages = await http.get(f"{base}/{conversation_id}/messages", headers=operator)
        assert [m["direction"] for m in messages.json()["items"]] == ["in", "in", "out", "in"]
        turns = await http.get(f"{base}/{conversation_id}/turns", headers=admin)
        assert [t["outcome"] for t in turns.json()["items"]] == ["escalated", "muted", "muted"]
        waiting = await http.get(base, params={"state": "human"}, headers=operator)
        assert [c["id"] for c in waiting.json()["items"]] == [conversation_id]

        resolved = await http.post(f"{base}/{conversation_id}/resolve", headers=operator)
        assert resolved.json()["state"] == "resolved"
        await publish(kafka_bootstrap, topic, [again])
        await tail.until(
            lambda t: (
                len(t.of(OutboundMessageRequested)) == 2 and turn_done(again.data.message_id)(t)
            )
        )

        usage = await http.get(
            f"/v1/tenants/{tenant_id}/usage",
            params={"date": datetime.now(UTC).date().isoformat()},
            headers=operator,
        )
        human = await http.post(
            f"{base}/{conversation_id}/replies", json={"text": "Sono Giulia"}, headers=operator
        )
        assert human.status_code == 202, human.text
        await tail.until(lambda t: len(t.of(OutboundMessageRequested)) == 3)

    *_, answer, by_person = tail.of(OutboundMessageRequested)
    assert "Chianti Classico DOCG" in body_of(answer)
    assert (by_person.data.sender, by_person.data.operator_id) == ("human", f"op-agent-{tenant_id}")
    assert body_of(by_person) == "Sono Giulia"
    assert transitions(tail) == [
        "opened",
        "escalated",
        "human_took_over",
        "resolved",
        "resumed",
        "human_took_over",
    ]
    assert [e.data.outcome for e in tail.of(AgentTurnCompleted)] == [
        "escalated",
        "muted",
        "muted",
        "answered",
    ]
    assert {e.key() for e in tail.events} == {f"{tenant_id}:{WA_ID}"}, "all keyed by conversation"
    assert usage.status_code == 200, usage.text
    summary = usage.json()
    assert summary["turns"] == 4
    assert {k: v["turns"] for k, v in summary["by_outcome"].items()} == {
        "answered": 1,
        "escalated": 1,
        "fallback": 0,
        "muted": 2,
    }


async def test_no_reply_is_staged_after_a_takeover_commits_whatever_the_interleaving(
    postgres_url: str, tenant_id: str
) -> None:
    """Turns and takeovers race on many conversations at once. The row lock orders them, and
    the outbox sequence shows the order: a conversation's reply, if any, was staged before its
    takeover event, never after; a turn that lost the race is logged as muted."""
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    engine = create_engine(postgres_url, pool_size=30, max_overflow=10)
    gated = GatedAssistant(OfflineAssistant())
    gated.hold("vino")
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=gated,
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )
    customers = [f"39333{n:07d}" for n in range(12)]
    try:
        for customer in customers:
            await handle_inbound(inbound(tenant_id, customer, "Ciao"), deps)
        async with deps.sessions() as session:
            ids = await conversation_ids(session, tenant_id)
        turns = [
            asyncio.create_task(handle_inbound(inbound(tenant_id, c, "Avete un vino rosso?"), deps))
            for c in customers
        ]
        await gated.arrived("vino", count=len(customers))

        async with contextlib.AsyncExitStack() as stack:
            connections = [await stack.enter_async_context(engine.connect()) for _ in customers]

            async def takeover_after(round_trips: int, customer: str) -> None:
                # Staggered by database round trips, so some takeovers land before a turn's
                # commit, some while it holds the lock, some after it.
                for _ in range(round_trips):
                    await connections[round_trips].execute(sa.text("SELECT 1"))
                await handlers.take_over(TakeOver(tenant_id, ids[customer], "giulia"), deps)

            gated.release("vino")
            await asyncio.gather(*turns, *(takeover_after(i, c) for i, c in enumerate(customers)))
        order = await outbox_order(engine, tenant_id)
    finally:
        await engine.dispose()

    outcomes: list[str] = []
    for customer in customers:
        staged = order[str(ids[customer])]
        took_over = [seq for seq, kind in staged if kind == "human_took_over"]
        replies = [seq for seq, kind in staged if kind == "reply"]
        turns_logged = [kind for _, kind in staged if kind.startswith("turn:")]
        assert len(took_over) == 1
        assert len(replies) in (1, 2), "the greeting, and the answer only if it won the race"
        assert all(seq < took_over[0] for seq in replies), staged
        outcome = turns_logged[-1]
        assert (outcome == "turn:answered") == (len(replies) == 2), staged
        outcomes.append(outcome)
    assert len(outcomes) == len(customers)


async def conversation_ids(session: Any, tenant_id: str) -> dict[str, uuid.UUID]:
    rows = await session.execute(
        sa.select(col(ConversationRecord.customer_id), col(ConversationRecord.id)).where(
            col(ConversationRecord.tenant_id) == tenant_id
        )
    )
    return {customer: cid for customer, cid in rows.all()}


async def outbox_order(engine: Any, tenant_id: str) -> dict[str, list[tuple[int, str]]]:
    """Per conversation: (outbox seq, what) of replies, state changes and logged turns."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(col(OutboxRecord.seq), col(OutboxRecord.payload)).order_by(
                col(OutboxRecord.seq)
            )
        )
        staged: dict[str, list[tuple[int, str]]] = {}
        for seq, payload in rows:
            event = parse_event(None, payload)
            if event.tenant_id != tenant_id:
                continue
            if isinstance(event, OutboundMessageRequested):
                staged.setdefault(event.data.conversation_id or "", []).append((seq, "reply"))
            elif isinstance(event, ConversationChanged):
                staged.setdefault(event.data.conversation_id, []).append(
                    (seq, event.data.transition)
                )
            elif isinstance(event, AgentTurnCompleted):
                staged.setdefault(event.data.conversation_id, []).append(
                    (seq, f"turn:{event.data.outcome}")
                )
    return staged
