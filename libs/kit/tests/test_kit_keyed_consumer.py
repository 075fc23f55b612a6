"""Keyed consumer on real Kafka: keys in parallel within one partition, each key in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.testing.probe import ProbeEvent

pytestmark = pytest.mark.service


async def committed(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(tp)
    finally:
        await consumer.stop()


async def test_a_slow_key_does_not_hold_up_another_key_on_the_same_partition(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    group = f"{topic}-g"
    event_type = ProbeEvent.on(topic)
    release_a = asyncio.Event()
    handled: list[str] = []
    b_done = asyncio.Event()
    all_done = asyncio.Event()

    async def handle(events: Sequence[ProbeEvent]) -> None:
        for event in events:
            if event.subject == "probe:a" and event.data.n == 1:
                await release_a.wait()
            handled.append(f"{event.subject}#{event.data.n}")
            if event.subject == "probe:b":
                b_done.set()
            if len(handled) == 3:
                all_done.set()

    broker = make_broker(kafka_bootstrap, client_id="keyed-test")
    subscribe_keyed(broker, topic, group=group, parse=event_type.model_validate_json, handle=handle)
    a1, a2, b1 = (
        event_type.make(1, key="probe:a"),
        event_type.make(2, key="probe:a"),
        event_type.make(1, key="probe:b"),
    )
    await broker.start()
    try:
        for event in (a1, a2, b1):
            await broker.publish(event.to_bytes(), topic=topic, key=event.key().encode())
        async with asyncio.timeout(60):
            await b_done.wait()
        assert handled == ["probe:b#1"], (
            "b served while a's first event waits; a's second waits behind it"
        )
        tp = TopicPartition(topic, 0)
        # a1 (offset 0) is still in flight: the group may have committed 0, never more.
        assert await committed(kafka_bootstrap, group, tp) in (None, 0), "nothing past a1"
        release_a.set()
        async with asyncio.timeout(60):
            await all_done.wait()
        assert handled == ["probe:b#1", "probe:a#1", "probe:a#2"], "a kept its order"
        async with asyncio.timeout(30):
            while await committed(kafka_bootstrap, group, tp) != 3:
                await asyncio.sleep(0.1)
    finally:
        await broker.stop()


async def test_fold_hands_queued_events_of_a_key_over_as_one_batch(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    event_type = ProbeEvent.on(topic)
    first_started, release_first = asyncio.Event(), asyncio.Event()
    batches: list[list[int]] = []
    done = asyncio.Event()

    async def handle(events: Sequence[ProbeEvent]) -> None:
        if not batches:
            first_started.set()
            await release_first.wait()
        batches.append([e.data.n for e in events])
        if sum(len(b) for b in batches) == 3:
            done.set()

    broker = make_broker(kafka_bootstrap, client_id="fold-test")
    dispatcher = subscribe_keyed(
        broker,
        topic,
        group=f"{topic}-g",
        parse=event_type.model_validate_json,
        handle=handle,
        fold=True,
    )
    await broker.start()
    try:
        first = event_type.make(1, key="probe:c")
        await broker.publish(first.to_bytes(), topic=topic, key=b"probe:c")
        async with asyncio.timeout(60):
            await first_started.wait()
        for n in (2, 3):
            await broker.publish(
                event_type.make(n, key="probe:c").to_bytes(), topic=topic, key=b"probe:c"
            )
        # Both must be queued behind the running one before it ends, then it is released.
        async with asyncio.timeout(60):
            while dispatcher.pending(b"probe:c") < 3:
                await asyncio.sleep(0.05)
        release_first.set()
        async with asyncio.timeout(60):
            await done.wait()
    finally:
        await broker.stop()
    assert batches == [[1], [2, 3]]
