"""Queries of the consent ledger and the 24-hour window, each inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_notifier.adapters.repository import aware
from bancone_notifier.adapters.tables import (
    ConsentKeywordsRecord,
    ConsentRecord,
    CustomerConsentRecord,
    CustomerWindowRecord,
    InboundSeenRecord,
)
from bancone_notifier.domain.consent import (
    DEFAULT_KEYWORDS,
    ConsentAction,
    ConsentKeyword,
    Language,
)

STATUS_OF: dict[ConsentAction, str] = {"opt_in": "opted_in", "opt_out": "opted_out"}


async def record_inbound(
    session: AsyncSession,
    *,
    tenant_id: str,
    phone_number_id: str,
    customer_id: str,
    message_id: str,
    received_at: datetime,
    renews_window: bool = True,
) -> None:
    """Remember the message and, if it renews the window, move the customer's window forward
    (never backward)."""
    await insert_ignoring_conflict(
        session,
        InboundSeenRecord,
        {
            "tenant_id": tenant_id,
            "message_id": message_id,
            "customer_id": customer_id,
            "received_at": received_at,
            "recorded_at": utcnow(),
        },
    )
    if not renews_window:
        return
    key = (tenant_id, phone_number_id, customer_id)
    row = await session.get(CustomerWindowRecord, key, with_for_update=True)
    if row is None:
        inserted = await insert_ignoring_conflict(
            session,
            CustomerWindowRecord,
            {
                "tenant_id": tenant_id,
                "phone_number_id": phone_number_id,
                "customer_id": customer_id,
                "last_inbound_at": received_at,
                "last_message_id": message_id,
                "updated_at": utcnow(),
            },
        )
        if inserted:
            return
        row = await session.get(CustomerWindowRecord, key, with_for_update=True)
        assert row is not None
    if aware(row.last_inbound_at) < received_at:
        row.last_inbound_at = received_at
        row.last_message_id = message_id
        row.updated_at = utcnow()


async def last_inbound_at(
    session: AsyncSession, tenant_id: str, phone_number_id: str, customer_id: str
) -> datetime | None:
    row = await session.get(CustomerWindowRecord, (tenant_id, phone_number_id, customer_id))
    return aware(row.last_inbound_at) if row is not None else None


async def inbound_seen(session: AsyncSession, tenant_id: str, message_id: str) -> bool:
    return await session.get(InboundSeenRecord, (tenant_id, message_id)) is not None


async def consent_status(session: AsyncSession, tenant_id: str, customer_id: str) -> str | None:
    """`opted_in`, `opted_out`, or None when the ledger has nothing on this customer. A Core
    read straight from the database (every marketing send asks; the ORM's load cost more
    than the query)."""
    table = CustomerConsentRecord.__table__  # type: ignore[attr-defined]
    statement = sa.select(table.c.status).where(
        table.c.tenant_id == tenant_id, table.c.customer_id == customer_id
    )
    status = (await (await session.connection()).execute(statement)).scalar_one_or_none()
    return None if status is None else str(status)


async def record_consent(
    session: AsyncSession,
    *,
    tenant_id: str,
    customer_id: str,
    phone_number_id: str | None,
    action: ConsentAction,
    source: str,
    proof: str,
    event_id: uuid.UUID,
    occurred_at: datetime,
) -> bool:
    """Append to the ledger and update the current state unless a newer entry already set it.

    False when this event was recorded before (the ledger is unique per tenant and event).
    """
    added = await insert_ignoring_conflict(
        session,
        ConsentRecord,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "customer_id": customer_id,
            "phone_number_id": phone_number_id,
            "action": action,
            "source": source,
            "proof": proof,
            "event_id": event_id,
            "occurred_at": occurred_at,
            "recorded_at": utcnow(),
        },
    )
    if not added:
        return False
    status = STATUS_OF[action]
    key = (tenant_id, customer_id)
    row = await session.get(CustomerConsentRecord, key, with_for_update=True)
    if row is None:
        values = {
            "tenant_id": tenant_id,
            "customer_id": customer_id,
            "status": status,
            "source": source,
            "changed_at": occurred_at,
            "updated_at": utcnow(),
        }
        if await insert_ignoring_conflict(session, CustomerConsentRecord, values):
            return True
        row = await session.get(CustomerConsentRecord, key, with_for_update=True)
        assert row is not None
    if aware(row.changed_at) <= occurred_at:
        row.status = status
        row.source = source
        row.changed_at = occurred_at
        row.updated_at = utcnow()
    return True


async def consent_history(
    session: AsyncSession, tenant_id: str, customer_id: str
) -> Sequence[ConsentRecord]:
    statement = (
        select(ConsentRecord)
        .where(ConsentRecord.tenant_id == tenant_id, ConsentRecord.customer_id == customer_id)
        .order_by(col(ConsentRecord.occurred_at))
    )
    return (await session.exec(statement)).all()


async def keywords(session: AsyncSession, tenant_id: str) -> tuple[ConsentKeyword, ...]:
    """The tenant's configured keywords, or the defaults."""
    row = await session.get(ConsentKeywordsRecord, tenant_id)
    if row is None:
        return DEFAULT_KEYWORDS
    return tuple(
        ConsentKeyword(
            phrase=item["phrase"],
            action=cast(ConsentAction, item["action"]),
            language=cast(Language, item["language"]),
        )
        for item in row.keywords
    )


async def set_keywords(
    session: AsyncSession, tenant_id: str, configured: Sequence[ConsentKeyword]
) -> None:
    """Replace the tenant's keywords (an empty list means: none, not the defaults)."""
    items = [{"phrase": k.phrase, "action": k.action, "language": k.language} for k in configured]
    row = await session.get(ConsentKeywordsRecord, tenant_id, with_for_update=True)
    if row is None:
        session.add(ConsentKeywordsRecord(tenant_id=tenant_id, keywords=items, updated_at=utcnow()))
    else:
        row.keywords = items
        row.updated_at = utcnow()
