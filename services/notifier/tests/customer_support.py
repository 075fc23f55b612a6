"""The notifier's customer tests' harness: a notifier on real Kafka topics and PostgreSQL, the
WhatsApp sandbox as Graph API, operator tokens; and builders of the order and agent-turn events
the notifier's interests come from. Test-only (docs/architecture.md, "Test helpers").
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import httpx
from sqlmodel import select

from bancone_contracts.common import Money, utc_now
from bancone_contracts.events.agent_turn import AgentToolCall, AgentTurn, AgentTurnCompleted
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import (
    OrderChange,
    OrderChanged,
    OrderLine,
    OrderSnapshot,
    OrderStatus,
    OrderTransition,
)
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_kit.db import session_factory
from bancone_kit.testing.polling import eventually
from bancone_notifier.adapters.tables import CustomerInterestRecord
from services.notifier.tests.support import EventFactory
from services.notifier.tests.support.kafka import KafkaHarness, running_harness

EVENTS = (
    ChannelChanged,
    OutboundMessageRequested,
    WhatsAppStatusUpdated,
    InboundMessageReceived,
    OrderChanged,
    AgentTurnCompleted,
)
TEMPLATE = "nuova_offerta"
EUR = Money(amount=Decimal("12.50"), currency="EUR")


def order_event(
    events: EventFactory,
    customer: str,
    status: OrderStatus,
    categories: list[str | None],
    *,
    order_id: str | None = None,
    at: datetime | None = None,
) -> OrderChanged:
    """The catalog's event: an order of one line per category, now in `status`."""
    lines = tuple(
        OrderLine(
            sku=f"SKU-{n}",
            name=f"Prodotto {n}",
            quantity=1,
            unit_price=EUR,
            line_total=EUR,
            category=category,
        )
        for n, category in enumerate(categories)
    )
    order = OrderSnapshot(
        order_id=order_id or str(uuid.uuid4()),
        number="A-1",
        customer_id=customer,
        phone_number_id=events.phone_number_id,
        status=status,
        lines=lines,
        total=EUR,
        created_at=utc_now(),
    )
    change = OrderChange(
        transition="placed" if status == "pending" else cast(OrderTransition, status),
        order=order,
        occurred_at=at or utc_now(),
    )
    return OrderChanged.new(tenant_id=events.tenant_id, source="catalog", data=change)


def turn_event(
    events: EventFactory, customer: str, shown: tuple[str, ...], *, searched: str | None = None
) -> AgentTurnCompleted:
    """The agent's event: a turn whose product search showed products of `shown`."""
    arguments: dict[str, Any] = {"text": "un rosso"}
    if searched:
        arguments["category"] = searched
    turn = AgentTurn(
        turn_id=uuid.uuid4(),
        conversation_id=str(uuid.uuid4()),
        customer_id=customer,
        config_version=1,
        assistant="llm",
        tool_calls=(
            AgentToolCall(
                name="search_products",
                arguments=arguments,
                result_items=len(shown),
                categories=shown,
            ),
            AgentToolCall(
                name="get_product", arguments={}, error="boom", categories=("refused-call",)
            ),
        ),
        outcome="answered",
        occurred_at=utc_now(),
    )
    return AgentTurnCompleted.new(tenant_id=events.tenant_id, source="agent", data=turn)


class Harness(KafkaHarness):
    """The shared harness plus the customer tests' probes."""

    async def interests(self, tenant_id: str, customer: str) -> list[tuple[str, str, datetime]]:
        async with session_factory(self.engine)() as session:
            rows = await session.exec(
                select(CustomerInterestRecord).where(
                    CustomerInterestRecord.tenant_id == tenant_id,
                    CustomerInterestRecord.customer_id == customer,
                )
            )
            return sorted((r.kind, r.category, r.first_at) for r in rows.all())


@contextlib.asynccontextmanager
async def running_customer_harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    """Two tenants' channels published, the template registered at the sandbox, unpaced."""
    async with running_harness(
        Harness,
        postgres_url,
        kafka_bootstrap,
        new_topic,
        EVENTS,
        campaign_poll_seconds=0.1,
        pacing_enabled=False,
    ) as harness:
        await harness.register_template(
            TEMPLATE, components=[{"type": "BODY", "text": "Novità in enoteca!"}]
        )
        yield harness


async def customer_of(client: httpx.AsyncClient, tenant_id: str, wa_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/tenants/{tenant_id}/customers/{wa_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def interests_become(
    client: httpx.AsyncClient, tenant_id: str, wa_id: str, expected: dict[str, list[str]]
) -> None:
    async def probe() -> bool:
        found: bool = (await customer_of(client, tenant_id, wa_id))["interests"] == expected
        return found

    await eventually(probe)
