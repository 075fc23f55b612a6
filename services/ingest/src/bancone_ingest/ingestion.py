"""The ingestion of one job: extract, chunk, embed, and switch search to the new version.

Each step commits the job's new state with its event (`bancone.knowledge.v1`). Passages are
written inactive, in batches, and `chunks_done` is committed after each batch: a job resumed
after a restart redoes extraction and chunking (deterministic) and embeds from where it
stopped; the point ids make any batch written twice overwrite itself. Only the last step makes
the version searchable and removes the previous ones (`_activate`).

A document that cannot be indexed as it is (encrypted, damaged, no text) ends `failed` with
its reason and hint, and its passages are removed: nothing half-indexed stays. Any other error
(the index or the blob store unreachable) leaves the job to be retried once its lease lapses,
up to `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bancone_ingest.adapters import document_store as store
from bancone_ingest.adapters.extraction import Extracted, extract
from bancone_ingest.adapters.tables import IngestionJobRecord
from bancone_ingest.document_handlers import DocumentDeps
from bancone_ingest.domain.chunking import Chunk, chunk_blocks
from bancone_ingest.domain.ingestion import IngestionFailedError, JobState, NoTextFoundError
from bancone_ingest.domain.language import guess_language
from bancone_ingest.domain.passages import DocumentVersion, passage_document
from bancone_ingest.domain.uploads import DocumentFormat
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger

log = get_logger(__name__)

MAX_ATTEMPTS = 5
PAGE_PROGRESS_SECONDS = 1.0
DOCUMENT_SAMPLE = 20
"""Passages read to guess the document's language (the fallback of a short passage's)."""
DEFAULT_LEASE = timedelta(seconds=120)


class JobGoneError(LookupError):
    """The job's document was deleted (or replaced) while it ran."""


async def claim_job(deps: DocumentDeps, lease: timedelta = DEFAULT_LEASE) -> str | None:
    """The id of the next job this worker should run, leased to it; None when idle."""
    async with deps.sessions() as tx, tx.begin():
        return await store.claim_next_job(tx, utcnow(), lease)


async def release_job(deps: DocumentDeps, job_id: str) -> None:
    """Give a job back (the worker is stopping): another worker may take it at once."""
    async with deps.sessions() as tx, tx.begin():
        job = await tx.get(IngestionJobRecord, job_id, with_for_update=True)
        if job is not None:
            job.lease_until = None


async def run_job(job_id: str, deps: DocumentDeps, lease: timedelta = DEFAULT_LEASE) -> None:
    """Take one claimed job to `indexed` or `failed` (see the module docstring)."""
    job = await _load(deps, job_id)
    if job is None:
        return
    fields = {"tenant_id": job.tenant_id, "document_id": job.document_id, "job_id": job_id}
    try:
        chunks = await _extract_and_chunk(job, deps, lease)
        await _embed(job, chunks, deps, lease)
        await _activate(job, deps)
        log.info("ingestion.indexed", chunks=len(chunks), **fields)
    except JobGoneError:
        await deps.index.delete_document(job.tenant_id, job.document_id, job.version)
        log.info("ingestion.abandoned", **fields)
    except IngestionFailedError as failure:
        await deps.index.delete_document(job.tenant_id, job.document_id, job.version)
        await _fail(deps, job_id, failure.reason, failure.hint)
        log.info("ingestion.failed", reason=failure.reason, detail=str(failure), **fields)
    except Exception as error:
        if job.attempts >= MAX_ATTEMPTS:
            await deps.index.delete_document(job.tenant_id, job.document_id, job.version)
            await _fail(deps, job_id, f"ingestion kept failing: {type(error).__name__}", None)
        log.exception("ingestion.attempt_failed", attempts=job.attempts, **fields)


async def _load(deps: DocumentDeps, job_id: str) -> IngestionJobRecord | None:
    async with deps.sessions() as tx:
        job: IngestionJobRecord | None = await tx.get(IngestionJobRecord, job_id)
        return job


async def _extract_and_chunk(
    job: IngestionJobRecord, deps: DocumentDeps, lease: timedelta
) -> list[Chunk]:
    await _advance(deps, job, "extracting", lease)
    data = await deps.blobs.get(job.blob_key)
    extracted = await _extract_with_progress(job, data, deps, lease)
    chunks = await asyncio.to_thread(chunk_blocks, extracted.blocks, deps.rules)
    if not chunks:
        raise NoTextFoundError()
    pages = extracted.pages
    await _advance(deps, job, "chunking", lease, pages_done=pages or 0, pages_total=pages)
    await _advance(deps, job, "embedding", lease, chunks_total=len(chunks))
    return chunks


