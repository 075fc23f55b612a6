"""The gateway shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import pytest

from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.service_checks import (
    assert_healthz_answers,
    assert_settings_read_their_port,
)

pytestmark = pytest.mark.unit


def test_gateway_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_settings_read_their_port(
        GatewaySettings,
        monkeypatch,
        default_port=8080,
        port_variable="BANCONE_GATEWAY_HTTP_PORT",
        database_file="gateway.sqlite",
    )


async def test_gateway_healthz_answers() -> None:
    await assert_healthz_answers(
        build_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    )
