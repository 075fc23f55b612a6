"""On real Kafka: a quiet tenant's record behind another tenant's flood on the same partition
is read past the flood and handled in the first round of slots."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import pytest

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.testing.probe import ProbeEvent

pytestmark = pytest.mark.service

FLOOD = 1000
SLOTS = 8


async def test_a_quiet_tenant_behind_a_flood_on_its_partition_is_handled_before_it_drains(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    event_type = ProbeEvent.on(topic)
    producer = make_broker(kafka_bootstrap, client_id="flood-producer")
    await producer.start()
    try:
        for n in range(FLOOD):
            key = f"shop-a:c{n % 50}"
            event = event_type.make(n, key=key)
            await producer.publish(event.to_bytes(), topic=topic, key=key.encode())
        quiet = event_type.make(0, key="shop-b:c1")
        await producer.publish(quiet.to_bytes(), topic=topic, key=b"shop-b:c1")
    finally:
        await producer.stop()

    # The flood's turns are slow (think LLM): they hold their slots until the quiet tenant's
    # record has been read; what is asserted is the order of handling, never a duration.
    b_read = asyncio.Event()
    handled: list[str] = []
    all_done = asyncio.Event()

    async def handle(events: Sequence[ProbeEvent]) -> None:
        for event in events:
            if event.subject.startswith("shop-a"):
                await b_read.wait()
            handled.append(event.subject)
        if len(handled) == FLOOD + 1:
            all_done.set()

    consumer = make_broker(kafka_bootstrap, client_id="flood-consumer")
    dispatcher = subscribe_keyed(
        consumer,
        topic,
        group=f"{topic}-g",
        parse=event_type.model_validate_json,
        handle=handle,
        max_in_flight=SLOTS,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while dispatcher.pending(b"shop-b:c1") == 0 and "shop-b:c1" not in handled:
                await asyncio.sleep(0.05)
        b_read.set()
        async with asyncio.timeout(120):
            await all_done.wait()
    finally:
        await consumer.stop()
    # Ahead of it: the flood turns holding the slots when it was read, and at most one more
    # flood turn that the rotation picked first.
    position = handled.index("shop-b:c1")
    assert position <= SLOTS + 1, f"the quiet tenant waited behind {position} flood records"
