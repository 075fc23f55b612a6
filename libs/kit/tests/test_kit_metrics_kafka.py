"""On real Kafka, the broker from `make_broker` counts what it consumes and publishes per
topic, a poison event moves the DLQ counter, and keyed consumers time their handlers — all
in the registry `/metrics` serves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bancone_contracts.topics import dlq
from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.metrics import render
from bancone_kit.testing.probe import ProbeEvent, create_probe_schema, record_effect

pytestmark = pytest.mark.service

CLIENT = "kit-metrics-test"


class PoisonError(Exception):
    pass


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(sqlite_url)
    await create_probe_schema(eng)
    yield eng
    await eng.dispose()


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


async def test_consumed_published_and_dead_lettered_events_are_counted_per_topic(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event_type = ProbeEvent.on(topic)
    handled = asyncio.Event()

    async def handle(events: Sequence[ProbeEvent]) -> None:
        for event in events:
            if event.data.poison:
                raise PoisonError(f"cannot handle probe {event.data.n}")
            await record_effect(sessions, "metrics-test", event)
        handled.set()

    broker = make_broker(kafka_bootstrap, client_id=CLIENT)
    subscribe_keyed(
        broker,
        topic,
        group="metrics-test",
        parse=event_type.model_validate_json,
        handle=handle,
        retry=RetryPolicy(attempts=2, initial_delay=0.01, max_delay=0.05),
    )
    kafka = {"app_name": CLIENT, "broker": "kafka"}
    await broker.start()
    try:
        await broker.publish(b"{not json", topic=topic, key=b"probe:k")
        await broker.publish(
            event_type.make(1, poison=True).to_bytes(), topic=topic, key=b"probe:k"
        )
        await broker.publish(event_type.make(2).to_bytes(), topic=topic, key=b"probe:k")
        async with asyncio.timeout(60):
            await handled.wait()
        # The counters move after the handler returns: wait for the third record's to land.
        await until(
            lambda: (
                value(
                    "faststream_received_processed_messages_total",
                    **kafka,
                    handler=topic,
                    status="acked",
                )
                == 3
            )
        )
    finally:
        await broker.stop()

    assert value("faststream_received_messages_total", **kafka, handler=topic) == 3
    assert (
        value(
            "faststream_received_processed_messages_duration_seconds_count", **kafka, handler=topic
        )
        == 3
    ), "handler latency observed once per record"
    assert (
        value("faststream_published_messages_total", **kafka, destination=topic, status="success")
        == 3
    )
    assert (
        value(
            "faststream_published_messages_total", **kafka, destination=dlq(topic), status="success"
        )
        == 2
    ), "the garbage and the poison event were published to the DLQ"
    assert value("bancone_events_dead_lettered_total", topic=topic) == 2

    text = (await render())[0].decode()
    assert f'bancone_events_dead_lettered_total{{topic="{topic}"}} 2.0' in text
    assert f'handler="{topic}"' in text, "served by /metrics, not just held in memory"


async def test_keyed_consumers_time_the_handler_not_just_the_enqueue(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    event_type = ProbeEvent.on(topic)
    release = asyncio.Event()

    async def handle(events: Sequence[ProbeEvent]) -> None:
        for event in events:
            if event.data.poison:
                raise PoisonError("poison")
            await release.wait()

    client = "kit-metrics-keyed-test"
    broker = make_broker(kafka_bootstrap, client_id=client)
    subscribe_keyed(
        broker,
        topic,
        group=f"{topic}-g",
        parse=event_type.model_validate_json,
        handle=handle,
        retry=RetryPolicy(attempts=1, initial_delay=0.01, max_delay=0.01),
    )
    kafka = {"app_name": client, "broker": "kafka", "handler": topic}
    handled = {"topic": topic, "outcome": "handled"}
    dead = {"topic": topic, "outcome": "dead_lettered"}
    await broker.start()
    try:
        healthy = event_type.make(1, key="probe:a")
        poison = event_type.make(2, key="probe:b", poison=True)
        await broker.publish(healthy.to_bytes(), topic=topic, key=b"probe:a")
        await broker.publish(poison.to_bytes(), topic=topic, key=b"probe:b")
        await until(lambda: value("bancone_event_handler_seconds_count", **dead) == 1)
        await until(
            lambda: (
                value("faststream_received_processed_messages_total", **kafka, status="acked") == 2
            )
        )
        assert value("bancone_event_handler_seconds_count", **handled) == 0, (
            "FastStream counted the queued record done; the handler is still waiting"
        )
        release.set()
        await until(lambda: value("bancone_event_handler_seconds_count", **handled) == 1)
    finally:
        await broker.stop()
    assert value("bancone_events_dead_lettered_total", topic=topic) == 1
