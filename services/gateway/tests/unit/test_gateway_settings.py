"""Gateway settings: keyrings validated at load, dev secrets refused outside dev."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bancone_gateway.settings import GatewaySettings
from bancone_kit.crypto import generate_key

pytestmark = pytest.mark.unit


def test_defaults_give_a_4_mib_webhook_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANCONE_CHANNEL_KEYRING", raising=False)
    settings = GatewaySettings()
    assert settings.webhook_max_body_bytes == 4 * 1024 * 1024
    assert settings.http_port == 8080


def test_an_invalid_keyring_refuses_to_load() -> None:
    with pytest.raises(ValidationError, match="secrets_keyring"):
        GatewaySettings(secrets_keyring="k1:not-a-key")  # type: ignore[arg-type]


def test_the_dev_secrets_are_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="secrets_keyring"):
        GatewaySettings(environment="prod")


def test_the_channel_keyring_can_come_from_the_shared_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = f"shared:{generate_key()}"
    monkeypatch.setenv("BANCONE_CHANNEL_KEYRING", spec)
    assert GatewaySettings().channel_keyring.get_secret_value() == spec
    monkeypatch.setenv("BANCONE_GATEWAY_CHANNEL_KEYRING", f"own:{generate_key()}")
    assert GatewaySettings().channel_keyring.get_secret_value().startswith("own:")
