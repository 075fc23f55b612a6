"""Poison events go to `<topic>.dlq` with the error, and the partition keeps flowing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bancone_contracts.topics import dlq
from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import one_at_a_time
from bancone_kit.testing.probe import ProbeEvent, create_probe_schema, effects, record_effect

pytestmark = pytest.mark.service


class PoisonError(Exception):
    pass


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(sqlite_url)
    await create_probe_schema(eng)
    yield eng
    await eng.dispose()


async def dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict[str, str]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[dict[str, str]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        headers = {k: v.decode() for k, v in r.headers}
                        headers["value"] = r.value.decode(errors="replace")
                        found.append(headers)
    finally:
        await consumer.stop()
    return found


async def test_poison_event_goes_to_dlq_with_error_and_partition_keeps_flowing(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event_type = ProbeEvent.on(topic)
    attempts_seen: list[int] = []
    done = asyncio.Event()

    async def handle(event: ProbeEvent) -> None:
        if event.data.poison:
            attempts_seen.append(event.data.n)
            raise PoisonError(f"cannot handle probe {event.data.n}")
        await record_effect(sessions, "dlq-test", event)
        done.set()

    broker = make_broker(kafka_bootstrap, client_id="dlq-test")
    subscribe_keyed(
        broker,
        topic,
        group="dlq-test",
        parse=event_type.model_validate_json,
        handle=one_at_a_time(handle),
        retry=RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05),
    )
    poison = event_type.make(1, poison=True)
    healthy = event_type.make(2)
    await broker.start()
    try:
        await broker.publish(b"{not json", topic=topic, key=b"probe:k")
        await broker.publish(poison.to_bytes(), topic=topic, key=b"probe:k")
        await broker.publish(healthy.to_bytes(), topic=topic, key=b"probe:k")
        async with asyncio.timeout(60):
            await done.wait()
    finally:
        await broker.stop()

    assert attempts_seen == [1, 1, 1], "retried up to the limit"
    assert await effects(engine) == [(healthy.id, 2)], "the event behind the poison was handled"
    garbage, dead = await dead_letters(kafka_bootstrap, dlq(topic), expected=2)
    assert garbage["dlq-attempts"] == "0", "unparseable events are not retried"
    assert garbage["value"] == "{not json"
    assert dead["dlq-error-type"] == "PoisonError"
    assert dead["dlq-error"] == "cannot handle probe 1"
    assert dead["dlq-attempts"] == "3"
    assert dead["dlq-source-topic"] == topic
    assert ProbeEvent.model_validate_json(dead["value"]).id == poison.id
