"""Queries on the notifier's tables, each inside the caller's transaction.

Inserts that must happen once (the claim of an outbound id, a (wamid, status) pair) are
`INSERT ... ON CONFLICT DO NOTHING`, so a concurrent duplicate loses cleanly instead of failing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_notifier.adapters.tables import (
    ChannelRecord,
    DeliveryStatusRecord,
    OutboundMessageRecord,
)

_WAMID_LOCK_CLASS = 0x0B_A4C0
"""First key of the two-key advisory locks taken per wamid (a key space of its own)."""


def aware(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive (they were stored as UTC): mark them UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_CHANNELS: sa.Table = ChannelRecord.__table__  # type: ignore[attr-defined]
_OUTBOUND: sa.Table = OutboundMessageRecord.__table__  # type: ignore[attr-defined]
_STATUSES: sa.Table = DeliveryStatusRecord.__table__  # type: ignore[attr-defined]


async def get_channel(session: AsyncSession, phone_number_id: str) -> ChannelRecord | None:
    """The channel with its row locked until the transaction ends (PostgreSQL), to change it."""
    return await session.get(ChannelRecord, phone_number_id, with_for_update=True)


async def channel_for_sending(session: AsyncSession, phone_number_id: str) -> ChannelRecord | None:
    """The channel, read-only and share-locked (FOR SHARE) until the transaction ends: sends
    of one number claim side by side (an exclusive lock made them queue: ~10 claims/s on a
    busy machine, far below the 80/s tier), and a change still waits for the claims in flight.
    A Core statement and a detached record: this runs once per send."""
    statement = (
        sa.select(_CHANNELS)
        .where(_CHANNELS.c.phone_number_id == phone_number_id)
        .with_for_update(read=True)
    )
    row = (await (await session.connection()).execute(statement)).first()
    return None if row is None else ChannelRecord(**row._mapping)


async def get_outbound(
    session: AsyncSession, outbound_id: uuid.UUID
) -> OutboundMessageRecord | None:
    """The message with its row locked until the transaction ends (PostgreSQL)."""
    return await session.get(OutboundMessageRecord, outbound_id, with_for_update=True)


async def release_unsent(session: AsyncSession, outbound_id: uuid.UUID) -> None:
    """Delete the claim of a message whose request never left (still `sending`, no wamid)."""
    table = OutboundMessageRecord.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    await connection.execute(
        sa.delete(table).where(
            table.c.outbound_id == outbound_id, table.c.state == "sending", table.c.wamid.is_(None)
        )
    )


async def find_outbound_by_wamid(
    session: AsyncSession, tenant_id: str, wamid: str
) -> OutboundMessageRecord | None:
    """The tenant's message WhatsApp knows as `wamid`, locked; another tenant's is never found."""
    statement = (
        select(OutboundMessageRecord)
        .where(OutboundMessageRecord.tenant_id == tenant_id, OutboundMessageRecord.wamid == wamid)
        .with_for_update()
    )
    return (await session.exec(statement)).one_or_none()


async def unmatched_statuses(
    session: AsyncSession, tenant_id: str, wamid: str
) -> list[DeliveryStatusRecord]:
    """Statuses of `wamid` that arrived before the send recorded it, oldest first."""
    statement = (
        select(DeliveryStatusRecord)
        .where(
            DeliveryStatusRecord.tenant_id == tenant_id,
            DeliveryStatusRecord.wamid == wamid,
            col(DeliveryStatusRecord.outbound_id).is_(None),
        )
        .order_by(col(DeliveryStatusRecord.occurred_at))
    )
    return list((await session.exec(statement)).all())


async def lock_wamid(session: AsyncSession, wamid: str) -> None:
    """Serialise the status handler and the send's commit on one wamid (PostgreSQL).

    Either the status sees the recorded wamid, or the send sees the parked status: never both
    missing each other. SQLite needs nothing: it has one writer at a time.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(_WAMID_LOCK_CLASS, sa.func.hashtext(wamid)))
        )


async def any_unmatched_status(session: AsyncSession, tenant_id: str, wamid: str) -> bool:
    """Whether a status of `wamid` is parked (`unmatched_statuses`); one Core statement, as
    the send path asks on every accepted message and the answer is nearly always no."""
    statement = (
        sa.select(_STATUSES.c.status)
        .where(
            _STATUSES.c.wamid == wamid,
            _STATUSES.c.tenant_id == tenant_id,
            _STATUSES.c.outbound_id.is_(None),
        )
        .limit(1)
    )
    return (await (await session.connection()).execute(statement)).first() is not None


async def record_accepted(
    session: AsyncSession, outbound_id: uuid.UUID, wamid: str, attempts: int, at: datetime
) -> OutboundMessageRecord | None:
    """Mark a message still being sent (or already reported unknown) accepted as `wamid`; the
    row as it now is (detached), or None when something else settled it first."""
    statement = (
        sa.update(_OUTBOUND)
        .where(
            _OUTBOUND.c.outbound_id == outbound_id,
            _OUTBOUND.c.state.in_(("sending", "unknown")),
        )
        .values(state="accepted", wamid=wamid, attempts=attempts, updated_at=at)
        .returning(*_OUTBOUND.c)
    )
    row = (await (await session.connection()).execute(statement)).first()
    return None if row is None else OutboundMessageRecord(**row._mapping)
