"""The notifier's customer tests' harness: a notifier on real Kafka topics and PostgreSQL, the
WhatsApp sandbox as Graph API, operator tokens; and builders of the order and agent-turn events
the notifier's interests come from. Test-only (docs/architecture.md, "Test helpers").
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import httpx
from asgi_lifespan import LifespanManager
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_cli.webhooks import DEFAULT_WABA_ID
from bancone_contracts.common import Money, utc_now
from bancone_contracts.envelope import Envelope
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
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.broker import make_broker
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import TenantBearer, TokenSigner
from bancone_notifier.adapters.tables import CustomerConsentRecord, CustomerInterestRecord
from bancone_notifier.bootstrap import build_app
from bancone_notifier.domain.pacing import Unpaced
from bancone_notifier.entrypoints.consumers import Subscription
from bancone_notifier.settings import NotifierSettings
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox
from services.notifier.tests.support import EventFactory, new_keyring, new_wa_id

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


@dataclass
class Harness:
    shop: EventFactory
    rival: EventFactory
    engine: AsyncEngine
    sandbox: httpx.AsyncClient
    publisher: KafkaBroker
    topics: dict[str, str]
    settings: NotifierSettings
    subscriptions: list[Subscription]
    signer: TokenSigner = field(default_factory=TokenSigner)

    async def publish(self, event: Envelope[Any]) -> None:
        await self.publisher.publish(
            event.to_bytes(), topic=self.topics[event.topic], key=event.key().encode()
        )

    @contextlib.asynccontextmanager
    async def notifier(self) -> AsyncIterator[httpx.AsyncClient]:
        """A notifier process and its HTTP client as each path's tenant owner."""
        app = build_app(self.settings, subscriptions=self.subscriptions, pacer=Unpaced())
        self.signer.install(app, "notifier")
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://notifier", auth=TenantBearer(self.signer)
            ) as client:
                yield client

    async def sent_to(self, wa_id: str) -> int:
        response = await self.sandbox.get("/sandbox/messages", params={"to": wa_id})
        response.raise_for_status()
        return len(response.json())

    async def wrote(self, events: EventFactory, words: str, name: str = "Cliente") -> str:
        """A customer who wrote `words` (an opt-in keyword: opted in; STOP: opted out)."""
        wa_id = new_wa_id()
        await self.publish(events.inbound(wa_id, words, profile_name=name))
        status = "opted_out" if words == "STOP" else "opted_in"

        async def recorded() -> bool:
            async with session_factory(self.engine)() as session:
                row = await session.get(CustomerConsentRecord, (events.tenant_id, wa_id))
            return row is not None and row.status == status

        await eventually(recorded)
        return wa_id

    async def interests(self, tenant_id: str, customer: str) -> list[tuple[str, str, datetime]]:
        async with session_factory(self.engine)() as session:
            rows = await session.exec(
                select(CustomerInterestRecord).where(
                    CustomerInterestRecord.tenant_id == tenant_id,
                    CustomerInterestRecord.customer_id == customer,
                )
            )
            return sorted((r.kind, r.category, r.first_at) for r in rows.all())

    async def register_template(self) -> None:
        response = await self.sandbox.post(
            f"/v23.0/{DEFAULT_WABA_ID}/message_templates",
            json={
                "name": TEMPLATE,
                "language": "it",
                "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Novità in enoteca!"}],
            },
            headers={"Authorization": f"Bearer {self.shop.access_token}"},
        )
        response.raise_for_status()


@contextlib.asynccontextmanager
async def running_harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    """Two tenants' channels published, the template registered at the sandbox."""
    keyring = new_keyring()
    run = uuid.uuid4().hex[:8]
    shop = EventFactory(keyring=keyring, tenant_id=f"shop-{run}")
    rival = EventFactory(keyring=keyring, tenant_id=f"rival-{run}")
    channels = [
        ChannelConfig(phone_number_id=f.phone_number_id, access_token=f.access_token)
        for f in (shop, rival)
    ]
    await upgrade_database(postgres_url, "bancone_notifier.migrations")
    topics = {
        cls.topic: await new_topic(partitions=3, name_prefix=cls.__name__.lower()) for cls in EVENTS
    }
    subscriptions = [
        Subscription(cls, topics[cls.topic], f"{cls.__name__.lower()}-{run}") for cls in EVENTS
    ]
    with running_sandbox(SandboxSettings(channels=channels)) as sandbox_url:
        settings = NotifierSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            graph_base_url=sandbox_url,
            graph_version="v23.0",
            send_retry_initial_seconds=0.05,
            send_retry_max_seconds=0.2,
            channel_keyring=keyring,
            campaign_poll_seconds=0.1,
        )
        engine = create_engine(postgres_url)
        publisher = make_broker(kafka_bootstrap, client_id=f"notifier-customers-test-{run}")
        async with contextlib.AsyncExitStack() as stack:
            sandbox = await stack.enter_async_context(httpx.AsyncClient(base_url=sandbox_url))
            await publisher.start()
            stack.push_async_callback(publisher.stop)
            stack.push_async_callback(engine.dispose)
            harness = Harness(
                shop, rival, engine, sandbox, publisher, topics, settings, subscriptions
            )
            await harness.publish(shop.channel())
            await harness.publish(rival.channel())
            await harness.register_template()
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
        return (await customer_of(client, tenant_id, wa_id))["interests"] == expected

    await eventually(probe)
