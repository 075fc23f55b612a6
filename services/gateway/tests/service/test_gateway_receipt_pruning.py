"""Receipts past the retention are pruned; newer ones keep deduplicating."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bancone_gateway.adapters.receipt_pruner import ReceiptPruner
from bancone_kit.clock import utcnow
from bancone_kit.db import create_engine, session_factory

pytestmark = pytest.mark.service


async def test_only_receipts_older_than_the_retention_are_deleted(gateway_db: str) -> None:
    engine = create_engine(gateway_db)
    now = utcnow()
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO webhook_receipts (dedupe_key, tenant_id, kind, received_at) "
                    "VALUES (:key, 'demo', 'message', :at)"
                ),
                [
                    {"key": "msg:old", "at": now - timedelta(days=31)},
                    {"key": "msg:recent", "at": now - timedelta(days=29)},
                ],
            )
        pruner = ReceiptPruner(
            session_factory(engine), retention=timedelta(days=30), interval_seconds=3600
        )

        assert await pruner.prune_once() == 1
        assert await pruner.prune_once() == 0

        async with engine.connect() as connection:
            left = (
                (await connection.execute(sa.text("SELECT dedupe_key FROM webhook_receipts")))
                .scalars()
                .all()
            )
        assert left == ["msg:recent"]
    finally:
        await engine.dispose()
