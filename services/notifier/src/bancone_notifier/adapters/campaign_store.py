"""Campaign rows: the campaign, its recipients (claimed one by one by a runner) and the
customer profiles its variables use, each query inside the caller's transaction (the audience
itself is chosen in one query by `customer_store.candidates`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_notifier.adapters.repository import aware
from bancone_notifier.adapters.tables import (
    CampaignRecipientRecord,
    CampaignRecord,
    CampaignSettingsRecord,
    ChannelRecord,
    CustomerProfileRecord,
    OutboundMessageRecord,
)
from bancone_notifier.domain.campaigns import Progress, bucket

_RECIPIENTS = CampaignRecipientRecord.__table__  # type: ignore[attr-defined]
_OUTBOUND = OutboundMessageRecord.__table__  # type: ignore[attr-defined]


async def _run(session: AsyncSession, statement: sa.Executable) -> sa.CursorResult[Any]:
    """A Core statement on the session's connection (in its transaction)."""
    connection = await session.connection()
    return await connection.execute(statement)


async def remember_profile(
    session: AsyncSession,
    *,
    tenant_id: str,
    customer_id: str,
    profile_name: str | None,
    language: str | None,
) -> None:
    """Keep the newest profile name and known language of a customer (None keeps the old)."""
    if profile_name is None and language is None:
        return
    inserted = await insert_ignoring_conflict(
        session,
        CustomerProfileRecord,
        {
            "tenant_id": tenant_id,
            "customer_id": customer_id,
            "profile_name": profile_name,
            "language": language,
            "updated_at": utcnow(),
        },
    )
    if inserted:
        return
    row = await session.get(CustomerProfileRecord, (tenant_id, customer_id), with_for_update=True)
    assert row is not None
    row.profile_name = profile_name or row.profile_name
    row.language = language or row.language
    row.updated_at = utcnow()


async def channel_of(session: AsyncSession, phone_number_id: str) -> ChannelRecord | None:
    """The channel, read without a lock: the send path locks it, and a campaign write holding
    its campaign row must not wait for it (lock order)."""
    return await session.get(ChannelRecord, phone_number_id)


async def get_campaign(
    session: AsyncSession, tenant_id: str, campaign_id: uuid.UUID, *, lock: bool = False
) -> CampaignRecord | None:
    """The tenant's campaign; another tenant's is None, as if it did not exist."""
    row = await session.get(CampaignRecord, campaign_id, with_for_update=lock)
    return row if row is not None and row.tenant_id == tenant_id else None


async def list_campaigns(session: AsyncSession, tenant_id: str) -> Sequence[CampaignRecord]:
    statement = (
        select(CampaignRecord)
        .where(CampaignRecord.tenant_id == tenant_id)
        .order_by(col(CampaignRecord.created_at).desc())
    )
    return (await session.exec(statement)).all()


async def due_campaigns(session: AsyncSession, now: datetime) -> list[tuple[uuid.UUID, str]]:
    """(id, tenant) of campaigns whose time has come, and of running ones."""
    statement = select(CampaignRecord.id, CampaignRecord.tenant_id).where(
        sa.or_(
            col(CampaignRecord.state) == "running",
            sa.and_(col(CampaignRecord.state) == "scheduled", col(CampaignRecord.send_at) <= now),
        )
    )
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def add_recipients(session: AsyncSession, rows: Sequence[CampaignRecipientRecord]) -> None:
    session.add_all(rows)
    await session.flush()


def _claimable(
    runner_id: str, stale_before: datetime, own_before: datetime | None
) -> sa.ColumnElement[bool]:
    """Queued rows, and rows claimed but never finished, by this runner before `own_before`
    (an earlier round's send that failed; never one of its sends still in flight) or by one
    silent for longer than the lease (a runner that died)."""
    own = _RECIPIENTS.c.claimed_by == runner_id
    if own_before is not None:
        own = sa.and_(own, _RECIPIENTS.c.claimed_at < own_before)
    due = sa.or_(_RECIPIENTS.c.not_before.is_(None), _RECIPIENTS.c.not_before <= utcnow())
    return sa.or_(
        sa.and_(_RECIPIENTS.c.state == "queued", due),
        sa.and_(
            _RECIPIENTS.c.state == "claimed",
            sa.or_(own, _RECIPIENTS.c.claimed_at < stale_before),
        ),
    )


