"""Queries over the ingest's `documents` and `ingestion_jobs` tables, always by tenant.

Each function works inside the caller's session and transaction, so a job's change and the
event announcing it (staged in the outbox) commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

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
        sa.select(DocumentRecord)
        .where(DocumentRecord.tenant_id == tenant_id)  # type: ignore[arg-type]
        .order_by(DocumentRecord.created_at, DocumentRecord.document_id)  # type: ignore[arg-type]
    )
    return (await tx.scalars(statement)).all()


async def latest_jobs(
    tx: AsyncSession, tenant_id: str, document_ids: Sequence[str]
) -> dict[str, IngestionJobRecord]:
    """The newest job (highest version) of each of the tenant's documents given."""
    if not document_ids:
        return {}
    statement = sa.select(IngestionJobRecord).where(
        IngestionJobRecord.tenant_id == tenant_id,  # type: ignore[arg-type]
        IngestionJobRecord.document_id.in_(document_ids),  # type: ignore[attr-defined]
    )
    latest: dict[str, IngestionJobRecord] = {}
    for job in (await tx.scalars(statement)).all():
        if job.document_id not in latest or latest[job.document_id].version < job.version:
            latest[job.document_id] = job
    return latest


async def job_of(tx: AsyncSession, tenant_id: str, job_id: str) -> IngestionJobRecord | None:
    job = await tx.get(IngestionJobRecord, job_id)
    return job if job is not None and job.tenant_id == tenant_id else None


async def delete_document_rows(tx: AsyncSession, tenant_id: str, document_id: str) -> None:
    await tx.execute(
        sa.delete(IngestionJobRecord).where(
            IngestionJobRecord.tenant_id == tenant_id,  # type: ignore[arg-type]
            IngestionJobRecord.document_id == document_id,  # type: ignore[arg-type]
        )
    )
    await tx.execute(
        sa.delete(DocumentRecord).where(
            DocumentRecord.tenant_id == tenant_id,  # type: ignore[arg-type]
            DocumentRecord.document_id == document_id,  # type: ignore[arg-type]
        )
    )


async def claim_next_job(tx: AsyncSession, now: datetime, lease: timedelta) -> str | None:
    """Take the oldest unfinished job whose lease has lapsed (or that was never claimed):
    lease it to this worker and count the attempt. Concurrent workers skip locked rows."""
    statement = (
        sa.select(IngestionJobRecord)
        .where(
            IngestionJobRecord.state.not_in(FINAL_STATES),  # type: ignore[attr-defined]
            sa.or_(
                IngestionJobRecord.lease_until.is_(None),  # type: ignore[union-attr]
                IngestionJobRecord.lease_until < now,  # type: ignore[arg-type,operator]
            ),
        )
        .order_by(IngestionJobRecord.created_at)  # type: ignore[arg-type]
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = (await tx.scalars(statement)).first()
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
