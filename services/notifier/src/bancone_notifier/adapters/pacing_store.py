"""A number's own throughput tier (`pacing_numbers.tier_per_second`), read and set for the
pacing API; the pacer reads the same column each time it books (`adapters/pacer.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_notifier.adapters.tables import ChannelRecord, PacingNumberRecord


async def tenant_numbers(
    session: AsyncSession, tenant_id: str, phone_number_id: str | None = None
) -> Sequence[str]:
    """The tenant's channel numbers (or just `phone_number_id`, if it is one of them)."""
    query = select(ChannelRecord.phone_number_id).where(col(ChannelRecord.tenant_id) == tenant_id)
    if phone_number_id is not None:
        query = query.where(col(ChannelRecord.phone_number_id) == phone_number_id)
    return list((await session.exec(query.order_by(col(ChannelRecord.phone_number_id)))).all())


async def own_tiers(session: AsyncSession, numbers: Sequence[str]) -> dict[str, float | None]:
    if not numbers:
        return {}
    rows = await session.exec(
        select(PacingNumberRecord.phone_number_id, PacingNumberRecord.tier_per_second).where(
            col(PacingNumberRecord.phone_number_id).in_(numbers)
        )
    )
    return dict(rows.all())


async def set_tier(session: AsyncSession, phone_number_id: str, tier: float | None) -> None:
    """Set (None: clear) the number's own tier; its booking state is left as it is."""
    await insert_ignoring_conflict(
        session,
        PacingNumberRecord,
        {
            "phone_number_id": phone_number_id,
            "next_slot_at": 0.0,
            "blocked_until": 0.0,
            "tier_per_second": tier,
            "updated_at": utcnow(),
        },
    )
    await (await session.connection()).execute(
        sa.update(PacingNumberRecord)
        .where(col(PacingNumberRecord.phone_number_id) == phone_number_id)
        .values(tier_per_second=tier, updated_at=utcnow())
    )
