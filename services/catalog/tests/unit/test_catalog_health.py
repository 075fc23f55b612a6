"""The catalog shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import httpx
import pytest

from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings

pytestmark = pytest.mark.unit


def test_catalog_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CatalogSettings().http_port == 8081
    monkeypatch.setenv("BANCONE_CATALOG_HTTP_PORT", "9999")
    assert CatalogSettings().http_port == 9999
    assert CatalogSettings().database_url.endswith("/catalog.sqlite")


async def test_catalog_healthz_answers() -> None:
    app = build_app(CatalogSettings(database_url="sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
