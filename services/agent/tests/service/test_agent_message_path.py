"""The agent as it runs: real PostgreSQL, real Kafka, catalog and ingest over real HTTP.

Inbound events go on a topic of this test's own (consumed by a group of its own), so no
other test's or a running `make run`'s consumer can take them and no stale inbound events
are replayed into this test; the replies come out on the real `bancone.outbound.v1`, where
the outbox publishes them, and are read from the offsets it had before the test began,
keeping only this test's tenant.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlmodel import col

from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.adapters.tables import MessageRecord
from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.domain import ProductQuery
from bancone_agent.domain.phrases import phrasebook
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import OUTBOUND, conversation_key, parse_event
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from bancone_contracts.topics import CONVERSATION_PARTITIONS
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import InboxRecord
from services.agent.tests.support.shop_api import FakeShopApi, catalog_product, serve

pytestmark = pytest.mark.service

WA_ID = "393339876543"


def products_of(tenant_id: str) -> list[dict[str, object]]:
    return [
        catalog_product(tenant_id, "CHI-1", "Chianti Classico DOCG", "14.50", stock=7),
        catalog_product(tenant_id, "BAR-1", "Barolo DOCG 2019", "42.00", stock=3),
        catalog_product(tenant_id, "VER-1", "Vermentino", "12.00", colour="white"),
    ]


@pytest.fixture
def tenant_id() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def shop(tenant_id: str) -> FakeShopApi:
    api = FakeShopApi(products={tenant_id: products_of(tenant_id)})
    chianti = api.products[tenant_id][0]
    api.ingest_prices[str(chianti["id"])] = "11.90"  # ingest has not caught up yet
    return api


@pytest.fixture
async def shop_url(shop: FakeShopApi) -> AsyncIterator[str]:
    async with serve(shop.app()) as url:
        yield url


class OutboundTail:
    """Reads `bancone.outbound.v1` from where it ended when the tail was opened."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )

    async def __aenter__(self) -> OutboundTail:
        await self._consumer.start()
        partitions = [TopicPartition(OUTBOUND, p) for p in range(CONVERSATION_PARTITIONS)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)  # pin the end offsets now
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def read_until(
        self,
        tenant_id: str,
        done: Callable[[list[OutboundMessageRequested]], bool],
    ) -> list[OutboundMessageRequested]:
        """This tenant's outbound events until `done` says enough (a minute at most)."""
        got: list[OutboundMessageRequested] = []
        async with asyncio.timeout(60):
            while not done(got):
                batches = await self._consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        event = parse_event(OUTBOUND, record.value)
                        if (
                            isinstance(event, OutboundMessageRequested)
                            and event.tenant_id == tenant_id
                        ):
                            got.append(event)
        return got


def inbound(tenant_id: str, text: str) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=tenant_id,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id=WA_ID, profile_name="Marco"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=text),
        ),
    )


def body(event: OutboundMessageRequested) -> str:
    assert isinstance(event.data.content, OutboundText)
    return event.data.content.body


async def test_an_inbound_event_delivered_twice_gets_exactly_one_reply_with_the_catalog_price(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
    tenant_id: str,
    shop_url: str,
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=3, name_prefix="agent-inbound")
    settings = AgentSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        catalog_url=shop_url,
        ingest_url=shop_url,
        gateway_url=shop_url,  # the fake shop mints the service tokens too
        shop_names={tenant_id: "Enoteca Prova"},
    )
    subscriptions = [Subscription(InboundMessageReceived, topic, f"agent-test-{tenant_id}")]
    app = build_app(settings, subscriptions=subscriptions)
    question = inbound(tenant_id, "Buongiorno, vorrei un vino rosso sotto i 20 euro")
    thanks = inbound(tenant_id, "Grazie mille!")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")

    async with OutboundTail(kafka_bootstrap) as tail, app.router.lifespan_context(app):
        await producer.start()
        try:
            for event in (question, question):  # the question is redelivered
                await producer.send_and_wait(topic, event.to_bytes(), key=event.key().encode())
            # Only once it is answered does `thanks` follow: sent at once, the consumer could
            # fold all three into one turn (one answer), which is right but not this test.
            replies = await tail.read_until(
                tenant_id,
                lambda got: outbound_id_for(question.id) in {r.data.outbound_id for r in got},
            )
            await producer.send_and_wait(topic, thanks.to_bytes(), key=thanks.key().encode())
        finally:
            await producer.stop()
        # `thanks` is on the same key, so its reply is published after any reply to the
        # redelivered question: once it is here, a duplicate would be here too.
        replies += await tail.read_until(
            tenant_id, lambda got: outbound_id_for(thanks.id) in {r.data.outbound_id for r in got}
        )

    assert [r.data.outbound_id for r in replies] == [
        outbound_id_for(question.id),
        outbound_id_for(thanks.id),
    ]
    answer = replies[0]
    assert answer.key() == conversation_key(tenant_id, WA_ID)
    assert answer.data.reply_to == question.data.message_id
    assert "Chianti Classico DOCG" in body(answer)
    assert phrasebook("it").price(Decimal("14.50"), "EUR") in body(answer)
    assert "11,90" not in body(answer), "ingest's stale price never reaches the customer"
    assert "Barolo" not in body(answer)

    engine = create_engine(postgres_url)
    try:
        async with sessions_of(engine)() as session:
            directions = (
                await session.scalars(
                    sa.select(col(MessageRecord.direction))
                    .where(col(MessageRecord.tenant_id) == tenant_id)
                    .order_by(col(MessageRecord.created_at))
                )
            ).all()
            claimed = await session.scalar(
                sa.select(sa.func.count()).where(col(InboxRecord.consumer) == "agent")
            )
    finally:
        await engine.dispose()
    assert sorted(directions) == ["in", "in", "out", "out"]
    assert claimed == 2


async def test_a_hanging_ingest_times_out_and_the_catalog_still_answers(
    shop: FakeShopApi, shop_url: str, tenant_id: str
) -> None:
    shop.hang.add("ingest")
    async with httpx.AsyncClient() as http:
        tools = HttpShopTools(tenant_id, shop_url, shop_url, http, timeout=0.3, attempts=1)
        found = await tools.search_products(
            ProductQuery(text="vino", colour="red", max_price=Decimal("20"))
        )

    assert [(p.name, p.price) for p in found] == [("Chianti Classico DOCG", Decimal("14.50"))]
    assert [r.path.rsplit("/", 1)[-1] for r in shop.requests] == ["search", "products"]
