"""The one harness that runs the notifier's consumers and HTTP API on real Kafka topics and
PostgreSQL, with the WhatsApp sandbox as the Graph API; each service test file subclasses
`KafkaHarness` with its own probes. Test-only (docs/architecture.md, "Test helpers")."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.envelope import Envelope
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.broker import make_broker
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import TenantBearer, TokenSigner
from bancone_notifier.adapters.tables import CustomerConsentRecord
from bancone_notifier.bootstrap import build_app
from bancone_notifier.domain.pacing import Pacer
from bancone_notifier.entrypoints.consumers import Subscription
from bancone_notifier.settings import NotifierSettings
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox
from services.notifier.tests.support import TEST_WABA_ID, EventFactory, new_keyring, new_wa_id


@dataclass
class KafkaHarness:
    """Two tenants (`shop`, `rival`) each owning a number at the sandbox, the notifier's own
    topics and consumer groups, a Kafka publisher onto them, and the database engine."""

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
    async def notifier(
        self, pacer: Pacer | None = None, role: str = "owner", **overrides: Any
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        """A notifier process (app, its HTTP client as each path's tenant's `role`); leaving
        stops it. `pacer` None is the app's default (settings' `pacing_enabled`)."""
        settings = self.settings.model_copy(update=overrides)
        app = build_app(settings, subscriptions=self.subscriptions, pacer=pacer)
        self.signer.install(app, "notifier")
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://notifier",
                auth=TenantBearer(self.signer, role),
            ) as client:
                yield app, client

    async def sent_to(self, wa_id: str, phone_number_id: str | None = None) -> list[dict[str, Any]]:
        """What the sandbox received for `wa_id` (from `phone_number_id`, if given)."""
        params = {"to": wa_id} | ({"phone_number_id": phone_number_id} if phone_number_id else {})
        response = await self.sandbox.get("/sandbox/messages", params=params)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    async def graph_attempts(self) -> int:
        attempts: int = (await self.sandbox.get("/sandbox/stats")).json()["attempts"]
        return attempts

    async def consent(self, tenant_id: str, customer_id: str) -> CustomerConsentRecord | None:
        async with session_factory(self.engine)() as session:
            return await session.get(CustomerConsentRecord, (tenant_id, customer_id))

    async def consent_becomes(self, tenant_id: str, customer_id: str, status: str) -> None:
        async def probe() -> bool:
            row = await self.consent(tenant_id, customer_id)
            return row is not None and row.status == status

        await eventually(probe)

    async def wrote_all(self, events: EventFactory, words: str, names: Sequence[str]) -> list[str]:
        """New customers, one a profile name, who each wrote `words` (an opt-in keyword: opted
        in; STOP: opted out), once their consent is recorded."""
        wa_ids = [new_wa_id() for _ in names]
        for wa_id, name in zip(wa_ids, names, strict=True):
            await self.publish(events.inbound(wa_id, words, profile_name=name))
        status = "opted_out" if words.lower() == "stop" else "opted_in"
        for wa_id in wa_ids:
            await self.consent_becomes(events.tenant_id, wa_id, status)
        return wa_ids

    async def wrote(self, events: EventFactory, words: str, name: str = "Cliente") -> str:
        [wa_id] = await self.wrote_all(events, words, [name])
        return wa_id

    async def customers(
        self, events: EventFactory, count: int, words: str = "iscrivimi", name: str = "Cliente"
    ) -> list[str]:
        """`count` customers named "`name` 0", "`name` 1", … who wrote `words`."""
        return await self.wrote_all(events, words, [f"{name} {n}" for n in range(count)])

    async def register_template(
        self,
        name: str,
        *,
        category: str = "MARKETING",
        components: list[dict[str, Any]] | None = None,
    ) -> None:
        """A template created at the sandbox (Meta) for the shop's account, in Italian."""
        body: dict[str, Any] = {"name": name, "language": "it", "category": category}
        if components is not None:
            body["components"] = components
        response = await self.sandbox.post(
            f"/v23.0/{self.shop.waba_id}/message_templates",
            json=body,
            headers={"Authorization": f"Bearer {self.shop.access_token}"},
        )
        response.raise_for_status()


H = TypeVar("H", bound=KafkaHarness)


@contextlib.asynccontextmanager
async def running_harness(
    kind: type[H],
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
    events: Sequence[type[Envelope[Any]]],
    *,
    rival_waba_id: str = TEST_WABA_ID,
    sandbox: Mapping[str, Any] | None = None,
    **settings: Any,
) -> AsyncIterator[H]:
    """A `kind` harness consuming `events` on fresh topics; both tenants' channels published.

    The rival's number is in the shop's WhatsApp Business Account unless `rival_waba_id` says
    otherwise; `sandbox` and `settings` override the sandbox's and the notifier's settings
    (fast send retries by default). The notifier itself runs only inside `harness.notifier()`,
    so a test can stop and restart it."""
    keyring = new_keyring()
    run = uuid.uuid4().hex[:8]
    shop = EventFactory(keyring=keyring, tenant_id=f"shop-{run}")
    rival = EventFactory(keyring=keyring, tenant_id=f"rival-{run}", waba_id=rival_waba_id)
    channels = [
        ChannelConfig(
            phone_number_id=f.phone_number_id, access_token=f.access_token, waba_id=f.waba_id
        )
        for f in (shop, rival)
    ]
    await upgrade_database(postgres_url, "bancone_notifier.migrations")
    topics = {
        cls.topic: await new_topic(partitions=3, name_prefix=cls.__name__.lower()) for cls in events
    }
    subscriptions = [
        Subscription(cls, topics[cls.topic], f"{cls.__name__.lower()}-{run}") for cls in events
    ]
    sandbox_settings = SandboxSettings(channels=channels, **(sandbox or {}))
    with running_sandbox(sandbox_settings) as sandbox_url:
        notifier_settings = NotifierSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            graph_base_url=sandbox_url,
            graph_version="v23.0",
            send_retry_initial_seconds=0.05,
            send_retry_max_seconds=0.2,
            channel_keyring=keyring,
        ).model_copy(update=settings)
        engine = create_engine(postgres_url)
        publisher = make_broker(kafka_bootstrap, client_id=f"notifier-{kind.__name__}-{run}")
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=sandbox_url))
            await publisher.start()
            stack.push_async_callback(publisher.stop)
            stack.push_async_callback(engine.dispose)
            harness = kind(
                shop, rival, engine, client, publisher, topics, notifier_settings, subscriptions
            )
            await harness.publish(shop.channel())
            await harness.publish(rival.channel())
            yield harness
