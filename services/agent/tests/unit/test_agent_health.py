"""The agent shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import httpx
import pytest

from bancone_agent.bootstrap import build_app
from bancone_agent.settings import AgentSettings

pytestmark = pytest.mark.unit


def test_agent_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AgentSettings().http_port == 8083
    monkeypatch.setenv("BANCONE_AGENT_HTTP_PORT", "9999")
    assert AgentSettings().http_port == 9999
    assert AgentSettings().database_url.endswith("/agent.sqlite")


async def test_agent_healthz_answers() -> None:
    app = build_app(AgentSettings(database_url="sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


def test_agent_settings_name_the_tool_backends_and_shops(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = AgentSettings()
    assert (defaults.catalog_base, defaults.ingest_base) == (
        "http://127.0.0.1:8081",
        "http://127.0.0.1:8082",
    )
    monkeypatch.setenv("BANCONE_AGENT_CATALOG_URL", "http://catalog:9000/")
    monkeypatch.setenv("BANCONE_AGENT_SHOP_NAMES", '{"demo": "Enoteca Bancone"}')
    monkeypatch.setenv("BANCONE_AGENT_TOOL_TIMEOUT_SECONDS", "1.5")
    settings = AgentSettings()
    assert settings.catalog_base == "http://catalog:9000"
    assert settings.shop_names == {"demo": "Enoteca Bancone"}
    assert settings.tool_timeout_seconds == 1.5
