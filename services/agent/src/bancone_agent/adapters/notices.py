"""WhatsApp's account notices kept for operators: one row per event, newest first."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters.tables import WhatsAppNoticeRecord
from bancone_contracts.events.whatsapp_update import AccountNotice, WhatsAppUpdateReceived


async def record(
    tx: AsyncSession, event: WhatsAppUpdateReceived, notice: AccountNotice, now: datetime
) -> None:
    tx.add(
        WhatsAppNoticeRecord(
            tenant_id=event.tenant_id,
            id=event.id,
            field=notice.field[:64],
            waba_id=notice.waba_id[:64],
            event=notice.event[:64] if notice.event else None,
            notice=notice.model_dump(mode="json"),
            received_at=now,
        )
    )


async def listed(session: AsyncSession, tenant_id: str, limit: int) -> list[WhatsAppNoticeRecord]:
    result = await session.scalars(
        sa.select(WhatsAppNoticeRecord)
        .where(col(WhatsAppNoticeRecord.tenant_id) == tenant_id)
        .order_by(col(WhatsAppNoticeRecord.received_at).desc())
        .limit(limit)
    )
    return list(result.all())
