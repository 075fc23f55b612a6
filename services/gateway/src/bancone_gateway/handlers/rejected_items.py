"""Operators' view of webhook items set aside: what Meta sent, why it was not published."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bancone_gateway.adapters import rejected_items as rejected_store
from bancone_gateway.handlers.deps import GatewayDeps


@dataclass(frozen=True)
class RejectedItemView:
    id: int
    tenant_id: str | None
    phone_number_id: str | None
    waba_id: str
    field: str
    kind: str
    error: str
    raw: Any
    received_at: datetime
    replayed_at: datetime | None
    replay_attempts: int


async def list_rejected_items(
    deps: GatewayDeps, *, tenant_id: str | None, limit: int, before_id: int | None = None
) -> list[RejectedItemView]:
    """Newest first: one tenant's, or all of them (unroutable ones too) for platform operators."""
    async with deps.sessions() as session:
        rows = await rejected_store.list_rejected(
            session, tenant_id=tenant_id, limit=limit, before_id=before_id
        )
    return [
        RejectedItemView(
            id=row.id or 0,
            tenant_id=row.tenant_id,
            phone_number_id=row.phone_number_id,
            waba_id=row.waba_id,
            field=row.field,
            kind=row.kind,
            error=row.error,
            raw=json.loads(row.raw),
            received_at=row.received_at,
            replayed_at=row.replayed_at,
            replay_attempts=row.replay_attempts,
        )
        for row in rows
    ]
