"""The notifier as it runs: its app's lifespan consumes real Kafka topics, stores in real
PostgreSQL, sends over HTTP to the WhatsApp sandbox (a Graph API stand-in that validates the
bearer token and the body) and publishes delivery events through the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_contracts.envelope import Envelope
from bancone_contracts.events import parse_event
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.topics import DELIVERY
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.broker import make_broker
from bancone_kit.testing.polling import eventually
from bancone_notifier.adapters.tables import DeliveryStatusRecord, OutboundMessageRecord
from bancone_notifier.bootstrap import build_app
from bancone_notifier.domain.bodies import send_body
from bancone_notifier.entrypoints.consumers import Subscription
from bancone_notifier.settings import NotifierSettings
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox
from services.notifier.tests.support import EventFactory, new_keyring, new_wa_id
from services.notifier.tests.support.handlers import deliveries

pytestmark = pytest.mark.service

GRAPH_TIMEOUT_SECONDS = 2.0


@dataclass
class Notifier:
    """A running notifier with its own topics, database and sandbox."""

    events: EventFactory
    engine: AsyncEngine
    sandbox: httpx.AsyncClient
    publisher: KafkaBroker
    topics: dict[str, str]

    async def publish(self, event: Envelope[Any]) -> None:
        await self.publisher.publish(
            event.to_bytes(), topic=self.topics[event.topic], key=event.key().encode()
        )

    async def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        response = await self.sandbox.get("/sandbox/messages", params={"to": wa_id})
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    async def stats(self) -> dict[str, int]:
        stats: dict[str, int] = (await self.sandbox.get("/sandbox/stats")).json()
        return stats

    async def fault(self, **fault: Any) -> None:
        (await self.sandbox.post("/sandbox/faults", json=fault)).raise_for_status()

    async def row(self, outbound_id: uuid.UUID) -> OutboundMessageRecord | None:
        async with session_factory(self.engine)() as session:
            return await session.get(OutboundMessageRecord, outbound_id)

    async def settled(self, outbound_id: uuid.UUID, *states: str) -> OutboundMessageRecord:
        async def probe() -> OutboundMessageRecord | None:
            row = await self.row(outbound_id)
            return row if row is not None and row.state in states else None

        return await eventually(probe)

    async def published_deliveries(self, outbound_id: uuid.UUID) -> list[DeliveryResult]:
        """Delivery events of one message the relay has published (outbox rows marked sent)."""
        return await deliveries(self.engine, outbound_id, published=True)


@pytest.fixture
async def notifier(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Notifier]:
    events = EventFactory(keyring=new_keyring())
    channel = ChannelConfig(
        phone_number_id=events.phone_number_id, access_token=events.access_token
    )
    await upgrade_database(postgres_url, "bancone_notifier.migrations")
    run = uuid.uuid4().hex[:8]
    topics = {
        cls.topic: await new_topic(partitions=3, name_prefix=cls.__name__.lower())
        for cls in (ChannelChanged, OutboundMessageRequested, WhatsAppStatusUpdated)
    }
    subscriptions = [
        Subscription(ChannelChanged, topics[ChannelChanged.topic], f"notifier-channels-{run}"),
        Subscription(
            OutboundMessageRequested, topics[OutboundMessageRequested.topic], f"notifier-{run}"
        ),
        Subscription(
            WhatsAppStatusUpdated, topics[WhatsAppStatusUpdated.topic], f"notifier-status-{run}"
        ),
    ]
    with running_sandbox(SandboxSettings(channels=[channel])) as sandbox_url:
        settings = NotifierSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            graph_base_url=sandbox_url,
            graph_version="v23.0",
            graph_timeout_seconds=GRAPH_TIMEOUT_SECONDS,
            send_retry_initial_seconds=0.05,
            send_retry_max_seconds=0.2,
            channel_keyring=events.keyring,
            enforce_window=False,  # sending mechanics; the window: test_notifier_consent_kafka
        )
        app = build_app(settings, subscriptions=subscriptions)
        engine = create_engine(postgres_url)
        publisher = make_broker(kafka_bootstrap, client_id=f"notifier-test-{run}")
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
            )
            sandbox = await stack.enter_async_context(httpx.AsyncClient(base_url=sandbox_url))
            await publisher.start()
            stack.push_async_callback(publisher.stop)
            stack.push_async_callback(engine.dispose)
            harness = Notifier(events, engine, sandbox, publisher, topics)
            await harness.publish(events.channel())
            yield harness


async def test_one_outbound_is_one_post_with_its_body_and_the_channel_bearer(
    notifier: Notifier, kafka_bootstrap: str
) -> None:
    to = new_wa_id()
    outbound = notifier.events.outbound(to, reply_to="wamid.IN42")

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "accepted")
    [sent] = await notifier.sent_to(to)
    assert sent["body"] == send_body(outbound.data)
    assert sent["phone_number_id"] == notifier.events.phone_number_id
    assert row.wamid == sent["id"], "the wamid Meta returned is recorded"
    [accepted] = await eventually(lambda: notifier.published_deliveries(outbound.data.outbound_id))
    assert (accepted.status, accepted.wamid) == ("accepted", sent["id"])
    assert await delivery_on_kafka(kafka_bootstrap, outbound.data.outbound_id)


async def delivery_on_kafka(bootstrap: str, outbound_id: uuid.UUID) -> DeliveryUpdated:
    """Find the message's delivery event on `bancone.delivery.v1` itself."""
    consumer = AIOKafkaConsumer(DELIVERY, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = parse_event(DELIVERY, record.value)
                        if (
                            isinstance(event, DeliveryUpdated)
                            and event.data.outbound_id == outbound_id
                        ):
                            assert record.key == event.key().encode()
                            return event
    finally:
        await consumer.stop()


async def test_the_same_outbound_event_delivered_twice_is_posted_once(notifier: Notifier) -> None:
    to = new_wa_id()
    outbound = notifier.events.outbound(to, OutboundText(body="Prima risposta"))
    sentinel = notifier.events.outbound(to, OutboundText(body="Seconda risposta"))

    await notifier.publish(outbound)
    await notifier.publish(outbound)
    await notifier.publish(sentinel)  # same key, same partition: handled after the duplicate

    await notifier.settled(sentinel.data.outbound_id, "accepted")
    texts = [m["body"]["text"]["body"] for m in await notifier.sent_to(to)]
    assert texts == ["Prima risposta", "Seconda risposta"]
    assert (await notifier.stats())["attempts"] == 2


async def test_a_429_then_200_is_one_accepted_send_after_a_retry(notifier: Notifier) -> None:
    to = new_wa_id()
    await notifier.fault(status=429, count=1)
    outbound = notifier.events.outbound(to)

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "accepted")
    assert row.attempts == 2
    assert len(await notifier.sent_to(to)) == 1
    stats = await notifier.stats()
    assert (stats["attempts"], stats["faulted"], stats["accepted"]) == (2, 1, 1)


