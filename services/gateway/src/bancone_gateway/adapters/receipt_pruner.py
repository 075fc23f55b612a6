"""Keeps the receipt table bounded: receipts older than the retention are deleted periodically.

Dropping a receipt only reopens dedupe for a webhook older than the retention; Meta stops
retrying after about seven days (the setting cannot go lower), and the deterministic event ids
let consumers' inboxes drop anything that still slips through.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.receipts import prune_receipts
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_kit.tasks import cancel_and_wait

log = get_logger(__name__)


class ReceiptPruner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        retention: timedelta,
        interval_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._retention = retention
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def prune_once(self) -> int:
        """Delete receipts received before now minus the retention; returns how many."""
        async with self._sessions() as session, session.begin():
            deleted = await prune_receipts(session, utcnow() - self._retention)
        if deleted:
            log.info("webhook.receipts_pruned", deleted=deleted)
        return deleted

    async def _run(self) -> None:
        while True:
            try:
                await self.prune_once()
            except Exception as exc:
                log.warning("webhook.receipts_prune_failed", error=type(exc).__name__)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-receipt-pruner")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
