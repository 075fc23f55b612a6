"""Customers, consent routes, tags and interests with the notifier as it runs: real Kafka topics,
real PostgreSQL, the WhatsApp sandbox as Graph API, the HTTP API with operator tokens.

Interests come from the catalog's order events and the agent's turn events as they travel on
Kafka; campaigns filtered by tag and category are counted at the sandbox, which is what a
customer would receive."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
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
from bancone_kit.testing.tokens import TenantBearer, TokenSigner, bearer
from bancone_notifier.adapters.tables import CustomerConsentRecord, CustomerInterestRecord
from bancone_notifier.bootstrap import build_app
from bancone_notifier.domain.pacing import Unpaced
from bancone_notifier.entrypoints.consumers import Subscription
from bancone_notifier.settings import NotifierSettings
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox
from services.notifier.tests.support import EventFactory, new_keyring, new_wa_id

pytestmark = pytest.mark.service

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


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
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


async def _customer(client: httpx.AsyncClient, tenant_id: str, wa_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/tenants/{tenant_id}/customers/{wa_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _interests_become(
    client: httpx.AsyncClient, tenant_id: str, wa_id: str, expected: dict[str, list[str]]
) -> None:
    async def probe() -> bool:
        return (await _customer(client, tenant_id, wa_id))["interests"] == expected

    await eventually(probe)


async def test_interests_come_from_paid_orders_and_shown_products_once_each(
    harness: Harness,
) -> None:
    shop = harness.shop
    async with harness.notifier() as client:
        wa_id = await harness.wrote(shop, "iscrivimi", "Giulia")
        order_id = str(uuid.uuid4())
        paid = order_event(shop, wa_id, "paid", ["vino-rosso", "olio", None], order_id=order_id)
        pending = order_event(shop, wa_id, "pending", ["grappa"])
        turn = turn_event(shop, wa_id, ("spumante", "vino-bianco"), searched="vino-bianco")
        for event in (pending, paid, turn):
            await harness.publish(event)
        expected = {"bought": ["olio", "vino-rosso"], "asked": ["spumante", "vino-bianco"]}
        await _interests_become(client, shop.tenant_id, wa_id, expected)
        first = await harness.interests(shop.tenant_id, wa_id)
        assert len(first) == 4

        # Redelivered events, and the same order shipped a day later, add nothing; the sentinels
        # behind them (same key, so read after them) say when they have been handled.
        shipped = order_event(
            shop, wa_id, "shipped", ["vino-rosso"], order_id=order_id, at=utc_now()
        )
        for event in (paid, turn, shipped, paid, turn):
            await harness.publish(event)
        await harness.publish(order_event(shop, wa_id, "paid", ["sentinella"]))
        await harness.publish(turn_event(shop, wa_id, ("sentinella",)))
        expected = {
            "bought": ["olio", "sentinella", "vino-rosso"],
            "asked": ["sentinella", "spumante", "vino-bianco"],
        }
        await _interests_become(client, shop.tenant_id, wa_id, expected)
        after = await harness.interests(shop.tenant_id, wa_id)

    assert [row for row in after if row[1] != "sentinella"] == first


async def test_a_segment_by_tag_and_bought_category_reaches_exactly_its_opted_in_customers(
    harness: Harness,
) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as client:
        # ANNA: vip who bought red wine. BRUNO: vip, bought nothing. CARLA: bought red wine,
        # no tag. DARIO: vip who bought red wine, opted out. ELSA: only asked about red wine.
        anna, bruno, carla, elsa = [await harness.wrote(shop, "iscrivimi") for _ in range(4)]
        dario = await harness.wrote(shop, "STOP")
        for wa_id in (anna, bruno, dario):
            tagged = await client.put(f"{base}/customers/{wa_id}/tags", json={"tags": ["VIP"]})
            assert tagged.status_code == 200, tagged.text
            assert tagged.json()["tags"] == ["vip"]
        for wa_id in (anna, carla, dario):
            await harness.publish(order_event(shop, wa_id, "paid", ["vino-rosso"]))
        await harness.publish(turn_event(shop, elsa, ("vino-rosso",)))
        for wa_id in (anna, carla, dario):
            await _interests_become(
                client, shop.tenant_id, wa_id, {"bought": ["vino-rosso"], "asked": []}
            )
        await _interests_become(
            client, shop.tenant_id, elsa, {"bought": [], "asked": ["vino-rosso"]}
        )

        async def campaign(segment: dict[str, Any]) -> dict[str, Any]:
            created = await client.post(
                f"{base}/campaigns",
                json={
                    "name": "Rossi",
                    "phone_number_id": shop.phone_number_id,
                    "template": {"name": TEMPLATE, "language": "it", "placeholders": 0},
                    "segment": segment,
                    "send_now": True,
                },
            )
            assert created.status_code == 201, created.text

            async def done() -> dict[str, Any] | None:
                found = (await client.get(f"{base}/campaigns/{created.json()['id']}")).json()
                return found if found["state"] == "completed" else None

            return await eventually(done)

        both = await campaign({"tags": ["vip"], "bought_categories": ["vino-rosso"]})
        assert (both["total"], both["counts"]["sent"]) == (1, 1)
        assert [await harness.sent_to(c) for c in (anna, bruno, carla, dario, elsa)] == [
            1,
            0,
            0,
            0,
            0,
        ]

        vip = await campaign({"tags": ["vip"]})
        bought = await campaign({"bought_categories": ["vino-rosso", "grappa"]})
        asked = await campaign({"asked_categories": ["vino-rosso"]})
        assert [vip["total"], bought["total"], asked["total"]] == [2, 2, 1]
        assert [await harness.sent_to(c) for c in (anna, bruno, carla, dario, elsa)] == [
            3,
            1,
            1,
            0,
            1,
        ]

        # listed by name, the opted-out vip is skipped with the reason, never sent to
        listed = await campaign({"customers": [anna, dario], "tags": ["vip"]})
        assert listed["skipped"] == {"opted out": 1}
        assert await harness.sent_to(dario) == 0


async def test_the_customer_list_pages_and_filters(harness: Harness) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as client:
        names = ["Giulia Rossi", "Marco Bianchi", "Giulia Verdi"]
        customers = [await harness.wrote(shop, "iscrivimi", name) for name in names]
        stopped = await harness.wrote(shop, "STOP", "Paolo")
        # opted in at the till, never wrote: known, window closed
        till = new_wa_id()
        recorded = await client.post(
            f"{base}/customers/{till}/consent",
            json={"action": "opt_in", "source": "till", "proof": "modulo firmato n. 12"},
        )
        assert recorded.status_code == 200, recorded.text
        assert (recorded.json()["consent"], recorded.json()["window_open"]) == ("opted_in", False)
        await client.put(f"{base}/customers/{customers[1]}/tags", json={"tags": ["vip"]})

        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(f"{base}/customers", params=params)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        ids = [item["customer_id"] for item in seen]
        assert ids == sorted([*customers, stopped, till])
        first = next(item for item in seen if item["customer_id"] == customers[0])
        assert first == {
            "customer_id": customers[0],
            "name": "Giulia Rossi",
            "language": "it",
            "consent": "opted_in",
            "tags": [],
            "last_inbound_at": first["last_inbound_at"],
            "window_open": True,
            "interests": {"bought": [], "asked": []},
        }

        async def listed(**params: Any) -> list[str]:
            response = await client.get(f"{base}/customers", params=params)
            assert response.status_code == 200, response.text
            return [item["customer_id"] for item in response.json()["items"]]

        assert await listed(consent="opted_out") == [stopped]
        assert set(await listed(consent="opted_in")) == {*customers, till}
        assert await listed(consent="none") == []
        assert await listed(tag="VIP") == [customers[1]]
        assert set(await listed(q="giulia")) == {customers[0], customers[2]}
        assert await listed(q=till[:8]) == [till]
        assert await listed(q="%") == []

        # one customer, with the ledger
        detail = await _customer(client, shop.tenant_id, stopped)
        [entry] = detail["consent_history"]
        assert (entry["action"], entry["source"]) == ("opt_out", "keyword")
        assert entry["proof"].endswith(": STOP")
        # a console opt-in later: the ledger keeps both, the state follows the newest
        again = await client.post(
            f"{base}/customers/{stopped}/consent",
            json={
                "action": "opt_in",
                "source": "web_form",
                "proof": "form #88",
                "request_id": "r1",
            },
        )
        assert again.json()["consent"] == "opted_in"
        await client.post(
            f"{base}/customers/{stopped}/consent",
            json={
                "action": "opt_in",
                "source": "web_form",
                "proof": "form #88",
                "request_id": "r1",
            },
        )
        history = (await _customer(client, shop.tenant_id, stopped))["consent_history"]
        assert [(e["action"], e["source"]) for e in history] == [
            ("opt_out", "keyword"),
            ("opt_in", "web_form"),
        ]
        out = await client.post(
            f"{base}/customers/{stopped}/consent", json={"action": "opt_out", "source": "console"}
        )
        assert out.json()["consent"] == "opted_out"
        last = (await _customer(client, shop.tenant_id, stopped))["consent_history"][-1]
        assert last["proof"] == f"recorded by operator op-owner-{shop.tenant_id}"


async def test_bad_input_is_refused_with_a_422_and_changes_nothing(harness: Harness) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as client:
        wa_id = await harness.wrote(shop, "iscrivimi")
        refused: dict[str, tuple[str, str, dict[str, Any] | None]] = {
            "opt-in without proof": (
                "POST",
                f"customers/{wa_id}/consent",
                {"action": "opt_in", "source": "console", "proof": "  "},
            ),
            "the customer's own source": (
                "POST",
                f"customers/{wa_id}/consent",
                {"action": "opt_out", "source": "keyword"},
            ),
            "unknown action": ("POST", f"customers/{wa_id}/consent", {"action": "maybe"}),
            "bad tag": ("PUT", f"customers/{wa_id}/tags", {"tags": ["vip!"]}),
            "long tag": ("PUT", f"customers/{wa_id}/tags", {"tags": ["x" * 33]}),
            "21 tags": ("PUT", f"customers/{wa_id}/tags", {"tags": [f"t{n}" for n in range(21)]}),
            "filler keyword": (
                "PUT",
                "consent/keywords",
                {"keywords": [{"phrase": "please", "action": "opt_out", "language": "en"}]},
            ),
            "repeated keyword": (
                "PUT",
                "consent/keywords",
                {
                    "keywords": [
                        {"phrase": "stop", "action": "opt_out", "language": "en"},
                        {"phrase": "STOP!", "action": "opt_in", "language": "en"},
                    ]
                },
            ),
            "bad cursor": ("GET", "customers?cursor=!!!", None),
            "limit 0": ("GET", "customers?limit=0", None),
            "bad consent filter": ("GET", "customers?consent=maybe", None),
            "empty tag segment": ("POST", "campaigns", {"segment": {"tags": []}}),
            "bad category segment": (
                "POST",
                "campaigns",
                {"segment": {"bought_categories": ["Vino Rosso"]}},
            ),
        }
        for why, (method, path, body) in refused.items():
            if path == "campaigns":
                assert body is not None
                body = {
                    "name": "x",
                    "phone_number_id": shop.phone_number_id,
                    "template": {"name": TEMPLATE, "language": "it"},
                } | body
            response = await client.request(method, f"{base}/{path}", json=body)
            assert response.status_code == 422, (why, response.text)
        problem = (
            await client.put(f"{base}/consent/keywords", json=refused["filler keyword"][2])
        ).json()
        assert "never be a whole message" in problem["detail"]
        kept = await _customer(client, shop.tenant_id, wa_id)
        assert (kept["consent"], kept["tags"], len(kept["consent_history"])) == ("opted_in", [], 1)
        keywords = (await client.get(f"{base}/consent/keywords")).json()
        assert keywords["uses_defaults"] is True

        # 404s: a customer nobody knows
        unknown = new_wa_id()
        assert (await client.get(f"{base}/customers/{unknown}")).status_code == 404
        tags = await client.put(f"{base}/customers/{unknown}/tags", json={"tags": ["vip"]})
        assert tags.status_code == 404
        # a viewer reads but does not write
        viewer = bearer(harness.signer.operator(shop.tenant_id, "viewer"))
        assert (await client.get(f"{base}/customers", headers=viewer)).status_code == 200
        denied = await client.put(
            f"{base}/customers/{wa_id}/tags", json={"tags": ["vip"]}, headers=viewer
        )
        assert denied.status_code == 403


async def test_another_tenant_neither_sees_nor_changes_a_customer_nor_their_keywords(
    harness: Harness,
) -> None:
    shop, rival = harness.shop, harness.rival
    ours, theirs = f"/v1/tenants/{shop.tenant_id}", f"/v1/tenants/{rival.tenant_id}"
    rival_admin = bearer(harness.signer.operator(rival.tenant_id, "admin"))
    async with harness.notifier() as client:
        wa_id = await harness.wrote(shop, "iscrivimi", "Giulia")
        await client.put(f"{ours}/customers/{wa_id}/tags", json={"tags": ["vip"]})
        await harness.publish(order_event(shop, wa_id, "paid", ["vino-rosso"]))
        await _interests_become(
            client, shop.tenant_id, wa_id, {"bought": ["vino-rosso"], "asked": []}
        )

        # the shop's paths with the rival's token: another tenant
        for method, path, body in (
            ("GET", f"customers/{wa_id}", None),
            ("GET", "customers", None),
            ("PUT", f"customers/{wa_id}/tags", {"tags": []}),
            ("POST", f"customers/{wa_id}/consent", {"action": "opt_out", "source": "console"}),
            ("GET", "consent/keywords", None),
            ("PUT", "consent/keywords", {"keywords": []}),
        ):
            response = await client.request(
                method, f"{ours}/{path}", json=body, headers=rival_admin
            )
            assert response.status_code == 404, (path, response.text)
        # the rival's own paths: the customer is not theirs
        assert (await client.get(f"{theirs}/customers/{wa_id}")).status_code == 404
        assert (await client.get(f"{theirs}/customers")).json()["items"] == []
        assert (await client.get(f"{theirs}/customers", params={"tag": "vip"})).json() == {
            "items": [],
            "next_cursor": None,
        }
        tags = await client.put(f"{theirs}/customers/{wa_id}/tags", json={"tags": ["spam"]})
        assert tags.status_code == 404
        # the rival records an opt-out for the same number: theirs only (consent is per tenant)
        out = await client.post(
            f"{theirs}/customers/{wa_id}/consent", json={"action": "opt_out", "source": "import"}
        )
        assert (out.json()["consent"], out.json()["tags"], out.json()["interests"]) == (
            "opted_out",
            [],
            {"bought": [], "asked": []},
        )
        # the rival's own keywords do not change the shop's
        custom = {"keywords": [{"phrase": "fermati", "action": "opt_out", "language": "it"}]}
        put = await client.put(f"{theirs}/consent/keywords", json=custom)
        assert put.json() == custom | {"uses_defaults": False}

        mine = await _customer(client, shop.tenant_id, wa_id)
        assert (mine["consent"], mine["tags"], mine["interests"]["bought"]) == (
            "opted_in",
            ["vip"],
            ["vino-rosso"],
        )
        assert len(mine["consent_history"]) == 1
        keywords = (await client.get(f"{ours}/consent/keywords")).json()
        assert keywords["uses_defaults"] is True
        assert {"phrase": "stop", "action": "opt_out", "language": "en"} in keywords["keywords"]
