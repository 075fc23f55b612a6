"""The one place that builds the ingest's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from bancone_ingest.adapters.blobs import BlobStore, DirectoryBlobStore
from bancone_ingest.adapters.embedder import AnyEmbedder, OpenAIEmbedder, UniversalSentenceEncoder
from bancone_ingest.adapters.index_handle import IndexHandle
from bancone_ingest.adapters.object_blobs import ObjectStoreBlobs
from bancone_ingest.adapters.url_fetch import UrlFetcher
from bancone_ingest.adapters.vectors import KnowledgeIndex
from bancone_ingest.document_handlers import DocumentDeps
from bancone_ingest.domain.chunking import ChunkingRules
from bancone_ingest.entrypoints.consumers import SUBSCRIPTIONS, Subscription, register_consumers
from bancone_ingest.entrypoints.http import build_http_app
from bancone_ingest.entrypoints.ingestion_worker import IngestionWorker
from bancone_ingest.handlers import IngestDeps
from bancone_ingest.reindexing import Reindexer
from bancone_ingest.settings import IngestSettings
from bancone_kit.db import create_engine, session_factory
from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.runtime import Messaging


class Embedding:
    """The configured embedder, what loads it ahead of use, and what releases it."""

    def __init__(
        self,
        embedder: AnyEmbedder,
        *,
        warm_up: Callable[[], None] | None = None,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.warm_up = warm_up
        self.close = close


def build_embedding(settings: IngestSettings) -> Embedding:
    """The offline USE (model loaded in a thread after startup) or OpenAI embeddings."""
    match settings.embedder:
        case "use":
            encoder = UniversalSentenceEncoder()
            return Embedding(encoder, warm_up=encoder.load)
        case "openai":
            from openai import AsyncOpenAI

            key = settings.openai_api_key
            client = AsyncOpenAI(
                # A self-hosted endpoint usually takes any key; the SDK insists on one.
                api_key=key.get_secret_value() if key is not None else "unused",
                base_url=str(settings.openai_base_url) if settings.openai_base_url else None,
            )
            embedder = OpenAIEmbedder(
                client,
                model=settings.openai_model,
                dim=settings.openai_dim,
                send_dimensions=settings.openai_send_dimensions,
            )
            return Embedding(embedder, close=client.close)


def index_opener(settings: IngestSettings, embedder: AnyEmbedder) -> Callable[[], KnowledgeIndex]:
    """Opens the Qdrant server at `qdrant_url`, else the embedded store at `qdrant_path`."""

    def open_index() -> KnowledgeIndex:
        key = settings.qdrant_api_key
        return KnowledgeIndex.open(
            embedder,
            path=settings.qdrant_path,
            url=settings.qdrant_url or None,
            api_key=key.get_secret_value() if key is not None else None,
            collection=settings.collection,
            timeout=settings.qdrant_timeout_seconds,
            candidate_pool=settings.search_candidate_pool,
        )

    return open_index


def build_blob_store(settings: IngestSettings) -> BlobStore:
    """Where uploaded originals are kept: an S3-compatible bucket for an `s3://` URL, else a
    directory."""
    if settings.blob_store.startswith("s3://"):
        secret = settings.blob_s3_secret_access_key
        return ObjectStoreBlobs.from_url(
            settings.blob_store,
            endpoint=str(settings.blob_s3_endpoint_url) if settings.blob_s3_endpoint_url else None,
            region=settings.blob_s3_region,
            access_key_id=settings.blob_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
        )
    if "://" in settings.blob_store:
        raise ValueError(f"blob_store {settings.blob_store!r}: use a directory or an s3:// URL")
    return DirectoryBlobStore(Path(settings.blob_store))


def build_app(
    settings: IngestSettings,
    *,
    embedding: Embedding | None = None,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
    blobs: BlobStore | None = None,
) -> FastAPI:
    """The ingest's ASGI app: the index (opened in the lifespan, its embedder loaded in the
    background), the catalog consumer, the ingestion worker, and the search and document APIs.

    Tests pass their own `embedding`, blob store, and topics and groups in `subscriptions`.
    """
    engine = create_engine(settings.database_url)
    broker = broker_for(settings)
    # The relay publishes what the ingestion jobs stage in the outbox (bancone.knowledge.v1).
    messaging = Messaging(broker, engine)
    embedding = embedding or build_embedding(settings)
    index = IndexHandle(index_opener(settings, embedding.embedder), warm_up=embedding.warm_up)
    sessions = session_factory(engine)
    deps = IngestDeps(sessions=sessions, index=index)
    lease = timedelta(seconds=settings.ingestion_lease_seconds)
    documents = DocumentDeps(
        sessions=sessions,
        index=index,
        blobs=blobs or build_blob_store(settings),
        max_bytes=settings.max_upload_bytes,
        rules=ChunkingRules(settings.chunk_max_chars, settings.chunk_overlap_chars),
        batch_size=settings.ingestion_batch_size,
        wake_worker=lambda: worker.wake(),
        fetcher=UrlFetcher(
            allowed_hosts=settings.url_fetch_trusted_hosts,
            timeout_seconds=settings.url_fetch_timeout_seconds,
            max_redirects=settings.url_fetch_max_redirects,
        ),
    )
    reindexer = Reindexer(index)
    worker = IngestionWorker(documents, poll_seconds=settings.ingestion_poll_seconds, lease=lease)
    register_consumers(
        broker,
        deps,
        retry=settings.consumer_retry,
        subscriptions=subscriptions,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(engine.dispose)
            if embedding.close is not None:
                stack.push_async_callback(embedding.close)
            await index.open()
            stack.push_async_callback(index.close)
            await messaging.start()
            stack.push_async_callback(messaging.stop)
            if settings.ingestion_worker:
                await worker.start()
                stack.push_async_callback(worker.stop)
            stack.push_async_callback(reindexer.stop)
            yield

    checks = [
        database_check(engine),
        NamedCheck("kafka", messaging.check),
        NamedCheck(IndexHandle.name, index.check),
    ]
    app = build_http_app(settings, checks, lifespan)
    app.state.index = index
    app.state.deps = deps
    app.state.documents = documents
    app.state.worker = worker
    app.state.reindexer = reindexer
    return app
