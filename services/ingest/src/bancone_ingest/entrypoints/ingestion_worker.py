"""The background worker that runs ingestion jobs, one at a time, inside the ingest process.

It takes the oldest job whose lease has lapsed (`ingestion.claim_job`), runs it, and sleeps
until an upload wakes it or the poll interval passes (a job left by another replica, or by
this process before a restart, is found by the poll). One at a time: extraction and embedding
are CPU-bound, and the searches share the same cores. Stopping gives the running job back so
the next process resumes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from bancone_ingest.document_handlers import DocumentDeps
from bancone_ingest.ingestion import claim_job, release_job, run_job
from bancone_kit.logging import get_logger
from bancone_kit.tasks import cancel_and_wait

log = get_logger(__name__)


class IngestionWorker:
    def __init__(self, deps: DocumentDeps, *, poll_seconds: float, lease: timedelta) -> None:
        self._deps = deps
        self._poll = poll_seconds
        self._lease = lease
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: str | None = None

    def wake(self) -> None:
        """Look for work now (called after an upload commits)."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingestion-worker")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._current is not None:
            with contextlib.suppress(Exception):
                await release_job(self._deps, self._current)
            self._current = None

    async def _run(self) -> None:
        while True:
            try:
                job_id = await claim_job(self._deps, self._lease)
            except Exception:
                log.exception("ingestion.claim_failed")
                job_id = None
            if job_id is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                continue
            self._current = job_id
            await run_job(job_id, self._deps, self._lease)
            self._current = None
