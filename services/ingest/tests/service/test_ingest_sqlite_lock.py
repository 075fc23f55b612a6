"""On SQLite (the `make run` default) an upload must not fail with "database is locked" while
the catalog consumer indexes: the consumer used to embed inside its write transaction, so a
slow embedding (the model still loading, a busy CPU) held SQLite's one write lock (and now
the engine's one connection) while every other writer waited. It now embeds before its
transaction opens."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_ingest.handlers import handle_catalog_change
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.db.sqlite_driver import LOCK_WAIT_SECONDS
from services.ingest.tests.support import new_tenant, product_upserted
from services.ingest.tests.support_documents import MENU_TEXT
from services.ingest.tests.support_ingest import IngestFactory

pytestmark = pytest.mark.service


class SlowFirstEmbedding:
    """The real encoder, whose first call takes longer than a SQLite writer waits for the lock
    (as the first catalog event after startup does while the model loads)."""

    def __init__(self, inner: UniversalSentenceEncoder) -> None:
        self._inner = inner
        self.dim = inner.dim
        self.entered = asyncio.Event()

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        if not self.entered.is_set():
            self.entered.set()
            await asyncio.sleep(LOCK_WAIT_SECONDS + 1)
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
        assert not indexing.done(), "the upload did not wait for the indexing's embedding"

        await asyncio.wait_for(indexing, 60)
        assert (await ingest.finished(shop, upload.json()))["state"] == "indexed"
        assert await ingest.app.state.index.count(shop, "product") == 1


async def test_a_job_poll_and_an_upload_during_a_slow_switch_of_versions_are_not_refused(
    start_ingest: IngestFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite'}"
    await upgrade_database(url, "bancone_ingest.migrations")
    shop = new_tenant()
    async with start_ingest(database_url=url) as ingest:
        # The embedded Qdrant switching a long document's versions takes seconds: made
        # longer than SQLite's busy timeout here, the real switch after it.
        index = ingest.app.state.index
        switch = index.activate_version
        switching = asyncio.Event()

        async def slow_switch(tenant_id: str, document_id: str, version: int) -> None:
            switching.set()
            await asyncio.sleep(LOCK_WAIT_SECONDS + 1)
            await switch(tenant_id, document_id, version)

        monkeypatch.setattr(index, "activate_version", slow_switch)
        menu = await ingest.uploaded(
            shop, "menu.txt", MENU_TEXT.encode(), content_type="text/plain"
        )
        await asyncio.wait_for(switching.wait(), 60)

        assert (await ingest.job(shop, menu["job"]["job_id"]))["state"] == "embedding"
        other = await ingest.upload(shop, "other.txt", MENU_TEXT.encode(), "text/plain")
        assert other.status_code == 202, other.text
        assert (await ingest.finished(shop, menu))["state"] == "indexed"
        assert (await ingest.finished(shop, other.json()))["state"] == "indexed"
