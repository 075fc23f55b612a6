"""The agent's own settings: where its tool backends are and what the shops are called."""

from __future__ import annotations

import pytest

from bancone_agent.settings import AgentSettings

pytestmark = pytest.mark.unit


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
