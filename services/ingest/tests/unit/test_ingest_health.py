"""The ingest shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import pytest

from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.service_checks import (
    assert_healthz_answers,
    assert_settings_read_their_port,
)

pytestmark = pytest.mark.unit


def test_ingest_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_settings_read_their_port(
        IngestSettings,
        monkeypatch,
        default_port=8082,
        port_variable="BANCONE_INGEST_HTTP_PORT",
        database_file="ingest.sqlite",
    )


async def test_ingest_healthz_answers() -> None:
    await assert_healthz_answers(
        build_app(IngestSettings(database_url="sqlite+aiosqlite:///:memory:"))
    )
