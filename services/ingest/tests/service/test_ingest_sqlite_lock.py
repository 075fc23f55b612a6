"""On SQLite (the `make run` default) an upload must not fail with "database is locked" while
the catalog consumer indexes: the consumer used to embed inside its write transaction, so a
slow embedding (the model still loading, a busy CPU) held SQLite's one write lock past the
busy timeout of every other writer. It now embeds before its transaction opens."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_ingest.handlers import handle_catalog_change
from bancone_kit.db.engine import SQLITE_BUSY_TIMEOUT_MS
from bancone_kit.db.migrations import upgrade_database
from services.ingest.tests.support import new_tenant, product_upserted
from services.ingest.tests.support_documents import MENU_TEXT
from services.ingest.tests.support_ingest import IngestFactory

pytestmark = pytest.mark.service


class SlowFirstEmbedding:
    """The real encoder, whose first call takes longer than SQLite's busy timeout (as the
    first catalog event after startup does while the model loads)."""

    def __init__(self, inner: UniversalSentenceEncoder) -> None:
        self._inner = inner
        self.dim = inner.dim
        self.entered = asyncio.Event()

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        if not self.entered.is_set():
            self.entered.set()
            await asyncio.sleep(SQLITE_BUSY_TIMEOUT_MS / 1000 + 1)
        return await asyncio.to_thread(self._inner.embed, texts)


async def test_an_upload_during_a_slow_catalog_indexing_is_not_refused_as_locked(
    start_ingest: IngestFactory, encoder: UniversalSentenceEncoder, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite'}"
    await upgrade_database(url, "bancone_ingest.migrations")
    shop = new_tenant()
    slow = SlowFirstEmbedding(encoder)
    async with start_ingest(embedder=slow, database_url=url) as ingest:
        event = product_upserted(shop, "p1", name="Barolo DOCG 2019")
        indexing = asyncio.create_task(handle_catalog_change(event, ingest.app.state.deps))
        await asyncio.wait_for(slow.entered.wait(), 30)

        upload = await ingest.upload(shop, "menu.txt", MENU_TEXT.encode(), "text/plain")
        assert upload.status_code == 202, upload.text

        await asyncio.wait_for(indexing, 60)
        assert (await ingest.finished(shop, upload.json()))["state"] == "indexed"
        assert await ingest.app.state.index.count(shop, "product") == 1
