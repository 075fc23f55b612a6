"""The producer is idempotent with acks=all, and trace context crosses Kafka and the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id, format_trace_id
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.inbox import claim
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.messaging.outbox import stage
from bancone_kit.messaging.relay import OutboxRelay
from bancone_kit.messaging.subscriptions import one_at_a_time
from bancone_kit.testing.probe import ProbeEvent, create_probe_schema

pytestmark = pytest.mark.service


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(postgres_url)
    await create_probe_schema(eng)
    yield eng
    await eng.dispose()


async def test_producer_is_idempotent_with_acks_all_on_apache_kafka(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic(partitions=1)
    broker = make_broker(kafka_bootstrap, client_id="idempotence-test")
    await broker.start()
    try:
        await broker.publish(b"x", topic=topic, key=b"k")
        producer = broker.config.broker_config.producer._producer.producer  # type: ignore[attr-defined]
        assert producer._sender._acks == -1, "acks=all"
        txn = producer._txn_manager
        assert txn is not None, "idempotence enabled"
        assert txn.has_pid(), "broker granted a producer id"
        assert txn.producer_id >= 0
        assert txn.sequence_number(TopicPartition(topic, 0)) == 1, "records carry sequences"
    finally:
        await broker.stop()


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    current: ReadableSpan | None = span
    while current is not None and current.parent is not None:
        current = by_id.get(current.parent.span_id)
        if current is not None:
            names.append(current.name)
    return names


async def test_trace_of_consumed_event_is_parent_of_what_it_produces(
    engine: AsyncEngine, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    inbound, outbound = await new_topic(partitions=1), await new_topic(partitions=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    in_type, out_type = ProbeEvent.on(inbound), ProbeEvent.on(outbound)

    async def handle(event: ProbeEvent) -> None:
        async with claim(sessions, "trace-test", event.id) as session:
            assert session is not None
            stage(session, out_type.make(event.data.n + 1))

    broker = make_broker(kafka_bootstrap, client_id="trace-test", tracer_provider=provider)
    subscribe_keyed(
        broker,
        inbound,
        group="trace-test",
        parse=in_type.model_validate_json,
        handle=one_at_a_time(handle),
    )
    relay = OutboxRelay(engine, broker)
    reader = AIOKafkaConsumer(
        outbound, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await broker.start()
    await relay.start()
    await reader.start()
    try:
        with tracer.start_as_current_span("webhook") as root:
            await broker.publish(in_type.make(1).to_bytes(), topic=inbound, key=b"probe:k")
        async with asyncio.timeout(60):
            record = await reader.getone()
    finally:
        await reader.stop()
        await relay.stop()
        await broker.stop()

    produced = out_type.model_validate_json(record.value)
    headers = {k: v.decode() for k, v in record.headers}
    trace_id = format_trace_id(root.get_span_context().trace_id)
    assert produced.traceparent is not None
    assert produced.traceparent.split("-")[1] == trace_id, "envelope carries the webhook's trace"
    assert headers["traceparent"].split("-")[1] == trace_id, "Kafka header carries it too"

    by_id = {s.context.span_id: s for s in exporter.get_finished_spans()}
    staged_in = produced.traceparent.split("-")[2]
    staging_span = next(s for s in by_id.values() if format_span_id(s.context.span_id) == staged_in)
    assert "webhook" in _ancestors(staging_span, by_id), "produced inside the consumer's trace"
