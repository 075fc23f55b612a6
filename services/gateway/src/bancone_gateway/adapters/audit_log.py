"""The audit log: a row per action plus its `bancone.audit.v1` event, in the caller's transaction.

Staged through the outbox (like channel events), so an action and its audit record commit
together or not at all, and integrators receive exactly what the log holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.audit import ActorKind, AuditEntry, AuditRecorded
from bancone_gateway.adapters.identity_tables import AuditRecord
from bancone_kit.messaging import outbox

SOURCE = "gateway"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting and from where (built by the entrypoint from the token and request)."""

    kind: ActorKind
    id: str | None = None
    ip: str | None = None


def record(
    session: AsyncSession,
    tenant_id: str,
    action: str,
    actor: Actor,
    *,
    target: str | None = None,
    role: str | None = None,
) -> AuditRecord:
    now = datetime.now(UTC)
    row = AuditRecord(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        target=target,
        role=role,
        source_ip=actor.ip,
        occurred_at=now,
    )
    session.add(row)
    entry = AuditEntry(
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        target=target,
        role=role,
        source_ip=actor.ip,
        occurred_at=now,
    )
    outbox.stage(
        session, AuditRecorded.new(tenant_id=tenant_id, source=SOURCE, data=entry, id=row.id)
    )
    return row


async def recent(
    session: AsyncSession, tenant_id: str, limit: int, before: datetime | None = None
) -> list[AuditRecord]:
    """A tenant's newest actions first (paged by `before`)."""
    query = select(AuditRecord).where(col(AuditRecord.tenant_id) == tenant_id)
    if before is not None:
        query = query.where(col(AuditRecord.occurred_at) < before)
    query = query.order_by(col(AuditRecord.occurred_at).desc()).limit(limit)
    return list((await session.exec(query)).all())
