"""Gateway settings: keyrings validated at load, dev secrets refused outside dev."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bancone_gateway.settings import GatewaySettings
from bancone_kit.crypto import DEV_LINK_KEYRING, generate_key

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


def test_outside_dev_the_link_keyring_must_be_set_and_not_a_dev_key() -> None:
    real = {
        "environment": "prod",
        "kafka_security_protocol": "SASL_SSL",
        "secrets_keyring": f"k1:{generate_key()}",
        "channel_keyring": f"c1:{generate_key()}",
    }
    with pytest.raises(ValidationError, match="link_keyring"):
        GatewaySettings(**real)  # type: ignore[arg-type]
    relabelled_dev_key = "mine:" + DEV_LINK_KEYRING.partition(":")[2]
    with pytest.raises(ValidationError, match="link_keyring"):
        GatewaySettings(**real, link_keyring=relabelled_dev_key)  # type: ignore[arg-type]
    settings = GatewaySettings(**real, link_keyring=f"l1:{generate_key()}")  # type: ignore[arg-type]
    assert settings.link_ttl_seconds == 7 * 24 * 3600


def test_links_default_to_the_public_origin_and_the_proxy_catalog() -> None:
    settings = GatewaySettings(
        public_base_url="https://console.example/", catalog_url="http://127.0.0.1:8081"
    )
    assert settings.link_origin() == "https://console.example"
    assert settings.link_catalog() == "http://127.0.0.1:8081"
    own = GatewaySettings(link_base_url="https://shop.example", links_catalog_url="http://catalog")
    assert (own.link_origin(), own.link_catalog()) == ("https://shop.example", "http://catalog")