async def test_a_400_with_code_131047_is_a_failed_delivery_without_retry(
    notifier: Notifier,
) -> None:
    to = new_wa_id()
    await notifier.fault(status=400, code=131047, count=1)
    outbound = notifier.events.outbound(to)

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "failed")
    assert (row.error_code, row.error_title, row.attempts) == (131047, "Re-engagement message", 1)
    [failed] = await eventually(lambda: notifier.published_deliveries(outbound.data.outbound_id))
    assert (failed.status, failed.error_code, failed.retryable) == ("failed", 131047, False)
    assert (await notifier.stats())["attempts"] == 1
    assert await notifier.sent_to(to) == []


async def test_statuses_update_the_lifecycle_and_a_late_delivered_does_not_regress_read(
    notifier: Notifier,
) -> None:
    to = new_wa_id()
    outbound = notifier.events.outbound(to)
    await notifier.publish(outbound)
    row = await notifier.settled(outbound.data.outbound_id, "accepted")
    assert row.wamid is not None

    await notifier.publish(notifier.events.status(row.wamid, "sent", to))
    await notifier.publish(notifier.events.status(row.wamid, "read", to))
    await notifier.publish(notifier.events.status(row.wamid, "delivered", to))
    await notifier.publish(notifier.events.status(row.wamid, "read", to))

    async def three_recorded() -> list[DeliveryStatusRecord] | None:
        async with session_factory(notifier.engine)() as session:
            statement = select(DeliveryStatusRecord).where(DeliveryStatusRecord.wamid == row.wamid)
            recorded = list((await session.exec(statement)).all())
        return recorded if len(recorded) == 3 else None

    recorded = await eventually(three_recorded)
    assert sorted((r.status, r.applied) for r in recorded) == [
        ("delivered", False),
        ("read", True),
        ("sent", True),
    ]
    assert (await notifier.settled(outbound.data.outbound_id, "read")).state == "read"

    async def three_published() -> list[str] | None:
        steps: list[str] = [
            d.status for d in await notifier.published_deliveries(outbound.data.outbound_id)
        ]
        return steps if len(steps) == 3 else None

    assert await eventually(three_published) == ["accepted", "sent", "read"]


async def test_a_send_whose_answer_times_out_is_unknown_and_never_resent(
    notifier: Notifier,
) -> None:
    to = new_wa_id()
    delay = {"seconds": GRAPH_TIMEOUT_SECONDS * 2, "phase": "after_record"}
    (await notifier.sandbox.put("/sandbox/delay", json=delay)).raise_for_status()
    outbound = notifier.events.outbound(to)

    await notifier.publish(outbound)
    row = await notifier.settled(outbound.data.outbound_id, "unknown")
    (await notifier.sandbox.delete("/sandbox/delay")).raise_for_status()
    sentinel = notifier.events.outbound(to, OutboundText(body="dopo"))
    await notifier.publish(outbound)
    await notifier.publish(sentinel)
    await notifier.settled(sentinel.data.outbound_id, "accepted")

    assert row.error_title is not None
    assert row.error_title.startswith("outcome unknown")
    assert len(await notifier.sent_to(to)) == 2, "Meta recorded it once; it was not sent again"
    assert (await notifier.stats())["attempts"] == 2
    [report] = await eventually(lambda: notifier.published_deliveries(outbound.data.outbound_id))
    assert (report.status, report.retryable) == ("failed", False)
