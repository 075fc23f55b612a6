"""The ingest as it runs: its app's lifespan consumes catalog changes from real Kafka, keeps
its inbox and ordering rows in real PostgreSQL, embeds with the offline USE model and indexes
into embedded Qdrant in tmp_path; the search API answers from it, one tenant at a time."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from faststream.kafka import KafkaBroker

from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_ingest.adapters.tables import IndexedEntityRecord
from bancone_ingest.bootstrap import build_app
from bancone_ingest.entrypoints.consumers import Subscription
from bancone_ingest.settings import IngestSettings
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.broker import make_broker
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import TenantBearer, TokenSigner
from services.ingest.tests.support import (
    at,
    deleted,
    faq_upserted,
    new_tenant,
    product_upserted,
    stock_changed,
)

pytestmark = pytest.mark.service


@dataclass
class Ingest:
    """A running ingest with its own catalog topic, database and local Qdrant."""

    http: httpx.AsyncClient
    publisher: KafkaBroker
    topic: str
    database_url: str

    async def publish(self, *events: CatalogEntityChanged) -> None:
        for event in events:
            await self.publisher.publish(
                event.to_bytes(), topic=self.topic, key=event.key().encode()
            )

    async def search(self, tenant_id: str, **body: Any) -> list[dict[str, Any]]:
        response = await self.http.post(f"/v1/tenants/{tenant_id}/search", json=body)
        assert response.status_code == 200, response.text
        hits: list[dict[str, Any]] = response.json()["hits"]
        return hits

    async def documents(self, tenant_id: str) -> dict[str, int]:
        response = await self.http.get(f"/v1/tenants/{tenant_id}/stats")
        assert response.status_code == 200, response.text
        counts: dict[str, int] = response.json()["documents"]
        return counts

    async def indexed(self, tenant_id: str, **expected: int) -> dict[str, int]:
        """Wait until the tenant's document counts are the expected ones."""

        async def probe() -> dict[str, int] | None:
            counts = await self.documents(tenant_id)
            return counts if all(counts[k] == n for k, n in expected.items()) else None

        return await eventually(probe)

    async def row(self, tenant_id: str, entity_id: str) -> IndexedEntityRecord | None:
        engine = create_engine(self.database_url)
        try:
            async with session_factory(engine)() as session:
                return await session.get(IndexedEntityRecord, (tenant_id, "product", entity_id))
        finally:
            await engine.dispose()


@pytest.fixture
async def ingest(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
    tmp_path: Path,
) -> AsyncIterator[Ingest]:
    await upgrade_database(postgres_url, "bancone_ingest.migrations")
    run = uuid.uuid4().hex[:8]
    topic = await new_topic(partitions=3, name_prefix="catalog")
    settings = IngestSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        qdrant_path=tmp_path / "qdrant",
        consumer_retry_attempts=2,
        consumer_retry_max_seconds=0.2,
    )
    app = build_app(
        settings, subscriptions=[Subscription(CatalogEntityChanged, topic, f"ingest-{run}")]
    )
    signer = TokenSigner()
    signer.install(app, "ingest")
    publisher = make_broker(kafka_bootstrap, client_id=f"ingest-test-{run}")
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
        )
        transport = httpx.ASGITransport(app=app)
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=transport,
                base_url="http://ingest",
                timeout=30,
                auth=TenantBearer(signer, service="ingest"),  # the agent, for the path's tenant
            )
        )
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        yield Ingest(http, publisher, topic, postgres_url)


async def test_ingest_is_ready_once_the_index_is_open_and_the_embedder_loaded(
    ingest: Ingest,
) -> None:
    async def ready() -> dict[str, Any] | None:
        response = await ingest.http.get("/readyz")
        return response.json() if response.status_code == 200 else None

    body = await eventually(ready)
    assert body["checks"] == {"database": "ok", "kafka": "ok", "index": "ok"}


