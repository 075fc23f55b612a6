"""The notifier's settings: Graph API defaults, the shared channel keyring, no dev key in prod."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bancone_kit.crypto import DEV_CHANNEL_KEYRING
from bancone_notifier.settings import NotifierSettings
from services.notifier.tests.support import new_keyring

pytestmark = pytest.mark.unit


def test_graph_defaults_point_at_meta_with_a_current_version() -> None:
    settings = NotifierSettings(channel_keyring=new_keyring())

    assert settings.graph_base_url == "https://graph.facebook.com"
    assert settings.graph_version == "v25.0"
    assert settings.graph_timeout_seconds > 0


def test_graph_and_retry_settings_come_from_the_notifier_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANCONE_NOTIFIER_GRAPH_BASE_URL", "http://127.0.0.1:8090/")
    monkeypatch.setenv("BANCONE_NOTIFIER_GRAPH_VERSION", "v23.0")
    monkeypatch.setenv("BANCONE_NOTIFIER_SEND_MAX_ATTEMPTS", "3")

    settings = NotifierSettings()

    assert settings.graph_base_url == "http://127.0.0.1:8090"
    assert settings.graph_version == "v23.0"
    assert settings.send_max_attempts == 3


def test_the_channel_keyring_is_read_from_the_variable_shared_with_the_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring = new_keyring()
    monkeypatch.setenv("BANCONE_CHANNEL_KEYRING", keyring)

    assert NotifierSettings().channel_keyring.get_secret_value() == keyring


def test_the_dev_channel_keyring_is_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="channel_keyring"):
        NotifierSettings(environment="prod", channel_keyring=DEV_CHANNEL_KEYRING)


def test_a_malformed_keyring_or_version_is_refused() -> None:
    with pytest.raises(ValidationError):
        NotifierSettings(channel_keyring="not-a-keyring")
    with pytest.raises(ValidationError):
        NotifierSettings(channel_keyring=new_keyring(), graph_version="25")


def test_the_sweeper_and_template_cache_settings_have_safe_defaults_and_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = NotifierSettings()
    assert settings.run_sweeper
    assert settings.inbound_seen_retention_hours == 168
    assert settings.template_miss_ttl_seconds == 300

    monkeypatch.setenv("BANCONE_NOTIFIER_INBOUND_SEEN_RETENTION_HOURS", "24")
    with pytest.raises(ValidationError):
        NotifierSettings()  # shorter than the window and its grace
