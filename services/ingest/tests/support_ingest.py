"""The running ingest as the service tests drive it: an HTTP client on the app, with helpers
to upload, follow jobs, search passages and read the staged knowledge events.

Test-only code, imported as `services.ingest.tests.support_ingest`; the fixtures starting it
are in `service/conftest.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from bancone_contracts.topics import KNOWLEDGE
from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_kit.db import create_engine
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import TokenSigner

MAX_BYTES = 200_000
PDF = "application/pdf"


class GatedEncoder:
    """The real encoder for the first `allowed` calls, then a call that never returns: the
    ingest is stopped while a job is mid-way through embedding."""

    def __init__(self, inner: UniversalSentenceEncoder, allowed: int) -> None:
        self._inner = inner
        self._allowed = allowed
        self.calls = 0

    @property
    def dim(self) -> int:
        return self._inner.dim

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls > self._allowed:
            await asyncio.Event().wait()
        return await asyncio.to_thread(self._inner.embed, texts)


@dataclass
class Ingest:
    http: httpx.AsyncClient
    app: FastAPI
    database_url: str
    blobs: Path
    signer: TokenSigner

    async def upload(
        self,
        tenant: str,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        title: str | None = None,
        replacing: str | None = None,
    ) -> httpx.Response:
        files = {"file": (filename, data, content_type or "application/octet-stream")}
        form = {"title": title} if title else None
        if replacing is None:
            return await self.http.post(f"/v1/tenants/{tenant}/documents", files=files, data=form)
        return await self.http.put(
            f"/v1/tenants/{tenant}/documents/{replacing}", files=files, data=form
        )

    async def uploaded(self, tenant: str, filename: str, data: bytes, **kw: Any) -> dict[str, Any]:
        response = await self.upload(tenant, filename, data, **kw)
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    async def job(self, tenant: str, job_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/tenants/{tenant}/ingestion-jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def finished(self, tenant: str, document: dict[str, Any]) -> dict[str, Any]:
        """Wait until the document's job is `indexed` or `failed`, and return it."""

        async def probe() -> dict[str, Any] | None:
            job = await self.job(tenant, document["job"]["job_id"])
            return job if job["state"] in {"indexed", "failed"} else None

        return await eventually(probe, within=120)

    async def passages(self, tenant: str, text: str, limit: int = 5) -> list[dict[str, Any]]:
        body = {"text": text, "kinds": ["document"], "limit": limit}
        response = await self.http.post(f"/v1/tenants/{tenant}/search", json=body)
        assert response.status_code == 200, response.text
        hits: list[dict[str, Any]] = response.json()["hits"]
        return hits

    async def points(self, tenant: str, document_id: str | None = None) -> int:
        """Passages in Qdrant for the tenant (or one document), searchable or not."""
        count: int = await self.app.state.index.count_passages(tenant, document_id)
        return count

    async def events(self, tenant: str) -> list[dict[str, Any]]:
        """The knowledge events the ingest staged for the tenant, in order."""
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    sa.select(OutboxRecord.payload)  # type: ignore[call-overload]
                    .where(OutboxRecord.topic == KNOWLEDGE)
                    .order_by(OutboxRecord.seq)
                )
                events = [json.loads(payload) for (payload,) in rows]
        finally:
            await engine.dispose()
        return [e for e in events if e["tenant_id"] == tenant]


IngestFactory = Callable[..., contextlib.AbstractAsyncContextManager[Ingest]]
