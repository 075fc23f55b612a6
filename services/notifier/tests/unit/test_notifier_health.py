"""The notifier shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import httpx
import pytest

from bancone_notifier.bootstrap import build_app
from bancone_notifier.settings import NotifierSettings

pytestmark = pytest.mark.unit


def test_notifier_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert NotifierSettings().http_port == 8084
    monkeypatch.setenv("BANCONE_NOTIFIER_HTTP_PORT", "9999")
    assert NotifierSettings().http_port == 9999
    assert NotifierSettings().database_url.endswith("/notifier.sqlite")


async def test_notifier_healthz_answers() -> None:
    app = build_app(NotifierSettings(database_url="sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