async def _extract_with_progress(
    job: IngestionJobRecord, data: bytes, deps: DocumentDeps, lease: timedelta
) -> Extracted:
    """Extract in a worker thread; meanwhile commit the pages read so far every
    `PAGE_PROGRESS_SECONDS` (a progress event, and the lease kept fresh on a long PDF)."""
    fmt: DocumentFormat = job.format  # type: ignore[assignment]
    pages: list[int] = [0, 0]  # done, total: written by the extracting thread

    def on_page(done: int, total: int) -> None:
        pages[:] = [done, total]

    extraction = asyncio.ensure_future(asyncio.to_thread(extract, fmt, data, on_page=on_page))
    reported = 0
    try:
        while not extraction.done():
            await asyncio.wait({extraction}, timeout=PAGE_PROGRESS_SECONDS)
            done, total = pages
            if not extraction.done() and done > reported:
                await _advance(deps, job, "extracting", lease, pages_done=done, pages_total=total)
                reported = done
    except BaseException:
        extraction.cancel()
        raise
    return extraction.result()


async def _embed(
    job: IngestionJobRecord, chunks: list[Chunk], deps: DocumentDeps, lease: timedelta
) -> None:
    language = guess_language(" ".join(chunk.text for chunk in chunks[:DOCUMENT_SAMPLE]))
    source = DocumentVersion(job.tenant_id, job.document_id, job.version, job.title, language)
    size = deps.batch_size
    for start in range(job.chunks_done - job.chunks_done % size, len(chunks), size):
        batch = chunks[start : start + size]
        await deps.index.upsert_many([passage_document(source, chunk) for chunk in batch])
        await _advance(deps, job, "embedding", lease, chunks_done=start + len(batch))


async def _activate(job: IngestionJobRecord, deps: DocumentDeps) -> None:
    """Switch search to this version, unless the document was deleted or replaced since.

    The switch in Qdrant happens between two short transactions, never inside one: on an
    embedded Qdrant it takes seconds for a long document, and on SQLite an open transaction
    holds the one write lock every upload and job poll waits for. The switch only removes
    versions older than this one, so a newer version's passages (another worker may be
    writing them meanwhile) are never touched. The second transaction records the version as
    indexed unless a newer one was indexed first; a document deleted meanwhile is `JobGone`.
    """
    async with deps.sessions() as tx, tx.begin():
        document = await store.locked_document(tx, job.tenant_id, job.document_id)
        if document is None or document.version != job.version:
            raise JobGoneError(job.job_id)
    await deps.index.activate_version(job.tenant_id, job.document_id, job.version)
    async with deps.sessions() as tx, tx.begin():
        document = await store.locked_document(tx, job.tenant_id, job.document_id)
        current = await tx.get(IngestionJobRecord, job.job_id, with_for_update=True)
        if document is None or current is None:
            raise JobGoneError(job.job_id)
        if document.indexed_version is None or document.indexed_version < job.version:
            document.indexed_version, document.updated_at = job.version, utcnow()
        current.state, current.lease_until, current.updated_at = "indexed", None, utcnow()
        store.announce(tx, current)
        job.state = "indexed"


async def _advance(
    deps: DocumentDeps,
    job: IngestionJobRecord,
    state: JobState,
    lease: timedelta,
    **progress: int | None,
) -> None:
    """Commit the job's new state and progress with its event, and extend its lease."""
    async with deps.sessions() as tx, tx.begin():
        current = await tx.get(IngestionJobRecord, job.job_id, with_for_update=True)
        if current is None:
            raise JobGoneError(job.job_id)
        now = utcnow()
        current.state, current.updated_at, current.lease_until = state, now, now + lease
        for name, value in progress.items():
            setattr(current, name, value)
        store.announce(tx, current)
    job.state = state
    for name, value in progress.items():
        setattr(job, name, value)


async def _fail(deps: DocumentDeps, job_id: str, reason: str, hint: str | None) -> None:
    async with deps.sessions() as tx, tx.begin():
        current = await tx.get(IngestionJobRecord, job_id, with_for_update=True)
        if current is None:
            return
        current.state, current.reason, current.hint = "failed", reason, hint
        current.lease_until, current.updated_at = None, utcnow()
        store.announce(tx, current)
