"""The outbox relay on real Kafka, against PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.outbox import register_waker, stage
from bancone_kit.messaging.relay import BUSY_WINDOW, OutboxRelay, should_linger
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.testing.probe import ProbeEvent, create_probe_schema, effects, record_effect

pytestmark = pytest.mark.service


class RelayCrashError(Exception):
    """Stands for the relay process dying after Kafka acked and before the row was marked sent."""


@pytest.fixture(params=["postgres", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(database_url)
    await create_probe_schema(eng)
    yield eng
    await eng.dispose()


async def read_all(bootstrap: str, topic: str, expected: int) -> list[ProbeEvent]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got: list[ProbeEvent] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    got.extend(ProbeEvent.model_validate_json(r.value) for r in records)
    finally:
        await consumer.stop()
    return got


async def test_relay_killed_between_publish_and_mark_republishes_and_inbox_makes_one_effect(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event = ProbeEvent.on(topic).make(7)
    async with sessions() as session, session.begin():
        stage(session, event)

    async def crash(_: OutboxRecord) -> None:
        raise RelayCrashError

    broker = make_broker(kafka_bootstrap, client_id="relay-test")
    await broker.start()
    try:
        crashing = OutboxRelay(engine, broker, after_publish=crash)
        with pytest.raises(RelayCrashError):
            await crashing.publish_pending()
        restarted = OutboxRelay(engine, broker)
        assert await restarted.publish_pending() == 1
        assert await restarted.publish_pending() == 0, "row must be marked sent after restart"
    finally:
        await broker.stop()

    delivered = await read_all(kafka_bootstrap, topic, expected=2)
    assert [e.id for e in delivered] == [event.id, event.id], "published twice: at-least-once"
    for copy in delivered:
        await record_effect(sessions, "probe-consumer", copy)
    assert await effects(engine) == [(event.id, 7)]


async def test_relay_wakes_on_commit_without_waiting_for_the_poll_timer(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    broker = make_broker(kafka_bootstrap, client_id="relay-wake-test")
    await broker.start()
    relay = OutboxRelay(engine, broker, poll_interval=3600)  # the timer never fires in this test
    await relay.start()
    try:
        events = [ProbeEvent.on(topic).make(i) for i in range(3)]
        for event in events:
            async with sessions() as session, session.begin():
                stage(session, event)
        delivered = await read_all(kafka_bootstrap, topic, expected=3)
    finally:
        await relay.stop()
        await broker.stop()
    assert [e.id for e in delivered] == [e.id for e in events], "commit order kept"


async def test_after_a_quiet_spell_a_commit_is_published_without_the_linger(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    """The linger batches commits under load only: with an hour's linger, a lone commit to an
    idle relay still reaches the topic (it would wait the hour if the relay lingered)."""
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    broker = make_broker(kafka_bootstrap, client_id="relay-linger-test")
    await broker.start()
    relay = OutboxRelay(engine, broker, poll_interval=3600, linger=3600)
    await relay.start()
    try:
        event = ProbeEvent.on(topic).make(1)
        async with sessions() as session, session.begin():
            stage(session, event)
        delivered = await read_all(kafka_bootstrap, topic, expected=1)
    finally:
        await relay.stop(grace_seconds=1.0)
        await broker.stop()
    assert [e.id for e in delivered] == [event.id]


@pytest.mark.parametrize(
    ("since_last_batch", "lingers"), [(None, False), (0.01, True), (BUSY_WINDOW + 0.01, False)]
)
def test_the_relay_lingers_only_right_after_a_batch(
    since_last_batch: float | None, lingers: bool
) -> None:
    now = 1000.0
    last = None if since_last_batch is None else now - since_last_batch
    assert should_linger(now, last) is lingers


async def test_rolled_back_transaction_publishes_nothing(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def failing_business_change() -> None:
        async with sessions() as session, session.begin():
            stage(session, ProbeEvent.on(topic).make(1))
            raise RuntimeError("business change failed")

    with pytest.raises(RuntimeError):
        await failing_business_change()
    kept = ProbeEvent.on(topic).make(2)
    async with sessions() as session, session.begin():
        stage(session, kept)
    broker = make_broker(kafka_bootstrap, client_id="relay-rollback-test")
    await broker.start()
    try:
        assert await OutboxRelay(engine, broker).publish_pending() == 1
    finally:
        await broker.stop()
    assert [e.id for e in await read_all(kafka_bootstrap, topic, expected=1)] == [kept.id]


async def test_a_commit_sends_notify_only_when_no_relay_of_this_process_will_wake(
    postgres_url: str,
) -> None:
    """`NOTIFY` wakes relays in other processes; with one in this process it is a statement
    per staging transaction for nothing (that relay publishes every replica's rows)."""
    engine = create_async_engine(postgres_url)
    await create_probe_schema(engine)
    statements: list[str] = []
    sa_event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_rest: statements.append(statement),
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def notified_on_commit() -> bool:
        statements.clear()
        async with sessions() as session, session.begin():
            stage(session, ProbeEvent.on("bancone.probe.v1").make(1))
        return any("pg_notify" in statement for statement in statements)

    try:
        assert await notified_on_commit(), "no relay here: other processes are told"
        woken: list[bool] = []
        waker = register_waker(
            engine.url.render_as_string(hide_password=False), lambda: woken.append(True)
        )
        assert not await notified_on_commit(), "this process's relay takes it"
        assert woken == [True]
        del waker
    finally:
        await engine.dispose()


async def test_a_batch_is_published_in_commit_order_and_marked_sent_once_all_are_acked(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    """The relay hands the whole batch to the producer before awaiting the acks: the topic
    still holds the rows in commit order, and every row is marked sent."""
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    events = [ProbeEvent.on(topic).make(i) for i in range(60)]
    for event in events:
        async with sessions() as session, session.begin():
            stage(session, event)
    broker = make_broker(kafka_bootstrap, client_id="relay-batch-test")
    await broker.start()
    try:
        relay = OutboxRelay(engine, broker, batch_size=25)
        assert [await relay.publish_pending() for _ in range(4)] == [25, 25, 10, 0]
    finally:
        await broker.stop()
    delivered = await read_all(kafka_bootstrap, topic, expected=60)
    assert [e.id for e in delivered] == [e.id for e in events]


async def test_a_batch_whose_send_fails_marks_nothing_sent(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    """A record Kafka refuses (over its size limit) fails the batch after the other sends
    are settled: no row of it is marked sent, so the next round publishes them again."""
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        stage(session, ProbeEvent.on(topic).make(1))
        too_big = ProbeEvent.on(topic).make(2)
        stage(session, too_big)
    async with sessions() as session, session.begin():
        rows = sa.select(OutboxRecord).where(sa.column("topic") == topic).order_by(sa.column("seq"))
        row = (await session.scalars(rows)).all()[-1]
        row.payload = b"x" * 2_000_000  # past the producer's max_request_size (1 MiB)
    broker = make_broker(kafka_bootstrap, client_id="relay-fail-test")
    await broker.start()
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - whichever error the producer raises
            await OutboxRelay(engine, broker).publish_pending()
    finally:
        await broker.stop()
    async with sessions() as session:
        unsent = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxRecord)
            .where(sa.column("topic") == topic, sa.column("sent_at").is_(None))
        )
    assert unsent == 2
