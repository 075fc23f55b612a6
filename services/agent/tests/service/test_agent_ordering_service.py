"""Selling in the chat, as the agent runs: real PostgreSQL, real Kafka, the catalog over real
HTTP. The catalog's order API is the issue-12 spec's stand-in (`support/orders_api.py`,
served on the same port as the fake catalog and ingest): the catalog's own implementation is
being built in another branch.

A customer asks for a Barolo, takes two, picks it up, gives a name, gets the summary with
reply buttons and taps confirm: exactly one order is placed (the tap delivered twice), with
the tap's wamid as idempotency key, and the reply carries the number and the pay link. The
same customer tapping the same button at another shop places nothing there.
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
from fastapi import FastAPI
from sqlmodel import col

from bancone_agent.adapters.orders_api import HttpOrderTools
from bancone_agent.adapters.tables import (
    AgentTurnRecord,
    ConversationMemoryRecord,
    MessageRecord,
)
from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.domain.cart import CartLine, Fulfilment
from bancone_agent.domain.memory import Memory
from bancone_agent.domain.order_phrases import ORDER_PHRASES
from bancone_agent.domain.order_port import NewOrder, OrderLine, OrderProblemError
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import OUTBOUND, parse_event
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import (
    OutboundButtons,
    OutboundMessageRequested,
    OutboundText,
)
from bancone_contracts.topics import CONVERSATION_PARTITIONS
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from services.agent.tests.support.orders_api import Item, OrdersStandIn
from services.agent.tests.support.shop_api import FakeShopApi, catalog_product, serve

pytestmark = pytest.mark.service

WA_ID = "393331112233"


def shop_products(tenant_id: str) -> list[dict[str, object]]:
    return [
        catalog_product(tenant_id, "BAR-2019", "Barolo DOCG 2019", "42.00", stock=6),
        catalog_product(tenant_id, "VER-1", "Vermentino", "12.00", colour="white"),
    ]


@pytest.fixture
def tenants() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return f"shop-a-{suffix}", f"shop-b-{suffix}"


@pytest.fixture
def orders(tenants: tuple[str, str]) -> OrdersStandIn:
    stand_in = OrdersStandIn()
    for tenant_id in tenants:
        stand_in.stock(
            tenant_id,
            Item("BAR-2019", "Barolo DOCG 2019", Decimal("42.00"), 6),
            Item("VER-1", "Vermentino", Decimal("12.00"), 5),
        )
    return stand_in


@pytest.fixture
async def catalog_url(tenants: tuple[str, str], orders: OrdersStandIn) -> AsyncIterator[str]:
    shop = FakeShopApi(products={t: shop_products(t) for t in tenants})
    app: FastAPI = shop.app()
    app.router.routes.extend(orders.app().router.routes)
    async with serve(app) as url:
        yield url


class Tail:
    """`bancone.outbound.v1` from its end when opened, one tenant's replies."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self.got: list[OutboundMessageRequested] = []

    async def __aenter__(self) -> Tail:
        await self._consumer.start()
        partitions = [TopicPartition(OUTBOUND, p) for p in range(CONVERSATION_PARTITIONS)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def reply_to(self, event: InboundMessageReceived) -> OutboundMessageRequested:
        wanted = outbound_id_for(event.id)
        async with asyncio.timeout(60):
            while True:
                for reply in self.got:
                    if reply.data.outbound_id == wanted:
                        return reply
                batches = await self._consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        parsed = parse_event(OUTBOUND, record.value)
                        if (
                            isinstance(parsed, OutboundMessageRequested)
                            and parsed.tenant_id == event.tenant_id
                        ):
                            self.got.append(parsed)


def message(tenant_id: str, content: InboundContent | str) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=tenant_id,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id=WA_ID, profile_name="Giulia"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
        ),
    )


def text_of(reply: OutboundMessageRequested) -> str:
    content = reply.data.content
    assert isinstance(content, OutboundText | OutboundButtons)
    return content.body


