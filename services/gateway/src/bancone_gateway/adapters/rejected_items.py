"""The table of webhook items set aside: stored once per distinct item, listed for operators."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.whatsapp import RejectedItem
from bancone_gateway.adapters.tables import WebhookRejectedItem
from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict_statement

_TABLE: sa.Table = WebhookRejectedItem.__table__  # type: ignore[attr-defined]


def _raw_json(item: RejectedItem) -> str:
    return json.dumps(item.raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _dedupe_key(item: RejectedItem, raw: str) -> str:
    """Same item of the same change (Meta redelivering the body) → same key."""
    scope = f"{item.tenant_id}|{item.phone_number_id}|{item.waba_id}|{item.field}|{item.kind}|"
    return hashlib.sha256((scope + raw).encode()).hexdigest()


async def record_rejected(session: AsyncSession, items: Sequence[RejectedItem]) -> int:
    """Store items not stored before (ON CONFLICT DO NOTHING); returns how many were new."""
    if not items:
        return 0
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        raw = _raw_json(item)
        key = _dedupe_key(item, raw)
        rows.setdefault(
            key,
            {
                "dedupe_key": key,
                "tenant_id": item.tenant_id,
                "phone_number_id": item.phone_number_id,
                "waba_id": item.waba_id,
                "field": item.field,
                "kind": item.kind,
                "error": item.error,
                "raw": raw,
                "received_at": now,
            },
        )
    dialect = session.get_bind().dialect.name
    statement = insert_ignoring_conflict_statement(
        dialect, _TABLE, list(rows.values()), index_elements=["dedupe_key"]
    ).returning(_TABLE.c.dedupe_key)
    result = await session.exec(statement)
    return len(result.scalars().all())


async def list_rejected(
    session: AsyncSession, *, tenant_id: str | None, limit: int, before_id: int | None = None
) -> list[WebhookRejectedItem]:
    """Newest first; one tenant's, or every tenant's (and unroutable ones) when `tenant_id`
    is None. `before_id` pages backwards."""
    query = select(WebhookRejectedItem)
    if tenant_id is not None:
        query = query.where(col(WebhookRejectedItem.tenant_id) == tenant_id)
    if before_id is not None:
        query = query.where(col(WebhookRejectedItem.id) < before_id)
    query = query.order_by(col(WebhookRejectedItem.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def get_rejected(
    session: AsyncSession, item_id: int, *, for_update: bool = False
) -> WebhookRejectedItem | None:
    """One item by id; `for_update` locks it until commit (two replays of it take turns)."""
    query = select(WebhookRejectedItem).where(col(WebhookRejectedItem.id) == item_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def pending_ids(session: AsyncSession, *, tenant_id: str | None, limit: int) -> list[int]:
    """Oldest first: the ids of items not replayed yet (one tenant's, or all)."""
    query = select(col(WebhookRejectedItem.id)).where(
        col(WebhookRejectedItem.replayed_at).is_(None)
    )
    if tenant_id is not None:
        query = query.where(col(WebhookRejectedItem.tenant_id) == tenant_id)
    query = query.order_by(col(WebhookRejectedItem.id)).limit(limit)
    return [item_id for item_id in (await session.exec(query)).all() if item_id is not None]
