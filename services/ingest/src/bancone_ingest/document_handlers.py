"""The document use cases behind `entrypoints/documents_api.py`: upload, replace, list, read,
delete, fetch from a URL (when the tenant's settings allow it). The ingestion itself runs
later, in the worker (`ingestion.py`).

An upload is refused before anything is stored when its type, size or content says so; else
the original goes to the blob store and the document row, a `queued` job and its event commit
in one transaction. Every query is scoped by the tenant of the path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import async_sessionmaker

from bancone_ingest.adapters import document_store as store
from bancone_ingest.adapters.blobs import BlobStore, blob_key, document_prefix
from bancone_ingest.adapters.tables import (
    DocumentRecord,
    IngestionJobRecord,
    KnowledgeSettingsRecord,
)
from bancone_ingest.adapters.url_fetch import UrlFetcher
from bancone_ingest.domain import IndexDocument, checked_tenant_id
from bancone_ingest.domain.chunking import ChunkingRules
from bancone_ingest.domain.uploads import (
    DocumentNotFoundError,
    DocumentTooLargeError,
    JobNotFoundError,
    UrlFetchDisabledError,
    detect_format,
    title_from_filename,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger

log = get_logger(__name__)

MAX_TITLE = 300


class PassageIndex(Protocol):
    """What document ingestion needs of the knowledge index (`IndexHandle` or a fake)."""

    async def upsert_many(self, docs: list[IndexDocument]) -> None: ...

    async def activate_version(self, tenant_id: str, document_id: str, version: int) -> None: ...

    async def delete_document(
        self, tenant_id: str, document_id: str, version: int | None = None
    ) -> None: ...


@dataclass(frozen=True)
class DocumentDeps:
    sessions: async_sessionmaker[Any]
    index: PassageIndex
    blobs: BlobStore
    max_bytes: int
    rules: ChunkingRules = field(default_factory=ChunkingRules)
    batch_size: int = 16
    """Passages embedded and written per step (a progress event after each)."""
    wake_worker: Callable[[], None] = lambda: None
    fetcher: UrlFetcher = field(default_factory=UrlFetcher)


@dataclass(frozen=True)
class Upload:
    """A file as received: name, declared type, bytes, and the title the operator gave."""

    filename: str
    content_type: str | None
    data: bytes
    title: str | None = None


@dataclass(frozen=True)
class DocumentState:
    """A document and its newest ingestion job."""

    document: DocumentRecord
    job: IngestionJobRecord | None


async def upload_document(
    tenant_id: str, upload: Upload, deps: DocumentDeps, *, replacing: str | None = None
) -> DocumentState:
    """Store a new document (or a new version of `replacing`) and queue its ingestion."""
    tenant_id = checked_tenant_id(tenant_id)
    if len(upload.data) > deps.max_bytes:
        raise DocumentTooLargeError(f"the document is over {deps.max_bytes} bytes")
    fmt = detect_format(upload.filename, upload.content_type, upload.data[:8192])
    title = " ".join((upload.title or "").split())[:MAX_TITLE] or title_from_filename(
        upload.filename
    )
    now = utcnow()
    async with deps.sessions() as tx, tx.begin():
        if replacing is None:
            document = DocumentRecord(
                tenant_id=tenant_id,
                document_id=str(uuid.uuid4()),
                title=title,
                filename=upload.filename[:MAX_TITLE],
                format=fmt,
                size_bytes=len(upload.data),
                version=1,
            )
            tx.add(document)
        else:
            found = await store.locked_document(tx, tenant_id, replacing)
            if found is None:
                raise DocumentNotFoundError(replacing)
            document = found
            document.version += 1
            document.title = title if upload.title else document.title
            document.filename, document.format = upload.filename[:MAX_TITLE], fmt
            document.size_bytes, document.updated_at = len(upload.data), now
        key = blob_key(tenant_id, document.document_id, document.version)
        await deps.blobs.put(key, upload.data)
        job = IngestionJobRecord(
            job_id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            document_id=document.document_id,
            version=document.version,
            title=document.title,
            format=fmt,
            blob_key=key,
        )
        tx.add(job)
        await tx.flush()
        store.announce(tx, job)
    log.info(
        "document.queued",
        tenant_id=tenant_id,
        document_id=document.document_id,
        version=document.version,
        format=fmt,
        size_bytes=len(upload.data),
    )
    deps.wake_worker()
    return DocumentState(document, job)


async def list_documents(tenant_id: str, deps: DocumentDeps) -> list[DocumentState]:
    """The tenant's documents, oldest first, each with its newest job."""
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx:
        documents = await store.documents_of(tx, tenant_id)
        jobs = await store.latest_jobs(tx, tenant_id, [d.document_id for d in documents])
    return [DocumentState(d, jobs.get(d.document_id)) for d in documents]


