"""The gateway shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import httpx
import pytest

from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


def test_gateway_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GatewaySettings().http_port == 8080
    monkeypatch.setenv("BANCONE_GATEWAY_HTTP_PORT", "9999")
    assert GatewaySettings().http_port == 9999
    assert GatewaySettings().database_url.endswith("/gateway.sqlite")


async def test_gateway_healthz_answers() -> None:
    app = build_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
