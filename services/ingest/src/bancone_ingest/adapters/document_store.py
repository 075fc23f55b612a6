"""Queries over the ingest's `documents` and `ingestion_jobs` tables, always by tenant.

Each function works inside the caller's session and transaction, so a job's change and the
event announcing it (staged in the outbox) commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.knowledge import IngestionProgress, KnowledgeIngestionUpdated
from bancone_ingest.adapters.tables import DocumentRecord, IngestionJobRecord
from bancone_ingest.domain.ingestion import FINAL_STATES
from bancone_kit.messaging import outbox

SOURCE = "ingest"


async def locked_document(
    tx: AsyncSession, tenant_id: str, document_id: str
) -> DocumentRecord | None:
    """The tenant's document, its row locked until the transaction ends (PostgreSQL)."""
    return await tx.get(DocumentRecord, (tenant_id, document_id), with_for_update=True)


async def documents_of(tx: AsyncSession, tenant_id: str) -> Sequence[DocumentRecord]:
    statement = (
        select(DocumentRecord)
        .where(col(DocumentRecord.tenant_id) == tenant_id)
        .order_by(col(DocumentRecord.created_at), col(DocumentRecord.document_id))
    )
    return (await tx.exec(statement)).all()


async def _jobs_of(
    tx: AsyncSession, tenant_id: str, document_ids: Sequence[str]
) -> Sequence[IngestionJobRecord]:
    statement = select(IngestionJobRecord).where(
        col(IngestionJobRecord.tenant_id) == tenant_id,
        col(IngestionJobRecord.document_id).in_(document_ids),
    )
    return (await tx.exec(statement)).all()


async def latest_jobs(
    tx: AsyncSession, tenant_id: str, document_ids: Sequence[str]
) -> dict[str, IngestionJobRecord]:
    """The newest job (highest version) of each of the tenant's documents given."""
    latest: dict[str, IngestionJobRecord] = {}
    for job in await _jobs_of(tx, tenant_id, document_ids) if document_ids else ():
        if job.document_id not in latest or latest[job.document_id].version < job.version:
            latest[job.document_id] = job
    return latest


async def job_of(tx: AsyncSession, tenant_id: str, job_id: str) -> IngestionJobRecord | None:
    job = await tx.get(IngestionJobRecord, job_id)
    return job if job is not None and job.tenant_id == tenant_id else None


async def delete_document_rows(tx: AsyncSession, document: DocumentRecord) -> None:
    """Delete a (locked) document and every job of it."""
    for job in await _jobs_of(tx, document.tenant_id, [document.document_id]):
        await tx.delete(job)
    await tx.delete(document)


async def claim_next_job(tx: AsyncSession, now: datetime, lease: timedelta) -> str | None:
    """Take the oldest unfinished job whose lease has lapsed (or that was never claimed):
    lease it to this worker and count the attempt. Concurrent workers skip locked rows."""
    lease_until = col(IngestionJobRecord.lease_until)
    statement = (
        select(IngestionJobRecord)
        .where(
            col(IngestionJobRecord.state).not_in(FINAL_STATES),
            sa.or_(lease_until.is_(None), lease_until < now),
        )
        .order_by(col(IngestionJobRecord.created_at))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = (await tx.exec(statement)).first()
    if job is None:
        return None
    job.lease_until = now + lease
    job.attempts += 1
    return job.job_id


def announce(tx: AsyncSession, job: IngestionJobRecord) -> None:
    """Stage the job's current state on `bancone.knowledge.v1`, in the caller's transaction."""
    progress = IngestionProgress(
        document_id=job.document_id,
        job_id=job.job_id,
        version=job.version,
        title=job.title,
        state=job.state,
        reason=job.reason,
        hint=job.hint,
        pages_done=job.pages_done,
        pages_total=job.pages_total,
        chunks_done=job.chunks_done,
        chunks_total=job.chunks_total,
    )
    event = KnowledgeIngestionUpdated.new(tenant_id=job.tenant_id, source=SOURCE, data=progress)
    outbox.stage(tx, event)
