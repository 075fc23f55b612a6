"""The catalog shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import pytest

from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.testing.service_checks import (
    assert_healthz_answers,
    assert_settings_read_their_port,
)

pytestmark = pytest.mark.unit


def test_catalog_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_settings_read_their_port(
        CatalogSettings,
        monkeypatch,
        default_port=8081,
        port_variable="BANCONE_CATALOG_HTTP_PORT",
        database_file="catalog.sqlite",
    )


async def test_catalog_healthz_answers() -> None:
    await assert_healthz_answers(
        build_app(CatalogSettings(database_url="sqlite+aiosqlite:///:memory:"))
    )
