"""The pacer shared by notifier replicas, on a real database: two `DatabasePacer`s with their
own engines ("replicas") on one PostgreSQL never grant more than the tier in any second of the
shared timeline, lease campaign slots in batches, let replies go first, and honour each
other's back-offs. Time is a fake clock: counts are asserted, never durations."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.events.outbound import OutboundTemplate
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters.pacer import DatabasePacer
from bancone_notifier.adapters.pacing_clock import SystemClock
from bancone_notifier.adapters.tables import OutboundMessageRecord, PacingNumberRecord
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.domain.sending import GraphError, Rejected
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.outbound_sending import handle_outbound_requested
from services.notifier.tests.support import (
    EventFactory,
    FakeClock,
    FakeGraphApi,
    new_keyring,
    new_wa_id,
)

pytestmark = pytest.mark.service

TIER = 80.0
LIMITS = PacingLimits(
    rate_per_second=TIER, pair_interval_seconds=6.0, campaign_horizon_seconds=0.25, lease_size=4
)


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """One engine per replica: separate connection pools on the same database."""
    await upgrade_database(database_url, "bancone_notifier.migrations")
    first, second = create_engine(database_url), create_engine(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def replicas(
    engines: tuple[AsyncEngine, AsyncEngine], clock: FakeClock
) -> tuple[DatabasePacer, DatabasePacer]:
    return (
        DatabasePacer(session_factory(engines[0]), lambda _tier: LIMITS, clock=clock),
        DatabasePacer(session_factory(engines[1]), lambda _tier: LIMITS, clock=clock),
    )


def new_number() -> str:
    return f"1065{uuid.uuid4().int % 10**11:011d}"


def most_in_any_second(times: list[float]) -> int:
    """The largest count of grants inside any window [t, t + 1) of the timeline."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0 - 1e-6:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_two_replicas_together_never_exceed_the_tier_in_any_second(
    replicas: tuple[DatabasePacer, DatabasePacer], clock: FakeClock
) -> None:
    number = new_number()
    grants: dict[int, list[float]] = {0: [], 1: []}
    customers = (f"39{n:010d}" for n in itertools.count())
    late: list[float] = []

    async def sender(replica: int, priority: Priority, count: int) -> None:
        for _ in range(count):
            slot = await replicas[replica].grant(number, next(customers), priority)
            grants[replica].append(slot)
            late.append(clock.now() - slot)

    workers = [sender(r, "campaign", 15) for r in (0, 1) for _ in range(12)]
    workers += [sender(r, "reply", 10) for r in (0, 1)]
    await asyncio.gather(*workers)

    everything = grants[0] + grants[1]
    assert len(everything) == 2 * 12 * 15 + 2 * 10
    assert grants[0], "the first replica sent"
    assert grants[1], "the second replica sent"
    assert most_in_any_second(everything) <= TIER
    assert len(set(everything)) == len(everything), "no slot handed out twice"
    assert min(late) >= -1e-6, "nobody sent before its slot"
    # Campaign slots are leased in batches: the shared row is written far less than once a send.
    writes = replicas[0].number_writes + replicas[1].number_writes
    assert writes <= len(everything) // 2


async def test_a_reply_goes_ahead_of_campaign_traffic_that_filled_the_horizon(
    replicas: tuple[DatabasePacer, DatabasePacer], clock: FakeClock
) -> None:
    number = new_number()
    first, second = replicas
    campaign = [await first.grant(number, new_wa_id(), "campaign") for _ in range(3)]
    while (await first._lease(number)).slots:  # the campaign books the whole horizon
        pass
    asked_at = clock.now()

    reply = await second.grant(number, new_wa_id(), "reply")
    next_campaign = await second.grant(number, new_wa_id(), "campaign")

    assert reply - asked_at <= LIMITS.campaign_horizon_seconds + 1e-6
    assert next_campaign > reply
    assert reply > max(campaign)


async def test_a_back_off_from_one_replica_holds_the_number_on_the_other(
    replicas: tuple[DatabasePacer, DatabasePacer], clock: FakeClock
) -> None:
    number = new_number()
    first, second = replicas
    await first.grant(number, new_wa_id(), "reply")
    start = clock.now()
    first.back_off(number, None, 2.0)
    await first.drain()

    assert await second.grant(number, new_wa_id(), "reply") >= start + 2.0 - 1e-6
    assert await second.grant(number, new_wa_id(), "campaign") >= start + 2.0 - 1e-6


async def test_a_pair_back_off_holds_only_that_customer(
    replicas: tuple[DatabasePacer, DatabasePacer], clock: FakeClock
) -> None:
    number = new_number()
    first, second = replicas
    held, other = new_wa_id(), new_wa_id()
    start = clock.now()
    first.back_off(number, held, 10.0)
    await first.drain()

    assert await second.grant(number, other, "reply") < start + 1.0
    assert await second.grant(number, held, "reply") >= start + 10.0 - 1e-6


async def test_campaign_messages_to_one_customer_keep_the_pair_spacing_but_replies_do_not(
    replicas: tuple[DatabasePacer, DatabasePacer], clock: FakeClock
) -> None:
    number = new_number()
    first, second = replicas
    customer = new_wa_id()
    start = clock.now()
    await first.grant(number, customer, "reply")

    # The AI's answer right after the operator's: not held by the pair spacing.
    assert await second.grant(number, customer, "reply") < start + 1.0
    # A campaign message to the same customer waits the pair interval, on any replica.
    assert await first.grant(number, customer, "campaign") >= start + 6.0 - 1e-6


