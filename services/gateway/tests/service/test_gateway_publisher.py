"""The webhook publishers on real Kafka (aiokafka's producer directly, and through the FastStream
broker): each returns only after the acks, keeps per-key order, fails within its timeout."""

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
from bancone_gateway.adapters.publisher import (
    DirectKafkaPublisher,
    EventPublisher,
    EventPublishError,
    KafkaEventPublisher,
)
from bancone_kit.messaging.broker import make_broker

pytestmark = pytest.mark.service


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(kafka_bootstrap, client_id="gateway-publisher-test")
    await broker.start()
    yield broker
    await broker.stop()


PublisherFactory = Callable[[float], EventPublisher]


@pytest.fixture(params=["direct", "faststream"])
async def publisher_with(
    request: pytest.FixtureRequest, broker: KafkaBroker, kafka_bootstrap: str
) -> AsyncIterator[PublisherFactory]:
    """Publishers of the kind under test, with a given timeout (stopped after the test)."""
    made: list[DirectKafkaPublisher] = []

    def make(timeout: float) -> EventPublisher:
        if request.param == "faststream":
            return KafkaEventPublisher(broker, timeout=timeout)
        options = {"bootstrap_servers": kafka_bootstrap, "acks": "all"}
        made.append(DirectKafkaPublisher(options, timeout=timeout))
        return made[-1]

    yield make
    for publisher in made:
        await publisher.stop()


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
    publisher_with: PublisherFactory,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    topic = await new_topic(partitions=3)
    events = [message(topic, f"39333000000{n % 2}", n) for n in range(10)]

    await publisher_with(10).publish(events)

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


async def test_an_ack_that_never_comes_fails_within_the_timeout(
    publisher_with: PublisherFactory,
) -> None:
    missing = f"bancone.test.missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(EventPublishError, match="did not acknowledge"):
        await publisher_with(1.5).publish([message(missing, "393330000000", 0)])


async def test_the_direct_producer_started_against_no_broker_fails_and_then_starts(
    kafka_bootstrap: str, closed_port: int, new_topic: Callable[..., Awaitable[str]]
) -> None:
    """Kafka absent: a publish error (the webhook's 503), not a crash; the next try, with
    Kafka there, starts the producer and publishes."""
    topic = await new_topic(partitions=1)
    options = {"bootstrap_servers": f"127.0.0.1:{closed_port}", "acks": "all"}
    cut_off = DirectKafkaPublisher(options, timeout=2.0)
    with pytest.raises(EventPublishError):
        await cut_off.publish([message(topic, "393330000000", 0)])
    await cut_off.stop()

    cut_off._options["bootstrap_servers"] = kafka_bootstrap  # Kafka came back
    await cut_off.publish([message(topic, "393330000000", 1)])
    await cut_off.stop()