async def test_a_sale_in_the_chat_places_one_order_on_the_tap_and_never_at_another_shop(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
    tenants: tuple[str, str],
    orders: OrdersStandIn,
    catalog_url: str,
) -> None:
    shop_a, shop_b = tenants
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=3, name_prefix="agent-orders")
    settings = AgentSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        catalog_url=catalog_url,
        ingest_url=catalog_url,
        gateway_url=catalog_url,
        shop_names={shop_a: "Enoteca A", shop_b: "Enoteca B"},
    )
    subscriptions = [Subscription(InboundMessageReceived, topic, f"agent-test-{shop_a}")]
    app = build_app(settings, subscriptions=subscriptions)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")

    async def send(event: InboundMessageReceived, times: int = 1) -> None:
        for _ in range(times):
            await producer.send_and_wait(topic, event.to_bytes(), key=event.key().encode())

    said: dict[str, OutboundMessageRequested] = {}
    async with Tail(kafka_bootstrap) as tail, app.router.lifespan_context(app):
        await producer.start()
        try:
            for text in ("Avete il Barolo?", "ne prendo due", "ritiro", "Giulia Rossi"):
                event = message(shop_a, text)
                await send(event)
                said[text] = await tail.reply_to(event)
            summary = said["Giulia Rossi"].data.content
            assert isinstance(summary, OutboundButtons)
            confirm = summary.buttons[0]
            tap = message(shop_a, ButtonReplyContent(id=confirm.id, title=confirm.title))
            await send(tap, times=2)  # the tap is redelivered
            placed = await tail.reply_to(tap)
            # The same customer taps the same button id at another shop: nothing to confirm.
            elsewhere = message(shop_b, ButtonReplyContent(id=confirm.id, title=confirm.title))
            await send(elsewhere)
            refused = await tail.reply_to(elsewhere)
            late = [r for r in tail.got if r.data.outbound_id == outbound_id_for(tap.id)]
        finally:
            await producer.stop()

    assert "Barolo DOCG 2019" in text_of(said["Avete il Barolo?"])
    assert "€ 84,00" in text_of(said["ne prendo due"])
    assert text_of(said["ritiro"]) == ORDER_PHRASES["it"].ask_name
    assert "Totale: *€ 84,00*" in summary.body
    assert [b.id for b in summary.buttons][1] == "order:cancel"
    assert confirm.id.startswith("order:confirm:")

    assert "A-1042" in text_of(placed)
    assert "http://pay.example/payments/pay/pl_A-1042" in text_of(placed)
    assert len(late) == 1, "one reply to the tap, however often it is delivered"
    assert len(orders.orders[shop_a]) == 1
    assert [p["idempotency_key"] for p in orders.placements] == [tap.data.message_id]
    assert orders.placements[0]["lines"] == [
        {"sku": "BAR-2019", "quantity": 2, "expected_unit_price": "42.00"}
    ]
    assert orders.placements[0]["fulfilment"] == {"method": "pickup", "name": "Giulia Rossi"}
    assert orders.placements[0]["customer_id"] == WA_ID

    assert text_of(refused) == ORDER_PHRASES["it"].nothing_to_confirm
    assert shop_b not in orders.orders

    engine = create_engine(postgres_url)
    try:
        async with sessions_of(engine)() as session:
            stored = await session.scalar(
                sa.select(col(MessageRecord.text)).where(
                    col(MessageRecord.outbound_id) == said["Giulia Rossi"].data.outbound_id
                )
            )
            desk_turns = (
                await session.scalars(
                    sa.select(col(AgentTurnRecord.assistant)).where(
                        col(AgentTurnRecord.tenant_id) == shop_a
                    )
                )
            ).all()
            record = await session.scalar(
                sa.select(ConversationMemoryRecord).where(
                    col(ConversationMemoryRecord.tenant_id) == shop_a
                )
            )
    finally:
        await engine.dispose()
    assert stored == summary.body, "the conversation keeps the summary's text"
    assert sorted(desk_turns).count("orders") == 4  # taken, pickup, name, the tap
    assert record is not None
    cart = Memory.model_validate(record.memory).cart
    assert cart is not None
    assert cart.empty
    assert cart.placed is not None
    assert cart.placed[1] == "A-1042"


async def test_the_http_order_tools_speak_the_spec(
    tenants: tuple[str, str], orders: OrdersStandIn, catalog_url: str
) -> None:
    """Quote, place (a replayed key returns the same order), a refusal's code, another
    customer's order number (404 → none), the latest order."""
    shop_a, _ = tenants
    async with httpx.AsyncClient() as http:
        tools = HttpOrderTools(shop_a, catalog_url, http, attempts=1)
        quote = await tools.quote(
            [CartLine(sku="BAR-2019", quantity=2), CartLine(sku="X", quantity=1)]
        )
        assert quote.total == Decimal("84.00")
        assert not quote.ok
        assert [q.problem for q in quote.lines] == [None, "unknown_sku"]
        assert quote.lines[0].label == "Barolo DOCG 2019"

        order = NewOrder(
            idempotency_key="wamid.K1",
            customer_id=WA_ID,
            phone_number_id="pn",
            conversation_id="c",
            language="it",
            lines=(OrderLine(sku="BAR-2019", quantity=2, expected_unit_price=Decimal("42.00")),),
            method=Fulfilment.PICKUP,
            name="Giulia Rossi",
        )
        first = await tools.place(order)
        again = await tools.place(order)
        assert first == again
        assert first.total == Decimal("84.00")
        assert first.currency == "EUR"
        assert first.reserved_until is not None
        assert len(orders.orders[shop_a]) == 1

        orders.items[shop_a]["BAR-2019"].price = Decimal("45.00")
        with pytest.raises(OrderProblemError) as refused:
            await tools.place(order.model_copy(update={"idempotency_key": "wamid.K2"}))
        assert refused.value.code == "price_changed"

        assert await tools.by_number(first.number, WA_ID) == first
        assert await tools.by_number(first.number, "447700900123") is None
        assert await tools.latest(WA_ID) == first
        assert await tools.latest("447700900123") is None