async def test_a_number_with_its_own_tier_is_paced_at_it(
    engines: tuple[AsyncEngine, AsyncEngine], clock: FakeClock
) -> None:
    number = new_number()
    sessions = session_factory(engines[0])

    def limits(tier: float | None) -> PacingLimits:
        return PacingLimits(rate_per_second=tier or TIER)

    pacer = DatabasePacer(sessions, limits, clock=clock)
    await pacer.grant(number, new_wa_id(), "reply")
    async with sessions() as session, session.begin():
        await (await session.connection()).execute(
            sa.update(PacingNumberRecord.__table__)  # type: ignore[attr-defined]
            .where(sa.column("phone_number_id") == number)
            .values(tier_per_second=20.0)
        )
    slots = [await pacer.grant(number, new_wa_id(), "campaign") for _ in range(40)]
    assert most_in_any_second(slots) <= 20


async def test_the_send_path_backs_off_on_130429_and_sends_once_it_passes(
    engines: tuple[AsyncEngine, AsyncEngine], clock: FakeClock
) -> None:
    keyring = new_keyring()
    events = EventFactory(keyring=keyring, tenant_id=f"t-{uuid.uuid4().hex[:10]}")
    graph = FakeGraphApi(Rejected(GraphError(429, 130429, retry_after_seconds=3.0)))
    sessions = session_factory(engines[0])
    pacer = DatabasePacer(sessions, lambda _tier: LIMITS, clock=clock)
    deps = NotifierDeps(
        sessions=sessions,
        graph=graph,
        channel_box=SecretBox(Keyring.parse(keyring)),
        send_retry=RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0, jitter=0.0),
        rules=ComplianceRules(enforce_window=False),
        pacer=pacer,
    )
    await handle_channel_changed(events.channel(), deps)
    start = clock.now()
    outbound = events.outbound(new_wa_id())

    await handle_outbound_requested(outbound, deps)
    await pacer.drain()

    assert len(graph.calls) == 2
    assert clock.now() >= start + 3.0 - 1e-6, "the second attempt waited out Retry-After"
    async with sessions() as session:
        row = await session.get(OutboundMessageRecord, outbound.data.outbound_id)
        bucket = await session.get(PacingNumberRecord, events.phone_number_id)
    assert row is not None
    assert (row.state, row.attempts) == ("accepted", 2)
    assert bucket is not None
    assert bucket.blocked_until >= start + 3.0 - 1e-6


class RecordingPacer:
    """Keeps what the send path asked the pacer for."""

    def __init__(self) -> None:
        self.acquired: list[tuple[str, str, Priority]] = []

    async def acquire(self, phone_number_id: str, recipient: str, priority: Priority) -> None:
        self.acquired.append((phone_number_id, recipient, priority))

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        return None


async def test_the_send_path_paces_replies_first_and_marketing_templates_as_campaign_traffic(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    keyring = new_keyring()
    events = EventFactory(keyring=keyring, tenant_id=f"t-{uuid.uuid4().hex[:10]}")
    pacer = RecordingPacer()
    deps = NotifierDeps(
        sessions=session_factory(engines[0]),
        graph=FakeGraphApi(),
        channel_box=SecretBox(Keyring.parse(keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0, jitter=0.0),
        rules=ComplianceRules(enforce_window=False, check_templates=False),  # pacing only
        pacer=pacer,
    )
    await handle_channel_changed(events.channel(), deps)
    customer = new_wa_id()
    offer = OutboundTemplate(name="new_offer", language_code="it", category="marketing")
    order = OutboundTemplate(name="order_shipped", language_code="it", category="utility")

    for content in (None, offer, order):
        await handle_outbound_requested(events.outbound(customer, content), deps)

    number = events.phone_number_id
    assert pacer.acquired == [
        (number, customer, "reply"),
        (number, customer, "campaign"),
        (number, customer, "reply"),
    ]


class LateWakingClock(SystemClock):
    """The real clock, but every `every`-th sleep wakes `late` seconds after it should: a
    sender whose event loop was busy elsewhere when its slot came."""

    def __init__(self, every: int, late: float) -> None:
        self.every, self.late, self.sleeps = every, late, 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        extra = self.late if seconds > 0 and self.sleeps % self.every == 0 else 0.0
        await super().sleep(seconds + extra)


async def test_sends_woken_late_never_make_more_than_the_tier_in_any_second(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """Slots are times to wake up, and a sender woken 120 ms late would leave beside the
    on-time ones after it: 31 in a second at a 30/s tier, Meta's 130429. What leaves (the
    moment `grant` returns, on the real clock) keeps to the tier in every sliding second."""
    clock = LateWakingClock(every=5, late=0.12)
    tier = PacingLimits.for_tier(30, margin=0.02, lease_size=4)
    pacer = DatabasePacer(session_factory(engines[0]), lambda _tier: tier, clock=clock)
    number = new_number()
    customers = (f"39{n:010d}" for n in itertools.count())
    left: list[float] = []

    async def sender() -> None:
        for _ in range(9):
            _slot, ticket = await pacer.granted(number, next(customers), "campaign")
            left.append(clock.now())
            await asyncio.sleep(0.002)  # the request's round trip
            ticket.answered()

    await asyncio.gather(*(sender() for _ in range(10)))

    assert len(left) == 90
    assert most_in_any_second(left) <= 30
    assert pacer.window_holds > 0, "late senders made the window hold the ones after them"
