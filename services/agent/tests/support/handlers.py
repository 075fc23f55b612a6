"""What the agent's handler tests share: a fixed catalogue behind fake shop tools, an
assistant that remembers its turns, and builders and readers of events and rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import (
    Assistant,
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    Turn,
)
from bancone_contracts.events.inbound import (
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from services.agent.tests.support.outbox import staged_replies

TENANT = "enoteca"
WA_ID = "393331234567"
PHONE_NUMBER_ID = "106540352242922"

CHIANTI = Product(
    id=str(uuid.uuid4()),
    sku="CHI-1",
    name="Chianti Classico DOCG",
    category="vino-rosso",
    price=Decimal("14.50"),
    stock=7,
    attributes={"colour": "red"},
)
BAROLO = CHIANTI.model_copy(
    update={"id": str(uuid.uuid4()), "sku": "BAR-1", "name": "Barolo", "price": Decimal("42")}
)


@dataclass
class FakeShopTools:
    """The shop's tools with a fixed catalogue; remembers the tenant it was built for."""

    tenant_id: str
    products: Sequence[Product] = (CHIANTI, BAROLO)
    queries: list[ProductQuery] = field(default_factory=list)

    async def search_products(self, query: ProductQuery) -> list[Product]:
        self.queries.append(query)
        return [
            p
            for p in self.products
            if (query.max_price is None or p.price <= query.max_price)
            and (query.colour is None or p.colour == query.colour)
        ]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []


@dataclass
class RecordingAssistant:
    """The offline assistant, remembering every turn it was asked to answer."""

    inner: Assistant = field(default_factory=OfflineAssistant)
    turns: list[Turn] = field(default_factory=list)

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        self.turns.append(turn)
        return await self.inner.respond(turn, tools)


def inbound(
    content: InboundContent | str,
    *,
    wamid: str | None = None,
    tenant_id: str = TENANT,
    customer: Customer | None = None,
) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=tenant_id,
        source="gateway",
        data=InboundMessage(
            message_id=wamid or f"wamid.{uuid.uuid4().hex}",
            phone_number_id=PHONE_NUMBER_ID,
            customer=customer or Customer(wa_id=WA_ID, profile_name="Giulia"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
        ),
    )


async def outbox(engine: AsyncEngine) -> list[OutboundMessageRequested]:
    return await staged_replies(engine)


async def rows(engine: AsyncEngine, model: type[Any]) -> list[Any]:
    async with sessions_of(engine)() as session:
        return list((await session.scalars(sa.select(model))).all())


def body_of(event: OutboundMessageRequested) -> str:
    content = event.data.content
    assert isinstance(content, OutboundText)
    return content.body
