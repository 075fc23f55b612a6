"""The app's index handle: open in the lifespan, ready only once the embedder has loaded."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from qdrant_client import AsyncQdrantClient

from bancone_ingest.adapters.index_handle import IndexHandle, IndexNotReadyError
from bancone_ingest.adapters.vectors import KnowledgeIndex
from bancone_ingest.domain import Product, SearchQuery, build_document

pytestmark = pytest.mark.unit


class TinyEmbedder:
    """Three-dimensional vectors, enough to store and find a point."""

    dim = 3

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, float(len(t) % 7), 0.5] for t in texts]


def in_memory_index() -> KnowledgeIndex:
    return KnowledgeIndex(
        AsyncQdrantClient(location=":memory:"), TinyEmbedder(), payload_indexes=False
    )


async def test_the_index_is_ready_only_once_the_embedder_has_loaded() -> None:
    loaded = threading.Event()
    handle = IndexHandle(in_memory_index, warm_up=lambda: loaded.wait(10))
    with pytest.raises(IndexNotReadyError, match="not open"):
        await handle.check()

    await handle.open()
    try:
        with pytest.raises(IndexNotReadyError, match="still loading"):
            await handle.check()
        # Open means usable: writes and searches don't wait for readiness.
        await handle.upsert(build_document("demo", Product(id="p1", name="Barolo")))
        assert await handle.count("demo", "product") == 1

        loaded.set()
        await asyncio.wait_for(handle.wait_ready(), 10)
        await handle.check()
        [hit] = await handle.search("demo", SearchQuery(text="Barolo"))
        assert hit.entity_id == "p1"
    finally:
        loaded.set()
        await handle.close()
    with pytest.raises(IndexNotReadyError):
        await handle.count("demo")


async def test_an_embedder_that_fails_to_load_keeps_the_index_not_ready() -> None:
    def broken() -> None:
        raise OSError("model file missing")

    handle = IndexHandle(in_memory_index, warm_up=broken)
    await handle.open()
    try:
        with pytest.raises(OSError, match="model file missing"):
            await handle.wait_ready()
        with pytest.raises(IndexNotReadyError, match="failed to load"):
            await handle.check()
    finally:
        await handle.close()


async def test_without_a_model_to_load_the_index_is_ready_when_open() -> None:
    handle = IndexHandle(in_memory_index)
    await handle.open()
    try:
        await handle.check()
    finally:
        await handle.close()
