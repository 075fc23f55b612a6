"""The ingest shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import httpx
import pytest

from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings

pytestmark = pytest.mark.unit


def test_ingest_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IngestSettings().http_port == 8082
    monkeypatch.setenv("BANCONE_INGEST_HTTP_PORT", "9999")
    assert IngestSettings().http_port == 9999
    assert IngestSettings().database_url.endswith("/ingest.sqlite")


async def test_ingest_healthz_answers() -> None:
    app = build_app(IngestSettings(database_url="sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
