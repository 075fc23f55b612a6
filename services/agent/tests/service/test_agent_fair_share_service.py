"""One tenant's flood does not delay another tenant's customer (DESIGN.md, Tenancy), on real
Kafka and PostgreSQL, without timing.

Tenant A floods 1,000 messages (100 customers, 10 each) onto a one-partition inbound topic;
tenant B's single message sits behind all of them. A's turns are held at the assistant (think:
a slow LLM) until the agent has read B's record past the flood — the consumer must read ahead
for that — then everything runs. B's reply must be staged among the first few, long before
A's flood drains; positions are compared, never durations.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.tables import MessageRecord
from bancone_agent.bootstrap import build_app
from bancone_agent.domain import OfflineAssistant
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import OUTBOUND
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import OutboxRecord
from services.agent.tests.support.service import (
    Cellar,
    GatedAssistant,
    TopicTail,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

FLOOD = 1000
CUSTOMERS = 100
SLOTS = 8


async def staged_reply_tenants(engine: AsyncEngine, tenants: set[str]) -> list[str]:
    """The tenant of each reply staged for `tenants`, in outbox order (the order the turns
    committed, which is the order the relay publishes them in)."""
    async with engine.connect() as connection:
        keys = await connection.scalars(
            sa.select(col(OutboxRecord.key))
            .where(col(OutboxRecord.topic) == OUTBOUND)
            .order_by(col(OutboxRecord.seq))
        )
        return [t for t in (k.split(":", 1)[0] for k in keys) if t in tenants]


async def stored_inbound(engine: AsyncEngine, tenant_id: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.select(sa.func.count()).where(
                col(MessageRecord.tenant_id) == tenant_id, col(MessageRecord.direction) == "in"
            )
        )
    return int(count or 0)


async def test_a_quiet_tenants_reply_is_staged_before_another_tenants_flood_of_1000_drains(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    run = uuid.uuid4().hex[:8]
    flooding, quiet = f"flood-{run}", f"quiet-{run}"
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=1, name_prefix="agent-fair")
    gated = GatedAssistant(OfflineAssistant())
    gated.hold("Buonasera")
    app = build_app(
        AgentSettings(
            database_url=postgres_url, kafka_bootstrap_servers=kafka_bootstrap, max_in_flight=SLOTS
        ),
        assistant=gated,
        tools_for=lambda _: Cellar(),
        subscriptions=[Subscription(InboundMessageReceived, topic, f"g-{run}", fold=True)],
    )
    flood = [
        inbound(flooding, f"3933{n % CUSTOMERS:08d}", f"Buonasera, un vino rosso? {n}")
        for n in range(FLOOD)
    ]
    single = inbound(quiet, "393399999999", "Ciao, avete un vino rosso?")

    engine = create_engine(postgres_url)
    try:
        async with TopicTail(kafka_bootstrap, [OUTBOUND], quiet) as tail, running(app):
            [consumer] = app.state.dispatchers
            await publish(kafka_bootstrap, topic, [*flood, single])
            await gated.arrived("Buonasera", count=SLOTS)
            async with asyncio.timeout(120):
                while consumer.pending(single.key().encode()) == 0:
                    await asyncio.sleep(0.05)
            gated.release("Buonasera")
            await tail.until(lambda t: bool(t.of(OutboundMessageRequested)), seconds=120)
            async with asyncio.timeout(600):
                while await stored_inbound(engine, flooding) < FLOOD:
                    await asyncio.sleep(0.5)
            order = await staged_reply_tenants(engine, {flooding, quiet})
    finally:
        await engine.dispose()

    flood_replies = order.count(flooding)
    assert flood_replies >= CUSTOMERS, "every flooding customer was answered"
    position = order.index(quiet)
    # Ahead of it: the flood's turns holding the slots when it was read, and at most one more
    # round of them (each slot that frees goes to the next tenant in turn).
    assert position <= 2 * SLOTS, f"the quiet tenant's reply came after {position} flood replies"
    assert position < flood_replies, "long before the flood drained"
