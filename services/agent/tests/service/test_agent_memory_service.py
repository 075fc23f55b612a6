"""Conversation memory as the handler keeps it, on real PostgreSQL: a follow-up is answered
from the conversation's own memory, the same customer writing to another shop starts with
none, and a resolved conversation quiet past the gap starts afresh."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationMemoryRecord, ConversationRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.memory import Memory
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_contracts import parse_event
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import OutboxRecord
from services.agent.tests.support.memory_shop import demo_shop
from services.agent.tests.support.service import body_of, inbound

pytestmark = pytest.mark.service

WA_ID = "393330001122"


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    eng = create_engine(postgres_url)
    yield eng
    await eng.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def deps_for(engine: AsyncEngine, clock: Clock) -> AgentDeps:
    shop = demo_shop()
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: shop,
        shop_for=lambda _: Shop("Enoteca Prova"),
        clock=clock,
        memory_fresh_after=timedelta(hours=1),
    )


async def replies(engine: AsyncEngine, tenant_id: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(col(OutboxRecord.payload))
            .where(col(OutboxRecord.key).startswith(f"{tenant_id}:"))
            .order_by(col(OutboxRecord.seq))
        )
        events = [parse_event(None, payload) for (payload,) in rows]
    return [body_of(e) for e in events if isinstance(e, OutboundMessageRequested)]


async def memory_of(engine: AsyncEngine, tenant_id: str) -> Memory | None:
    async with sessions_of(engine)() as session:
        record = await session.scalar(
            sa.select(ConversationMemoryRecord).where(
                col(ConversationMemoryRecord.tenant_id) == tenant_id
            )
        )
    return Memory.model_validate(record.memory) if record is not None else None


async def test_a_follow_up_uses_its_own_conversation_s_memory_and_no_other_tenant_s(
    engine: AsyncEngine,
) -> None:
    shop_a, shop_b = (f"shop-{uuid.uuid4().hex[:10]}" for _ in range(2))
    deps = deps_for(engine, Clock())

    await handle_inbound(inbound(shop_a, WA_ID, "Avete vino rosso?"), deps)
    await handle_inbound(inbound(shop_a, WA_ID, "e sotto i 15 euro?"), deps)
    await handle_inbound(inbound(shop_a, WA_ID, "quanto costa il primo?"), deps)
    await handle_inbound(inbound(shop_b, WA_ID, "quanto costa il primo?"), deps)

    memory = await memory_of(engine, shop_a)
    assert memory is not None
    assert len(memory.exchanges) == 3
    first_cheap = memory.exchanges[1].assistant.splitlines()[1]
    answer_a = (await replies(engine, shop_a))[-1]
    assert first_cheap.split("—")[0] in answer_a
    (answer_b,) = await replies(engine, shop_b)
    assert "•" not in answer_b
    memory_b = await memory_of(engine, shop_b)
    assert memory_b is not None
    assert memory_b.shown == ()


async def test_a_resolved_conversation_quiet_past_the_gap_forgets_what_it_showed(
    engine: AsyncEngine,
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    clock = Clock()
    deps = deps_for(engine, clock)
    await handle_inbound(inbound(tenant_id, WA_ID, "Avete vino rosso?"), deps)
    async with sessions_of(engine).begin() as tx:
        await tx.execute(
            sa.update(ConversationRecord)
            .where(col(ConversationRecord.tenant_id) == tenant_id)
            .values(state="resolved")
        )
    clock.now += timedelta(hours=2)

    await handle_inbound(inbound(tenant_id, WA_ID, "quanto costa il primo?"), deps)

    memory = await memory_of(engine, tenant_id)
    assert memory is not None
    assert [e.customer for e in memory.exchanges] == ["quanto costa il primo?"]
    assert "•" not in (await replies(engine, tenant_id))[-1]