async def claim_batch(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    *,
    runner_id: str,
    stale_before: datetime,
    limit: int,
    own_before: datetime | None = None,
) -> list[CampaignRecipientRecord]:
    """Claim up to `limit` recipients for this runner in one conditional update that returns
    the claimed rows; a row another runner claimed first no longer matches the condition and is
    left to it. `own_before`: this runner's own unfinished claims count only if made before then
    (its sends in flight after)."""
    condition = sa.and_(
        _RECIPIENTS.c.campaign_id == campaign_id,
        _claimable(runner_id, stale_before, own_before),
    )
    keys = (
        (
            await _run(
                session,
                sa.select(_RECIPIENTS.c.customer_id)
                .where(condition)
                .order_by(_RECIPIENTS.c.customer_id)
                .limit(limit),
            )
        )
        .scalars()
        .all()
    )
    if not keys:
        return []
    claimed = await _run(
        session,
        sa.update(_RECIPIENTS)
        .where(condition, _RECIPIENTS.c.customer_id.in_(keys))
        .values(state="claimed", claimed_by=runner_id, claimed_at=utcnow())
        .returning(*_RECIPIENTS.c),
    )
    rows = [CampaignRecipientRecord(**row._mapping) for row in claimed]
    return sorted(rows, key=lambda row: row.customer_id)


async def finish_recipients(
    session: AsyncSession, campaign_id: uuid.UUID, customer_ids: Sequence[str]
) -> None:
    """Mark sent (or refused) recipients done; rows no longer claimed are left as they are."""
    await _run(
        session,
        sa.update(_RECIPIENTS)
        .where(
            _RECIPIENTS.c.campaign_id == campaign_id,
            _RECIPIENTS.c.customer_id.in_(list(customer_ids)),
            _RECIPIENTS.c.state == "claimed",
        )
        .values(state="done", done_at=utcnow()),
    )


async def requeue(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    customer_id: str,
    *,
    attempt: int,
    outbound_id: uuid.UUID,
    not_before: datetime,
) -> None:
    """Queue a claimed recipient again for its next attempt (its last message failed)."""
    await _run(
        session,
        sa.update(_RECIPIENTS)
        .where(
            _RECIPIENTS.c.campaign_id == campaign_id,
            _RECIPIENTS.c.customer_id == customer_id,
            _RECIPIENTS.c.state == "claimed",
        )
        .values(
            state="queued",
            attempt=attempt,
            outbound_id=outbound_id,
            not_before=not_before,
            claimed_by=None,
            claimed_at=None,
        ),
    )


async def open_recipients(session: AsyncSession, campaign_id: uuid.UUID) -> int:
    """Recipients not yet done or skipped."""
    statement = sa.select(sa.func.count()).where(
        _RECIPIENTS.c.campaign_id == campaign_id, _RECIPIENTS.c.state.in_(("queued", "claimed"))
    )
    return int((await _run(session, statement)).scalar_one())


async def progress(session: AsyncSession, campaign_id: uuid.UUID) -> Progress:
    """Counts per bucket, skips by reason, failures by error: from the recipients and the
    delivery lifecycle of their outbound messages (status webhooks keep moving it)."""
    statement = (
        sa.select(
            _RECIPIENTS.c.state,
            _RECIPIENTS.c.skip_reason,
            _OUTBOUND.c.state,
            _OUTBOUND.c.error_code,
            _OUTBOUND.c.error_title,
            sa.func.count(),
        )
        .select_from(
            _RECIPIENTS.outerjoin(_OUTBOUND, _OUTBOUND.c.outbound_id == _RECIPIENTS.c.outbound_id)
        )
        .where(_RECIPIENTS.c.campaign_id == campaign_id)
        .group_by(
            _RECIPIENTS.c.state,
            _RECIPIENTS.c.skip_reason,
            _OUTBOUND.c.state,
            _OUTBOUND.c.error_code,
            _OUTBOUND.c.error_title,
        )
    )
    report = Progress()
    rows: list[tuple[str, str | None, str | None, int | None, str | None, int]] = [
        tuple(row) for row in (await _run(session, statement)).all()
    ]
    for state, skip_reason, sent_state, code, title, count in rows:
        where = bucket(state, sent_state, code)
        reason = skip_reason or title
        if where == "failed":
            reason = f"{code} {title}" if code is not None else title
        report.add(where, int(count), reason)
    waiting = (
        sa.select(_RECIPIENTS.c.attempt, sa.func.count(), sa.func.min(_RECIPIENTS.c.not_before))
        .where(
            _RECIPIENTS.c.campaign_id == campaign_id,
            _RECIPIENTS.c.state == "queued",
            _RECIPIENTS.c.attempt > 0,
        )
        .group_by(_RECIPIENTS.c.attempt)
    )
    retries: list[tuple[int, int, datetime | None]] = [
        tuple(row) for row in (await _run(session, waiting)).all()
    ]
    for attempt, count, not_before in retries:
        report.add_retrying(int(attempt), int(count), aware(not_before) if not_before else None)
    return report


async def settings_of(
    session: AsyncSession, tenant_id: str, *, lock: bool = False
) -> CampaignSettingsRecord | None:
    return await session.get(CampaignSettingsRecord, tenant_id, with_for_update=lock)
