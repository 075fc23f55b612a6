"""The notifier shell answers its liveness probe and reads its own settings."""

from __future__ import annotations

import pytest

from bancone_kit.testing.service_checks import (
    assert_healthz_answers,
    assert_settings_read_their_port,
)
from bancone_notifier.bootstrap import build_app
from bancone_notifier.settings import NotifierSettings

pytestmark = pytest.mark.unit


def test_notifier_settings_use_their_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_settings_read_their_port(
        NotifierSettings,
        monkeypatch,
        default_port=8084,
        port_variable="BANCONE_NOTIFIER_HTTP_PORT",
        database_file="notifier.sqlite",
    )


async def test_notifier_healthz_answers() -> None:
    await assert_healthz_answers(
        build_app(NotifierSettings(database_url="sqlite+aiosqlite:///:memory:"))
    )
