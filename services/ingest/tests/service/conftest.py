"""Fixtures of the ingest's service tests: the offline encoder (loaded once) and
`start_ingest`, which starts an ingest app on this test's database, Qdrant and blob
directories against the real broker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_ingest.bootstrap import Embedding, build_app
from bancone_ingest.entrypoints.consumers import Subscription
from bancone_ingest.settings import IngestSettings
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.testing.tokens import TenantBearer, TokenSigner
from services.ingest.tests.support_ingest import MAX_BYTES, Ingest, IngestFactory


@pytest.fixture(scope="session")
def encoder() -> UniversalSentenceEncoder:
    model = UniversalSentenceEncoder()
    model.load()
    return model


@pytest.fixture
async def start_ingest(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Any],
    tmp_path: Path,
    encoder: UniversalSentenceEncoder,
) -> IngestFactory:
    """Starts an ingest on this test's database, Qdrant directory and blob directory (the
    same ones each time it is started again)."""
    await upgrade_database(postgres_url, "bancone_ingest.migrations")
    topic = await new_topic(partitions=1, name_prefix="catalog")

    @contextlib.asynccontextmanager
    async def start(embedder: Any = None, **overrides: Any) -> AsyncIterator[Ingest]:
        defaults: dict[str, Any] = {
            "database_url": postgres_url,
            "kafka_bootstrap_servers": kafka_bootstrap,
            "qdrant_path": tmp_path / "qdrant",
            "blob_store": str(tmp_path / "blobs"),
            "max_upload_bytes": MAX_BYTES,
            "ingestion_poll_seconds": 0.2,
        }
        settings = IngestSettings(**(defaults | overrides))
        app = build_app(
            settings,
            embedding=Embedding(embedder or encoder),
            subscriptions=[Subscription(CatalogEntityChanged, topic, f"ingest-{topic}")],
        )
        signer = TokenSigner()
        signer.install(app, "ingest")
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://ingest",
                timeout=60,
                auth=TenantBearer(signer),  # the owner of the tenant each path names
            ) as http:
                yield Ingest(http, app, settings.database_url, tmp_path / "blobs", signer)

    return start
