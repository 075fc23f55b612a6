"""The replicas' roster on a real database, and what it is for: two notifier replicas, each
with its own engine, split a number's tier, so what they send together keeps to it even when
their senders wake late and bunch (each replica's dispatch window sees only its own sends)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_notifier.adapters.pacer import DatabasePacer
from bancone_notifier.adapters.replica_roster import ReplicaRoster
from bancone_notifier.adapters.tables import PacingReplicaRecord
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.domain.replica_share import RosterTiming
from services.notifier.tests.service.test_notifier_pacer import (
    LateWakingClock,
    most_in_any_second,
    new_number,
)
from services.notifier.tests.support import FakeClock

pytestmark = pytest.mark.service

TIMING = RosterTiming(heartbeat_seconds=1.0)
_REPLICAS: sa.Table = PacingReplicaRecord.__table__  # type: ignore[attr-defined]


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """One engine per replica on one fresh database (a roster reads every row of its table)."""
    await upgrade_database(database_url, "bancone_notifier.migrations")
    first, second = create_engine(database_url), create_engine(database_url)
    async with first.begin() as connection:
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(_REPLICAS))
        ).scalar() == 0
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_replicas_split_the_tier_wait_to_join_and_free_their_share_on_leaving(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = FakeClock()
    first = ReplicaRoster(session_factory(engines[0]), TIMING, clock=clock, replica_id="a")
    second = ReplicaRoster(session_factory(engines[1]), TIMING, clock=clock, replica_id="b")

    await first.beat()
    assert first.share.share(80, clock.now()) == 80, "alone: the whole tier at once"

    await second.beat()
    assert second.share.members == ("a", "b")
    assert second.share.share(80, clock.now()) == 0, "a newcomer waits for room"
    await first.beat()
    assert first.share.share(80, clock.now()) == 40, "the first gave up half at its next beat"

    for _ in range(3):
        await clock.sleep(TIMING.heartbeat_seconds)
        await first.beat()
        await second.beat()
    assert (first.share.share(80, clock.now()), second.share.share(80, clock.now())) == (40, 40)

    await second.stop()
    await first.beat()
    assert first.share.members == ("a",)
    assert first.share.share(80, clock.now()) == 80, "a clean goodbye frees the share at once"


async def test_a_replica_that_died_without_a_goodbye_is_dropped_after_the_expiry(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    clock = FakeClock()
    first = ReplicaRoster(session_factory(engines[0]), TIMING, clock=clock, replica_id="a")
    dead = ReplicaRoster(session_factory(engines[1]), TIMING, clock=clock, replica_id="b")
    await dead.beat()
    await first.beat()
    assert first.share.members == ("a", "b")

    for _ in range(int(TIMING.expiry / TIMING.heartbeat_seconds) - 1):
        await clock.sleep(TIMING.heartbeat_seconds)
        await first.beat()
        assert first.share.members == ("a", "b"), "within the expiry the share stays split"
    await clock.sleep(TIMING.heartbeat_seconds)
    await first.beat()
    assert first.share.members == ("a",)
    assert first.share.share(80, clock.now()) == 80


async def test_two_replicas_woken_late_together_never_make_more_than_the_tier_in_any_second(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """Each replica's window alone keeps its own sends to the tier; two replicas each sending
    half of it never fill their windows, and their late wakers bunch beside the other's on-time
    sends at Meta. With the tier split between them, the union keeps to it."""
    timing = RosterTiming(heartbeat_seconds=0.1)
    tier = PacingLimits.for_tier(30, margin=0.02, lease_size=4)
    number = new_number()
    customers = (f"39{n:010d}" for n in itertools.count())
    left: list[float] = []
    rosters = [
        ReplicaRoster(session_factory(engine), timing, replica_id=name)
        for engine, name in zip(engines, ("a", "b"), strict=True)
    ]
    for roster in rosters:
        await roster.start()
    clocks = [LateWakingClock(every=3, late=0.15) for _ in rosters]
    pacers = [
        DatabasePacer(session_factory(engine), lambda _tier: tier, clock=clock, share=roster.share)
        for engine, clock, roster in zip(engines, clocks, rosters, strict=True)
    ]

    async def sender(pacer: DatabasePacer, clock: LateWakingClock) -> None:
        for _ in range(8):
            _slot, ticket = await pacer.granted(number, next(customers), "campaign")
            left.append(clock.now())
            await asyncio.sleep(0.002)  # the request's round trip
            ticket.answered()

    try:
        await asyncio.gather(
            *(
                sender(pacer, clock)
                for pacer, clock in zip(pacers, clocks, strict=True)
                for _ in range(8)
            )
        )
    finally:
        for roster in rosters:
            await roster.stop()

    assert len(left) == 2 * 8 * 8
    assert most_in_any_second(left) <= 30
    assert all(pacer.window_holds > 0 for pacer in pacers), "each window held to its share"
