"""`bancone.order.v1` as the agent tells the customer: real PostgreSQL, real Kafka, and a real
HTTP stand-in for the gateway's signed-link route.

A paid order's message carries the invoice link minted for that tenant; the same event
delivered twice sends one message; shipped carries the tracking code in the order's
language; `placed` says nothing; another tenant's conversation with the same customer id is
untouched. When the gateway cannot mint the link, the customer still hears the payment
arrived and the conversation goes to people; outside the 24-hour window nothing is sent and a
note says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col

from bancone_agent.adapters.tables import MessageRecord
from bancone_agent.bootstrap import build_app
from bancone_agent.domain.order_updates import outbound_id_for
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS, CONVERSATION, OUTBOUND
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.testing.polling import eventually
from services.agent.tests.support.orders import FakeGatewayLinks, order_event
from services.agent.tests.support.service import (
    Cellar,
    TopicTail,
    body_of,
    inbound,
    publish,
    running,
)
from services.agent.tests.support.shop_api import serve

pytestmark = pytest.mark.service

WA_ID = "393331230042"


def _shop() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}"


async def _topics(new_topic: Callable[..., Awaitable[str]]) -> tuple[str, str]:
    return (
        await new_topic(partitions=1, name_prefix="agent-in"),
        await new_topic(partitions=1, name_prefix="agent-orders"),
    )


def _app(
    postgres_url: str, kafka_bootstrap: str, gateway: str, inbound_topic: str, orders_topic: str
) -> FastAPI:
    group = f"g-{uuid.uuid4().hex[:8]}"
    return build_app(
        AgentSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            gateway_url=gateway,
            invoice_link_attempts=2,
            tool_retry_delay_seconds=0.01,
        ),
        tools_for=lambda _: Cellar(),
        subscriptions=[
            Subscription(InboundMessageReceived, inbound_topic, group, fold=True),
            Subscription(OrderChanged, orders_topic, f"{group}-orders"),
        ],
    )


async def _messages(app: FastAPI, tenant_id: str) -> list[MessageRecord]:
    async with app.state.deps.sessions() as session:
        found = await session.scalars(
            sa.select(MessageRecord)
            .where(col(MessageRecord.tenant_id) == tenant_id)
            .order_by(col(MessageRecord.created_at))
        )
        return list(found.all())


def _about(tail: TopicTail, event: OrderChanged) -> list[OutboundMessageRequested]:
    wanted = outbound_id_for(event.id)
    return [e for e in tail.of(OutboundMessageRequested) if e.data.outbound_id == wanted]


async def test_paid_and_shipped_reach_the_customer_once_with_link_and_tracking(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    tenant_id, other = _shop(), _shop()
    inbound_topic, orders_topic = await _topics(new_topic)
    gateway = FakeGatewayLinks()
    order_id = str(uuid.uuid4())
    placed = order_event(tenant_id, WA_ID, "placed", "pending", order_id=order_id)
    paid = order_event(
        tenant_id, WA_ID, "paid", "paid", order_id=order_id, invoice_number="2026-000001"
    )
    shipped = order_event(
        tenant_id, WA_ID, "shipped", "shipped", order_id=order_id, language="en",
        invoice_number="2026-000001", tracking_code="TRK-778899",
    )  # fmt: skip

    async with (
        serve(gateway.app()) as gateway_url,
        TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], tenant_id) as tail,
        TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], other) as other_tail,
    ):
        app = _app(postgres_url, kafka_bootstrap, gateway_url, inbound_topic, orders_topic)
        async with running(app):
            await publish(
                kafka_bootstrap,
                inbound_topic,
                [inbound(tenant_id, WA_ID, "Ciao!"), inbound(other, WA_ID, "Ciao!")],
            )
            await tail.until(lambda t: bool(t.of(AgentTurnCompleted)))
            await other_tail.until(lambda t: bool(t.of(AgentTurnCompleted)))
            before_other = await _messages(app, other)
            await publish(kafka_bootstrap, orders_topic, [placed, paid, paid, shipped])
            await tail.until(lambda t: bool(_about(t, shipped)))
            mine = await _messages(app, tenant_id)
            theirs = await _messages(app, other)

    [paid_message] = _about(tail, paid)
    text = body_of(paid_message)
    link = f"https://shop.example/l/{tenant_id}.{order_id}.sig"
    assert link in text
    assert "2026-000001" in text
    assert "79,80" in text
    assert "Pagamento ricevuto" in text, "the order's language (it)"
    assert gateway.minted == [(tenant_id, "invoice", order_id)]
    assert gateway.refused == 0
    [shipped_message] = _about(tail, shipped)
    assert "TRK-778899" in body_of(shipped_message)
    assert "has been shipped" in body_of(shipped_message)
    assert _about(tail, placed) == [], "placing is answered in the chat, not here"
    assert paid_message.data.to == WA_ID
    assert paid_message.data.sender == "ai"
    recorded = [m for m in mine if m.event_id in (paid.id, shipped.id)]
    assert [(m.direction, m.outbound_id) for m in recorded] == [
        ("out", outbound_id_for(paid.id)),
        ("out", outbound_id_for(shipped.id)),
    ], "each message once in the conversation, in order"
    assert [m.id for m in theirs] == [m.id for m in before_other], "the other shop untouched"
    assert len(other_tail.of(OutboundMessageRequested)) == 1, "only its own greeting reply"


async def test_no_link_escalates_and_a_closed_window_sends_nothing(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    down, quiet = _shop(), _shop()
    inbound_topic, orders_topic = await _topics(new_topic)
    gateway = FakeGatewayLinks(down={down})
    paid = order_event(down, WA_ID, "paid", "paid", language="es", invoice_number="2026-000007")
    old = inbound(quiet, WA_ID, "Hola")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    old = old.model_copy(update={"data": old.data.model_copy(update={"timestamp": two_days_ago})})
    delivered = order_event(quiet, WA_ID, "delivered", "delivered", number="B-7")

    async with (
        serve(gateway.app()) as gateway_url,
        TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS, CONVERSATION], down) as tail,
        TopicTail(kafka_bootstrap, [AGENT_TURNS], quiet) as quiet_tail,
    ):
        app = _app(postgres_url, kafka_bootstrap, gateway_url, inbound_topic, orders_topic)
        async with running(app):
            await publish(kafka_bootstrap, inbound_topic, [inbound(down, WA_ID, "Hola"), old])
            await tail.until(lambda t: bool(t.of(AgentTurnCompleted)))
            await quiet_tail.until(lambda t: bool(t.of(AgentTurnCompleted)))
            await publish(kafka_bootstrap, orders_topic, [paid, delivered])
            await tail.until(lambda t: bool(_about(t, paid)) and len(t.of(ConversationChanged)) > 1)

            async def note() -> list[MessageRecord]:
                return [m for m in await _messages(app, quiet) if m.is_note]

            [kept_back] = await eventually(note, within=30)
            quiet_messages = await _messages(app, quiet)

    text = body_of(_about(tail, paid)[0])
    assert "Pago recibido" in text
    assert "Te enviaremos la factura" in text
    assert "https://" not in text, "no link was minted"
    escalation = tail.of(ConversationChanged)[-1].data
    assert escalation.transition == "escalated"
    assert escalation.reason is not None
    assert "invoice link unavailable" in escalation.reason
    assert gateway.minted == []
    assert kept_back.sender == "system"
    assert kept_back.text is not None
    assert "B-7" in kept_back.text
    assert "24 hours" in kept_back.text
    assert not [m for m in quiet_messages if m.outbound_id == outbound_id_for(delivered.id)]
