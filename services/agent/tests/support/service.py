"""Helpers of the agent's service tests (real Kafka, real PostgreSQL): read what the agent
published on its topics, publish inbound events, run the agent app, and gate an assistant.

`TopicTail` reads topics from where they ended when it was opened, keeping one tenant's
events, so tests sharing the session's Kafka never see each other's. `GatedAssistant` lets a
test hold a turn mid-flight without sleeping: it waits on an event the test sets.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI

from bancone_agent.domain import (
    Assistant,
    KnowledgeHit,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    Turn,
)
from bancone_contracts import ALL_TOPICS, parse_event
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.inbound import (
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText

E = TypeVar("E")

PHONE_NUMBER_ID = "106540352242922"

CHIANTI = Product(
    id="0b5e8c1e-2f4a-4d7e-9c1a-6a3f0e2d9b11",
    sku="CHI-1",
    name="Chianti Classico DOCG",
    price=Decimal("14.50"),
    stock=7,
    attributes={"colour": "red"},
)


class Cellar:
    """The shop's tools with one wine (`CHIANTI`), for any tenant."""

    async def search_products(self, query: ProductQuery) -> list[Product]:
        return [CHIANTI] if query.max_price is None or CHIANTI.price <= query.max_price else []

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return CHIANTI if product_id == CHIANTI.id else None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


def inbound(
    tenant_id: str, wa_id: str, content: InboundContent | str, *, wamid: str | None = None
) -> InboundMessageReceived:
    """A customer's message as the gateway publishes it."""
    return InboundMessageReceived.new(
        tenant_id=tenant_id,
        source="gateway",
        data=InboundMessage(
            message_id=wamid or f"wamid.{uuid.uuid4().hex}",
            phone_number_id=PHONE_NUMBER_ID,
            customer=Customer(wa_id=wa_id),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
        ),
    )


async def publish(bootstrap: str, topic: str, events: Sequence[Envelope[Any]]) -> None:
    """Produce `events` in order, keyed like the platform keys them, acknowledged by all."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(topic, event.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()


def body_of(event: OutboundMessageRequested) -> str:
    content = event.data.content
    assert isinstance(content, OutboundText)
    return content.body


class TopicTail:
    """One tenant's events on some contract topics, from their end offsets at opening on."""

    def __init__(self, bootstrap: str, topics: Sequence[str], tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.events: list[Any] = []
        self._topics = list(topics)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )

    async def __aenter__(self) -> TopicTail:
        await self._consumer.start()
        counts = {spec.name: spec.partitions for spec in ALL_TOPICS}
        partitions = [
            TopicPartition(topic, p) for topic in self._topics for p in range(counts[topic])
        ]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)  # pin the end offsets now
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, done: Callable[[TopicTail], bool], seconds: float = 60) -> None:
        """Read until `done(self)` holds (at most `seconds`)."""
        async with asyncio.timeout(seconds):
            while not done(self):
                batches = await self._consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        event = parse_event(record.topic, record.value)
                        if event.tenant_id == self.tenant_id:
                            self.events.append(event)


@dataclass
class GatedAssistant:
    """Wraps an assistant; turns whose text contains a held word wait until it is released."""

    inner: Assistant
    turns: list[Turn] = field(default_factory=list)
    _gates: dict[str, asyncio.Event] = field(default_factory=dict)
    _waiting: dict[str, int] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def hold(self, word: str) -> None:
        self._gates[word] = asyncio.Event()
        self._waiting[word] = 0

    def release(self, word: str) -> None:
        self._gates[word].set()

    async def arrived(self, word: str, count: int = 1) -> None:
        """Wait until `count` turns containing `word` reached its gate."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._waiting[word] >= count)

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        self.turns.append(turn)
        for word, gate in self._gates.items():
            if word in (turn.text or ""):
                async with self._changed:
                    self._waiting[word] += 1
                    self._changed.notify_all()
                await gate.wait()
        return await self.inner.respond(turn, tools)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (consumers, relay) running, and an HTTP client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            yield client
