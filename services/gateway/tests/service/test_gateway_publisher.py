"""The webhook publisher on real Kafka: it returns only after the acks, fails within its timeout."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from bancone_contracts.events import InboundMessageReceived
from bancone_contracts.events.inbound import Customer, InboundMessage, TextContent
from bancone_gateway.adapters.publisher import EventPublishError, KafkaEventPublisher
from bancone_kit.messaging.broker import make_broker

pytestmark = pytest.mark.service


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(kafka_bootstrap, client_id="gateway-publisher-test")
    await broker.start()
    yield broker
    await broker.stop()


def message(topic_name: str, customer: str, n: int) -> InboundMessageReceived:
    class OnTopic(InboundMessageReceived):
        """The real event, published to a test topic."""

        topic: ClassVar[str] = topic_name

    return OnTopic.new(
        tenant_id="demo",
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="PN1",
            customer=Customer(wa_id=customer),
            timestamp=datetime.now(UTC),
            content=TextContent(body=f"message {n}"),
        ),
    )


async def test_events_are_acknowledged_in_order_per_key_when_publish_returns(
    broker: KafkaBroker, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=3)
    events = [message(topic, f"39333000000{n % 2}", n) for n in range(10)]

    await KafkaEventPublisher(broker, timeout=10).publish(events)

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        assert sum(ends.values()) == 10, "every event was on Kafka when publish returned"
        for tp in tps:
            consumer.seek(tp, 0)
        got: list[Any] = []
        async with asyncio.timeout(30):
            while len(got) < 10:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    got.extend(records)
    finally:
        await consumer.stop()
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(got, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(
            InboundMessageReceived.model_validate_json(record.value).data.content.body
        )  # type: ignore[union-attr]
    assert by_key[b"demo:393330000000"] == [f"message {n}" for n in range(0, 10, 2)]
    assert by_key[b"demo:393330000001"] == [f"message {n}" for n in range(1, 10, 2)]


async def test_an_ack_that_never_comes_fails_within_the_timeout(broker: KafkaBroker) -> None:
    missing = f"bancone.test.missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(EventPublishError, match="did not acknowledge"):
        await KafkaEventPublisher(broker, timeout=1.5).publish(
            [message(missing, "393330000000", 0)]
        )
