"""A customer's burst of 30 messages on real Kafka and PostgreSQL: one slow-down reply, all 30
stored, answered again once the window has passed — the agent's consumers wired with a clock
the test moves (no sleeps)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.tables import MessageRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.phrases import phrasebook
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
from services.agent.tests.support.service import Cellar, TopicTail, body_of, inbound, publish

pytestmark = pytest.mark.service

WA_ID = "393335550077"
BURST = 30


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def turn_answered(tail: TopicTail, event: InboundMessageReceived) -> bool:
    return any(event.data.message_id in t.data.message_ids for t in tail.of(AgentTurnCompleted))


async def test_a_burst_of_30_gets_one_slow_down_all_stored_and_answers_after_the_window(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=1, name_prefix="agent-pace")
    settings = AgentSettings(database_url=postgres_url, kafka_bootstrap_servers=kafka_bootstrap)
    engine = create_engine(postgres_url)
    clock = Clock(datetime.now(UTC))
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
        clock=clock,
    )
    messaging = Messaging(broker_for(settings), engine)
    register_consumers(
        messaging.broker,
        deps,
        retry=settings.consumer_retry,
        subscriptions=[Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)],
    )
    burst = [inbound(tenant_id, WA_ID, f"Avete un vino rosso? {n}") for n in range(BURST)]
    later = inbound(tenant_id, WA_ID, "Avete un vino rosso?")
    slow_down = phrasebook("it").slow_down

    try:
        async with TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], tenant_id) as tail:
            await messaging.start()
            try:
                await publish(kafka_bootstrap, topic, burst)
                await tail.until(lambda t: turn_answered(t, burst[-1]))
                async with deps.sessions() as session:
                    stored = await session.scalar(
                        sa.select(sa.func.count()).where(
                            col(MessageRecord.tenant_id) == tenant_id,
                            col(MessageRecord.direction) == "in",
                        )
                    )
                await tail.until(
                    lambda t: slow_down in map(body_of, t.of(OutboundMessageRequested))
                )
                during = [body_of(r) for r in tail.of(OutboundMessageRequested)]

                clock.now += timedelta(seconds=61)
                await publish(kafka_bootstrap, topic, [later])
                await tail.until(
                    lambda t: (
                        turn_answered(t, later)
                        and len(t.of(OutboundMessageRequested)) > len(during)
                    )
                )
            finally:
                await messaging.stop()
    finally:
        await engine.dispose()

    assert stored == BURST, "every message of the burst is stored"
    assert during.count(slow_down) == 1, during
    assert during[-1] == slow_down, "nothing answered after the slow-down"
    assert len(during) <= 21, "at most the limit's answers before it"
    after = [body_of(r) for r in tail.of(OutboundMessageRequested)][len(during) :]
    assert len(after) == 1
    assert after[0] != slow_down, "answered again once the window has passed"
    turns = tail.of(AgentTurnCompleted)
    assert sum(len(t.data.message_ids) for t in turns) == BURST + 1, "each message in one turn"
