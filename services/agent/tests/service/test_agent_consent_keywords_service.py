"""A consent keyword is the notifier's to answer, on real Kafka and PostgreSQL: "STOP" is
stored in the conversation but gets no assistant reply and no turn, while the customer's
next, ordinary message is answered as usual."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.tables import MessageRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.entrypoints.consumers import Subscription, register_consumers
from bancone_agent.handlers import AgentDeps, Shop
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS, OUTBOUND
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.runtime import Messaging
from services.agent.tests.support.service import Cellar, TopicTail, inbound, publish

pytestmark = pytest.mark.service

WA_ID = "393335550188"


async def stored_texts(deps: AgentDeps, tenant_id: str) -> list[tuple[str, str | None]]:
    async with deps.sessions() as session:
        rows = await session.execute(
            sa.select(col(MessageRecord.direction), col(MessageRecord.wamid))
            .where(col(MessageRecord.tenant_id) == tenant_id)
            .order_by(col(MessageRecord.created_at))
        )
        return [(direction, wamid) for direction, wamid in rows]


async def test_stop_is_stored_without_a_reply_and_a_normal_message_is_answered(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=1, name_prefix="agent-consent")
    settings = AgentSettings(database_url=postgres_url, kafka_bootstrap_servers=kafka_bootstrap)
    engine = create_engine(postgres_url)
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )
    messaging = Messaging(broker_for(settings), engine)
    register_consumers(
        messaging.broker,
        deps,
        retry=settings.consumer_retry,
        subscriptions=[Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)],
    )
    stop = inbound(tenant_id, WA_ID, "STOP")
    question = inbound(tenant_id, WA_ID, "Avete un vino rosso?")

    try:
        async with TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], tenant_id) as tail:
            await messaging.start()
            try:
                await publish(kafka_bootstrap, topic, [stop])
                async with asyncio.timeout(60):  # STOP is handled (stored) before the question
                    while ("in", stop.data.message_id) not in await stored_texts(deps, tenant_id):
                        await asyncio.sleep(0.1)
                await publish(kafka_bootstrap, topic, [question])
                await tail.until(
                    lambda t: (
                        outbound_id_for(question.id)
                        in {r.data.outbound_id for r in t.of(OutboundMessageRequested)}
                        and bool(t.of(AgentTurnCompleted))
                    )
                )
            finally:
                await messaging.stop()
        stored = await stored_texts(deps, tenant_id)
    finally:
        await engine.dispose()

    replies = tail.of(OutboundMessageRequested)
    assert [r.data.reply_to for r in replies] == [question.data.message_id]
    assert outbound_id_for(stop.id) not in {r.data.outbound_id for r in replies}
    turns = tail.of(AgentTurnCompleted)
    assert [tuple(t.data.message_ids) for t in turns] == [(question.data.message_id,)]
    assert [w for d, w in stored if d == "in"] == [stop.data.message_id, question.data.message_id]
    assert [d for d, _ in stored].count("out") == 1
