"""Runs a re-index in the background of the ingest process and keeps its progress readable.

The run itself is `IndexHandle.reindex`: a new index generation, built while search answers
from the old one and writes wait, then switched to in one step. Runs are kept in memory (the
last few): a process that stops mid-run leaves the old generation serving and nothing half
switched, and the run is simply started again.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from bancone_ingest.adapters.index_handle import IndexHandle
from bancone_ingest.domain import checked_tenant_id
from bancone_ingest.domain.reindexing import (
    ReindexBusyError,
    ReindexRunNotFoundError,
    ReindexState,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_kit.tasks import cancel_and_wait

log = get_logger(__name__)

KEEP_RUNS = 20


@dataclass
class ReindexRun:
    run_id: str
    tenant_id: str | None
    state: ReindexState = "running"
    points_done: int = 0
    points_total: int | None = None
    reason: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None


class Reindexer:
    def __init__(self, index: IndexHandle) -> None:
        self._index = index
        self._runs: dict[str, ReindexRun] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self, tenant_id: str | None) -> ReindexRun:
        """Start a run (of one tenant, or of every tenant with None); one at a time."""
        if tenant_id is not None:
            tenant_id = checked_tenant_id(tenant_id)
        if self._task is not None and not self._task.done():
            raise ReindexBusyError("a re-index is already running")
        run = ReindexRun(run_id=str(uuid.uuid4()), tenant_id=tenant_id)
        self._runs[run.run_id] = run
        for old in list(self._runs)[:-KEEP_RUNS]:
            del self._runs[old]
        self._task = asyncio.create_task(self._run(run), name="reindex")
        return run

    def get(self, run_id: str) -> ReindexRun:
        run = self._runs.get(run_id)
        if run is None:
            raise ReindexRunNotFoundError(run_id)
        return run

    async def wait(self) -> None:
        """Until the current run (if any) ends (tests and tools)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self, run: ReindexRun) -> None:
        def progress(done: int, total: int) -> None:
            run.points_done, run.points_total = done, total

        log.info("reindex.started", run_id=run.run_id, tenant_id=run.tenant_id)
        try:
            result = await self._index.reindex(run.tenant_id, progress)
        except Exception as error:
            run.state, run.reason = "failed", str(error) or type(error).__name__
            log.exception("reindex.failed", run_id=run.run_id, tenant_id=run.tenant_id)
        else:
            run.state = "done"
            log.info(
                "reindex.done",
                run_id=run.run_id,
                tenant_id=run.tenant_id,
                generation=result.generation,
                reembedded=result.reembedded,
                copied=result.copied,
            )
        finally:
            if run.state == "running":
                run.state, run.reason = "failed", "stopped with the ingest"
            run.finished_at = utcnow()
