"""What the agent staged in its outbox: every event it will publish, in commit order (the
order its relay publishes them in). The tests read it as the truth of what was said."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_contracts import OUTBOUND, parse_event
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.messaging.tables import OutboxRecord


async def staged(engine: AsyncEngine, topic: str) -> list[Envelope[Any]]:
    """The events staged for `topic`, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(col(OutboxRecord.payload))
            .where(col(OutboxRecord.topic) == topic)
            .order_by(col(OutboxRecord.seq))
        )
        return [parse_event(topic, payload) for (payload,) in rows]


async def staged_replies(
    engine: AsyncEngine, tenant_id: str | None = None
) -> list[OutboundMessageRequested]:
    """The outbound messages staged (for one tenant's customers, or everyone's), oldest first."""
    return [
        e
        for e in await staged(engine, OUTBOUND)
        if isinstance(e, OutboundMessageRequested) and tenant_id in (None, e.tenant_id)
    ]


async def staged_replies_at(database_url: str, tenant_id: str) -> list[OutboundMessageRequested]:
    """`staged_replies` of one tenant, read through an engine of its own (for a test whose
    agent runs in the app and holds the only engine)."""
    engine = create_engine(database_url)
    try:
        return await staged_replies(engine, tenant_id)
    finally:
        await engine.dispose()
