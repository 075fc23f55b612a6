"""The agent shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import pytest

from bancone_agent.bootstrap import build_app
from bancone_agent.settings import AgentSettings
from bancone_kit.testing.service_checks import (
    assert_healthz_answers,
    assert_settings_read_their_port,
)

pytestmark = pytest.mark.unit


def test_agent_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_settings_read_their_port(
        AgentSettings,
        monkeypatch,
        default_port=8083,
        port_variable="BANCONE_AGENT_HTTP_PORT",
        database_file="agent.sqlite",
    )


async def test_agent_healthz_answers() -> None:
    await assert_healthz_answers(
        build_app(AgentSettings(database_url="sqlite+aiosqlite:///:memory:"))
    )


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
