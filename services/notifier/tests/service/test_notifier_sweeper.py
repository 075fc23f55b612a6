"""The sweeper on a real database (PostgreSQL and SQLite): `inbound_seen` rows past their
retention go and recent ones stay (a quoting reply still finds them, the window is untouched);
idle pacing pairs go, pairs still spaced or blocked stay; batches smaller than the backlog
delete all of it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bancone_kit.clock import utcnow
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_notifier.adapters import consent_store
from bancone_notifier.adapters.tables import InboundSeenRecord, PacingPairRecord
from bancone_notifier.sweeper import Sweeper, SweeperSettings

pytestmark = pytest.mark.service

TENANT = "enoteca"
NUMBER = "106540352242922"


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url, "bancone_notifier.migrations")
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


async def seen(engine: AsyncEngine, customer: str, message_id: str, age: timedelta) -> None:
    async with session_factory(engine)() as session, session.begin():
        await consent_store.record_inbound(
            session,
            tenant_id=TENANT,
            phone_number_id=NUMBER,
            customer_id=customer,
            message_id=message_id,
            received_at=utcnow() - age,
        )
        await session.exec(
            sa.update(InboundSeenRecord)
            .where(col(InboundSeenRecord.message_id) == message_id)
            .values(recorded_at=utcnow() - age)
        )


async def seen_ids(engine: AsyncEngine) -> set[str]:
    async with session_factory(engine)() as session:
        return set((await session.exec(select(InboundSeenRecord.message_id))).all())


async def pair_customers(engine: AsyncEngine) -> set[str]:
    async with session_factory(engine)() as session:
        return set((await session.exec(select(PacingPairRecord.customer_id))).all())


async def test_old_inbound_seen_rows_go_and_recent_ones_stay(engine: AsyncEngine) -> None:
    old = [f"wamid.old-{uuid.uuid4().hex}" for _ in range(5)]
    for n, message_id in enumerate(old):
        await seen(engine, f"39333000{n}", message_id, timedelta(days=8))
    recent = f"wamid.new-{uuid.uuid4().hex}"
    await seen(engine, "393330000", recent, timedelta(hours=30))
    sweeper = Sweeper(session_factory(engine), SweeperSettings(batch_size=2))

    pruned = await sweeper.sweep_once()

    assert pruned.inbound_seen == 5
    assert await seen_ids(engine) == {recent}
    async with session_factory(engine)() as session:
        assert await consent_store.inbound_seen(session, TENANT, recent)
        last = await consent_store.last_inbound_at(session, TENANT, NUMBER, "393330000")
    assert last is not None, "the window's own table is not pruned"
    assert (await sweeper.sweep_once()).inbound_seen == 0, "a second pass finds nothing"


async def test_the_retention_is_a_setting(engine: AsyncEngine) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    await seen(engine, "393331111", message_id, timedelta(hours=30))
    week = Sweeper(session_factory(engine))
    day_and_a_bit = Sweeper(
        session_factory(engine), SweeperSettings(inbound_seen_retention=timedelta(hours=25))
    )

    assert (await week.sweep_once()).inbound_seen == 0
    assert (await day_and_a_bit.sweep_once()).inbound_seen == 1
    assert await seen_ids(engine) == set()


async def test_idle_pacing_pairs_go_and_spaced_or_blocked_pairs_stay(engine: AsyncEngine) -> None:
    now = time.time()
    rows = {
        "idle-1": (now - 3600, 0.0),
        "idle-2": (now - 120, now - 120),
        "idle-3": (now - 61, 0.0),
        "spaced": (now + 6, 0.0),
        "blocked": (now - 3600, now + 30),
        "just-sent": (now - 10, 0.0),  # inside the idle margin
    }
    async with session_factory(engine)() as session, session.begin():
        for customer, (next_at, blocked_until) in rows.items():
            session.add(
                PacingPairRecord(
                    phone_number_id=NUMBER,
                    customer_id=customer,
                    next_at=next_at,
                    blocked_until=blocked_until,
                )
            )
    sweeper = Sweeper(session_factory(engine), SweeperSettings(batch_size=2))

    pruned = await sweeper.sweep_once()

    assert pruned.pacing_pairs == 3
    assert await pair_customers(engine) == {"spaced", "blocked", "just-sent"}


async def test_the_started_sweeper_runs_on_its_interval_and_stops(engine: AsyncEngine) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    await seen(engine, "393332222", message_id, timedelta(days=8))
    sweeper = Sweeper(session_factory(engine), SweeperSettings(interval_seconds=0.01))
    sweeper.start()
    try:
        async with asyncio.timeout(30):
            while await seen_ids(engine):
                await asyncio.sleep(0.02)
    finally:
        await sweeper.stop()
    assert await seen_ids(engine) == set()