async def get_document(tenant_id: str, document_id: str, deps: DocumentDeps) -> DocumentState:
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx:
        document = await tx.get(DocumentRecord, (tenant_id, document_id))
        if document is None:
            raise DocumentNotFoundError(document_id)
        jobs = await store.latest_jobs(tx, tenant_id, [document_id])
    return DocumentState(document, jobs.get(document_id))


async def get_job(tenant_id: str, job_id: str, deps: DocumentDeps) -> IngestionJobRecord:
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx:
        job = await store.job_of(tx, tenant_id, job_id)
    if job is None:
        raise JobNotFoundError(job_id)
    return job


async def delete_document(tenant_id: str, document_id: str, deps: DocumentDeps) -> None:
    """Remove a document: its passages from search first, then its originals, then its rows.

    The row stays locked throughout, so a worker finishing a job of it waits, then finds it
    gone and removes what it wrote. A failure midway leaves the row: deleting again finishes.
    """
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx, tx.begin():
        document = await store.locked_document(tx, tenant_id, document_id)
        if document is None:
            raise DocumentNotFoundError(document_id)
        await deps.index.delete_document(tenant_id, document_id)
        await deps.blobs.delete_prefix(document_prefix(tenant_id, document_id))
        await store.delete_document_rows(tx, document)
    log.info("document.deleted", tenant_id=tenant_id, document_id=document_id)


@dataclass(frozen=True)
class KnowledgeSettings:
    allow_url_fetch: bool = False


async def get_settings(tenant_id: str, deps: DocumentDeps) -> KnowledgeSettings:
    """The tenant's knowledge settings (the defaults when it never set them)."""
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx:
        row = await tx.get(KnowledgeSettingsRecord, tenant_id)
    return KnowledgeSettings() if row is None else KnowledgeSettings(row.allow_url_fetch)


async def set_settings(
    tenant_id: str, settings: KnowledgeSettings, deps: DocumentDeps
) -> KnowledgeSettings:
    tenant_id = checked_tenant_id(tenant_id)
    async with deps.sessions() as tx, tx.begin():
        row = await tx.get(KnowledgeSettingsRecord, tenant_id, with_for_update=True)
        if row is None:
            row = KnowledgeSettingsRecord(tenant_id=tenant_id)
            tx.add(row)
        row.allow_url_fetch, row.updated_at = settings.allow_url_fetch, utcnow()
    log.info("knowledge.settings_set", tenant_id=tenant_id, allow_url=settings.allow_url_fetch)
    return settings


async def upload_from_url(
    tenant_id: str,
    url: str,
    deps: DocumentDeps,
    *,
    title: str | None = None,
    replacing: str | None = None,
) -> DocumentState:
    """Fetch `url` (only if the tenant allows it; public addresses only, at every redirect)
    and store it as an upload; the content type decides the format."""
    tenant_id = checked_tenant_id(tenant_id)
    if not (await get_settings(tenant_id, deps)).allow_url_fetch:
        raise UrlFetchDisabledError(
            "fetching documents from URLs is off for this shop: turn on allow_url_fetch in "
            "its knowledge settings"
        )
    fetched = await deps.fetcher.fetch(url, deps.max_bytes)
    log.info("document.fetched", tenant_id=tenant_id, url=fetched.url, bytes=len(fetched.data))
    upload = Upload(
        filename=fetched.filename,
        content_type=fetched.content_type,
        data=fetched.data,
        title=title or _url_title(fetched.url),
    )
    return await upload_document(tenant_id, upload, deps, replacing=replacing)


def _url_title(url: str) -> str:
    """A readable default citation for a fetched page: host and path, no scheme or query."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path.rstrip('/')}"[:MAX_TITLE] or url[:MAX_TITLE]
