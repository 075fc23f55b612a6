"""The knowledge index as the running app holds it: opened at startup, not at build time.

An embedded Qdrant directory can be opened by one process only, so the index is opened in
the app's lifespan (building an app, or running `migrate`, never touches it). Loading the
offline embedder's model takes a second or two of CPU, so it runs in a worker thread after
startup: `/healthz` answers at once and `/readyz` reports `index` ready only once the model
is loaded. A search or an event arriving earlier still works: the embedder loads on first
use behind the same lock, so it merely waits for the load.

A re-index (`reindex`) holds writes back (they wait, then apply to the new generation) while
searches go on against the old one. An index whose vector size no longer fits the embedder
opens anyway but answers nothing but a re-index, and is not ready until one has run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from bancone_ingest.adapters.generations import Progress, ReindexResult
from bancone_ingest.adapters.vectors import IndexMismatchError, KnowledgeIndex
from bancone_ingest.domain import EmbeddedText, Hit, IndexDocument, Kind, SearchQuery
from bancone_kit.logging import get_logger

log = get_logger(__name__)


class IndexNotReadyError(RuntimeError):
    """The index is not open, or its embedder is still loading (or failed to load)."""


class IndexHandle:
    """Opens the index in the lifespan and forwards every call to it; `check` is readiness."""

    name = "index"

    def __init__(
        self,
        open_index: Callable[[], KnowledgeIndex],
        *,
        warm_up: Callable[[], object] | None = None,
    ) -> None:
        self._open_index = open_index
        self._warm_up = warm_up
        self._index: KnowledgeIndex | None = None
        self._warming: asyncio.Task[None] | None = None
        self._mismatch: IndexMismatchError | None = None
        self._gate = _WriteGate()

    async def open(self) -> None:
        """Open the index and make sure its collection fits the embedder (fails fast: a
        locked local path or a vector-size mismatch stop the startup), then load the
        embedder's model in the background."""
        index = self._open_index()
        try:
            await index.ensure_collection()
        except IndexMismatchError as error:
            log.warning("index.needs_reindex", reason=str(error))
            self._mismatch = error
        except BaseException:
            await index.close()
            raise
        self._index = index
        if self._warm_up is not None:
            self._warming = asyncio.create_task(self._load(self._warm_up), name="embedder-load")

    async def close(self) -> None:
        """Stop a load still running and release the index (and the local path's lock)."""
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        if self._index is not None:
            await self._index.close()
            self._index = None

    async def check(self) -> None:
        """Readiness: open, fitting the embedder, and the embedder loaded."""
        self._opened()
        if self._warming is None:
            return
        if not self._warming.done():
            raise IndexNotReadyError("the embedder is still loading")
        if self._warming.cancelled():
            raise IndexNotReadyError("the embedder load was cancelled")
        if (error := self._warming.exception()) is not None:
            raise IndexNotReadyError(f"the embedder failed to load: {error!r}") from error

    async def wait_ready(self) -> None:
        """Wait until the embedder has loaded (tests and tools; the app never blocks on it)."""
        self._opened()
        if self._warming is not None:
            await asyncio.shield(self._warming)

    # -- the index's operations -------------------------------------------------------------

    async def embed(self, text: str) -> EmbeddedText:
        """Not a write: a re-index keeps the embedder, so a vector made before it still fits."""
        return await self._opened().embed(text)

    async def upsert(self, doc: IndexDocument, embedded: EmbeddedText | None = None) -> None:
        async with self._gate.write():
            await self._opened().upsert(doc, embedded)

    async def delete(self, tenant_id: str, entity_id: str, kind: Kind | None = None) -> None:
        async with self._gate.write():
            await self._opened().delete(tenant_id, entity_id, kind)

    async def set_stock(
        self, tenant_id: str, entity_id: str, stock: int | None, in_stock: bool | None = None
    ) -> None:
        async with self._gate.write():
            await self._opened().set_stock(tenant_id, entity_id, stock, in_stock)

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]:
        return await self._opened().search(tenant_id, query)

    async def upsert_many(self, docs: Sequence[IndexDocument]) -> None:
        async with self._gate.write():
            await self._opened().upsert_many(docs)

    async def activate_version(self, tenant_id: str, document_id: str, version: int) -> None:
        async with self._gate.write():
            await self._opened().activate_version(tenant_id, document_id, version)

    async def delete_document(
        self, tenant_id: str, document_id: str, version: int | None = None
    ) -> None:
        async with self._gate.write():
            await self._opened().delete_document(tenant_id, document_id, version)

    async def count_passages(self, tenant_id: str, document_id: str | None = None) -> int:
        return await self._opened().count_passages(tenant_id, document_id)

    async def count(self, tenant_id: str, kind: Kind | None = None) -> int:
        return await self._opened().count(tenant_id, kind)

    async def reindex(self, tenant_id: str | None, progress: Progress) -> ReindexResult:
        """Re-embed everything (or one tenant) into a new generation, holding writes back."""
        index = self._open_only()
        async with self._gate.exclusive():
            result = await index.reindex(tenant_id, progress)
            if tenant_id is None:
                self._mismatch = None
        return result

    def _open_only(self) -> KnowledgeIndex:
        if self._index is None:
            raise IndexNotReadyError("the knowledge index is not open")
        return self._index

    def _opened(self) -> KnowledgeIndex:
        index = self._open_only()
        if self._mismatch is not None:
            raise IndexNotReadyError(f"{self._mismatch}: re-index every tenant")
        return index

    async def _load(self, warm_up: Callable[[], object]) -> None:
        try:
            await asyncio.to_thread(warm_up)
        except Exception:
            log.exception("index.embedder_load_failed")
            raise
        log.info("index.embedder_loaded")


class _WriteGate:
    """Writes run concurrently with each other; `exclusive` waits for those in flight and
    holds new ones back until it ends (reads never pass through the gate)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._writers = 0
        self._idle = asyncio.Condition()
        self._exclusive = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[None]:
        while not self._open.is_set():
            await self._open.wait()
        self._writers += 1
        try:
            yield
        finally:
            async with self._idle:
                self._writers -= 1
                self._idle.notify_all()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._exclusive:
            self._open.clear()
            try:
                async with self._idle:
                    await self._idle.wait_for(lambda: self._writers == 0)
                yield
            finally:
                self._open.set()
