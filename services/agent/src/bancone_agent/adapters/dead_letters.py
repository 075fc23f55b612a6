"""The agent's dead letters: recorded as they come back from the `.dlq`, listed, replayed.

A replay stages the original bytes, key and headers in the outbox for the source topic (the
relay publishes them), in the transaction that marks the row replayed: both or neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters import repository
from bancone_agent.adapters.tables import DeadLetterRecord
from bancone_agent.domain.dead_letters import DeadLetterStatus
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.messaging.dead_letter import REPLAY_HEADER, DeadLetter
from bancone_kit.messaging.outbox import stage_raw

_REPLAYS = uuid.UUID("0e7b2c94-51d3-5a8f-b6e0-4c9d2f1a7b38")


async def record(
    tx: AsyncSession,
    tenant_id: str,
    dead_letter_id: uuid.UUID,
    letter: DeadLetter,
    event_type: str | None,
    now: datetime,
) -> tuple[DeadLetterRecord, bool]:
    """Keep a dead letter; True when it is new. The same event dead-lettered again (a replay
    that failed) updates its row and is `dead` once more."""
    new = DeadLetterRecord(
        tenant_id=tenant_id,
        id=dead_letter_id,
        source_topic=letter.source_topic,
        event_type=event_type,
        key=letter.key,
        headers=letter.headers,
        payload=letter.payload,
        error_type=letter.error_type[:200],
        error=letter.error[:1000],
        attempts=letter.attempts,
        first_failed_at=now,
        last_failed_at=now,
    )
    created = await insert_ignoring_conflict(tx, DeadLetterRecord, repository.row_values(new))
    row = await get(tx, tenant_id, dead_letter_id, for_update=True)
    assert row is not None, "just inserted or already there"
    if not created:
        row.error_type, row.error = new.error_type, new.error
        row.attempts = letter.attempts
        row.times_dead_lettered += 1
        row.status = DeadLetterStatus.DEAD.value
        row.last_failed_at = now
    return row, created


async def get(
    session: AsyncSession, tenant_id: str, dead_letter_id: uuid.UUID, *, for_update: bool = False
) -> DeadLetterRecord | None:
    """One dead letter within the tenant; `for_update` locks it (SQLite: takes the writer)."""
    if for_update:
        await repository.take_write_lock(session)
    query = sa.select(DeadLetterRecord).where(
        col(DeadLetterRecord.tenant_id) == tenant_id, col(DeadLetterRecord.id) == dead_letter_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def listed(
    session: AsyncSession,
    tenant_id: str | None,
    status: DeadLetterStatus | None,
    limit: int,
    *,
    oldest_first: bool = False,
    for_update: bool = False,
) -> list[DeadLetterRecord]:
    """One tenant's dead letters (every tenant's when `tenant_id` is None), newest failure
    first unless `oldest_first`."""
    query = sa.select(DeadLetterRecord)
    if tenant_id is not None:
        query = query.where(col(DeadLetterRecord.tenant_id) == tenant_id)
    if status is not None:
        query = query.where(col(DeadLetterRecord.status) == status.value)
    failed = col(DeadLetterRecord.last_failed_at)
    query = query.order_by(failed if oldest_first else failed.desc()).limit(limit)
    if for_update:
        await repository.take_write_lock(session)
        query = query.with_for_update().execution_options(populate_existing=True)
    return list((await session.scalars(query)).all())


async def dead_lettered_ids(
    session: AsyncSession, tenant_id: str, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these event ids the tenant has among its dead letters (replayed or not)."""
    if not ids:
        return set()
    found = await session.scalars(
        sa.select(col(DeadLetterRecord.id)).where(
            col(DeadLetterRecord.tenant_id) == tenant_id, col(DeadLetterRecord.id).in_(ids)
        )
    )
    return set(found.all())


def stage_replay(tx: AsyncSession, row: DeadLetterRecord, operator_id: str, now: datetime) -> None:
    """Publish the dead letter again (through the outbox) and mark it replayed; the row must
    be locked in `tx`. The outbox row's id is new per replay; the event inside keeps its id."""
    replay = row.replays + 1
    stage_raw(
        tx,
        event_id=uuid.uuid5(_REPLAYS, f"{row.tenant_id}:{row.id}:{replay}"),
        topic=row.source_topic,
        key=row.key or row.tenant_id,
        headers={**row.headers, REPLAY_HEADER: str(row.id)},
        payload=row.payload,
    )
    row.status = DeadLetterStatus.REPLAYED.value
    row.replays = replay
    row.replayed_at = now
    row.replayed_by = operator_id[:128]