async def test_catalog_changes_are_searchable_by_their_own_tenant_only(ingest: Ingest) -> None:
    shop_a, shop_b = new_tenant("enoteca-a"), new_tenant("enoteca-b")
    await ingest.publish(
        product_upserted(
            shop_a,
            "a-barolo",
            name="Barolo Riserva 2017",
            price="42.00",
            description="Rosso piemontese da Nebbiolo, austero e longevo.",
        ),
        product_upserted(
            shop_a,
            "a-montepulciano",
            name="Montepulciano d'Abruzzo 2022",
            price="8.90",
            description="Rosso morbido da tutti i giorni.",
        ),
        faq_upserted(
            shop_a,
            "a-shipping",
            question="Quanto costa la spedizione?",
            answer="La spedizione è gratuita sopra i 50 euro.",
        ),
        product_upserted(
            shop_b,
            "b-rioja",
            name="Rioja Reserva 2018",
            price="19.00",
            description="Tinto de Tempranillo, crianza en barrica.",
        ),
    )
    await ingest.indexed(shop_a, product=2, faq=1)
    await ingest.indexed(shop_b, product=1)

    hits = await ingest.search(shop_a, text="Barolo Riserva", kinds=["product"], limit=1)
    assert [(h["entity_id"], h["payload"]["price_text"]) for h in hits] == [("a-barolo", "42.00")]

    cheap = await ingest.search(
        shop_a, text="un vino rosso economico", attributes={"colour": "red"}, max_price="20"
    )
    assert [h["entity_id"] for h in cheap] == ["a-montepulciano"]

    faq = await ingest.search(shop_a, text="spedizione gratuita?", kinds=["faq"])
    assert [h["entity_id"] for h in faq] == ["a-shipping"]

    # Tenant B asks for A's wine by name: it only ever sees its own catalog.
    theirs = await ingest.search(shop_b, text="Barolo Riserva 2017", limit=50)
    assert {h["entity_id"] for h in theirs} == {"b-rioja"}
    assert {h["payload"]["tenant_id"] for h in theirs} == {shop_b}
    mine = await ingest.search(shop_a, text="Rioja Reserva tinto", limit=50)
    assert "b-rioja" not in {h["entity_id"] for h in mine}

    await ingest.publish(deleted(shop_a, "a-montepulciano"))
    await ingest.indexed(shop_a, product=1, faq=1)
    after = await ingest.search(shop_a, text="Montepulciano d'Abruzzo", kinds=["product"])
    assert "a-montepulciano" not in {h["entity_id"] for h in after}
    assert await ingest.documents(shop_b) == {"product": 1, "service": 0, "faq": 0, "offer": 0}


async def test_a_redelivered_or_older_event_never_overwrites_a_newer_one(ingest: Ingest) -> None:
    shop = new_tenant()

    def chianti(price: str, seconds: float) -> CatalogEntityChanged:
        return product_upserted(
            shop, "p-chianti", name="Chianti Classico", price=price, time=at(seconds)
        )

    first, second = chianti("16.50", 1), chianti("17.90", 2)
    await ingest.publish(first, second)
    await ingest.indexed(shop, product=1)

    # The same event again (a relay republishing it), and an older state under a new id.
    # All of one entity's events share its key, hence its partition: once the stock change
    # published after them is applied, they have been consumed.
    marker = stock_changed(shop, "p-chianti", 3, time=at(3))
    await ingest.publish(first, chianti("12.00", 0.5), marker)

    async def marker_applied() -> IndexedEntityRecord | None:
        row = await ingest.row(shop, "p-chianti")
        return row if row is not None and row.last_event_id == marker.id else None

    row = await eventually(marker_applied)
    assert (row.changed_at, row.stock_changed_at, row.stock) == (at(2), at(3), 3)
    [hit] = await ingest.search(shop, text="Chianti", kinds=["product"])
    assert (hit["payload"]["price_text"], hit["payload"]["stock"]) == ("17.90", 3)
