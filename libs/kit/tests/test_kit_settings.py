from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from bancone_kit.crypto import DEV_AGENT_KEYRING, DEV_SECRETS_KEYRING, generate_key
from bancone_kit.settings import ServiceSettings

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore:app_secret:UserWarning")]


class ShopSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BANCONE_SHOP_")

    service_name: str = "shop"
    http_port: int = 8099
    app_secret: SecretStr = SecretStr("changethis")


class KeyedShopSettings(ShopSettings):
    secrets_keyring: SecretStr = SecretStr(DEV_SECRETS_KEYRING)
    admin_token: SecretStr = SecretStr("dev-token")


PROD = {"environment": "prod", "kafka_security_protocol": "SASL_SSL", "app_secret": "s-real"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("BANCONE_SHOP_KAFKA_BOOTSTRAP_SERVERS", raising=False)


def test_settings_read_variables_with_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANCONE_SHOP_HTTP_PORT", "9001")
    monkeypatch.setenv("BANCONE_SHOP_LOG_LEVEL", "debug")
    monkeypatch.setenv("HTTP_PORT", "1")

    settings = ShopSettings()

    assert settings.http_port == 9001
    assert settings.log_level == "DEBUG"


def test_default_database_is_a_sqlite_file_named_after_the_service() -> None:
    assert ShopSettings().database_url == "sqlite+aiosqlite:///.bancone/data/shop.sqlite"


def test_plain_kafka_variable_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ShopSettings().kafka_bootstrap_servers == "localhost:9092"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "shared:9092")
    assert ShopSettings().kafka_bootstrap_servers == "shared:9092"
    monkeypatch.setenv("BANCONE_SHOP_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    assert ShopSettings().kafka_bootstrap_servers == "own:9092"
    assert ShopSettings(kafka_bootstrap_servers="init:1").kafka_bootstrap_servers == "init:1"


@pytest.mark.parametrize("environment", ["prod", "test"])
def test_default_secret_is_refused_outside_dev(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.setenv("BANCONE_SHOP_ENVIRONMENT", environment)
    with pytest.raises(ValidationError, match="app_secret"):
        ShopSettings()


@pytest.mark.parametrize("value", ["", "   ", "changeme"])
def test_empty_or_placeholder_secret_is_refused_in_prod(value: str) -> None:
    with pytest.raises(ValidationError, match="app_secret"):
        ShopSettings(environment="prod", app_secret=SecretStr(value))


def test_real_secret_is_accepted_in_prod_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANCONE_SHOP_APP_SECRET", "s3cr3t-value")
    settings = ShopSettings(environment="prod", kafka_security_protocol="SASL_SSL")
    assert settings.app_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in settings.model_dump_json()


def test_default_secret_only_warns_in_dev() -> None:
    with pytest.warns(UserWarning, match="app_secret"):
        ShopSettings(environment="dev")


def test_database_password_is_hidden_from_repr() -> None:
    settings = ShopSettings(
        database_url="postgresql+asyncpg://shop:hunter2@db:5432/shop",
        app_secret=SecretStr("x-real-secret"),
    )
    assert "hunter2" not in repr(settings)
    assert settings.database_url_safe == "postgresql+asyncpg://shop:***@db:5432/shop"


def test_unknown_choices_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ShopSettings(log_format="xml")
    with pytest.raises(ValidationError):
        ShopSettings(environment="staging")


def test_environment_has_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANCONE_ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="environment"):
        ShopSettings()
    monkeypatch.setenv("BANCONE_ENVIRONMENT", "test")
    assert ShopSettings(kafka_security_protocol="SSL", app_secret="x").environment == "test"
    monkeypatch.setenv("BANCONE_SHOP_ENVIRONMENT", "prod")
    assert ShopSettings(kafka_security_protocol="SSL", app_secret="x").environment == "prod"


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
def test_kafka_in_clear_is_refused_outside_dev(protocol: str) -> None:
    with pytest.raises(ValidationError, match=f"kafka_security_protocol {protocol}"):
        ShopSettings(**{**PROD, "kafka_security_protocol": protocol})
    with pytest.warns(UserWarning, match="app_secret"):
        assert ShopSettings(environment="dev", kafka_security_protocol=protocol)


@pytest.mark.parametrize("dev_ring", [DEV_SECRETS_KEYRING, DEV_AGENT_KEYRING])
def test_a_dev_key_anywhere_in_a_keyring_is_refused_outside_dev(dev_ring: str) -> None:
    renamed = "rotated:" + dev_ring.partition(":")[2]
    ring = f"k2:{generate_key()},{renamed}"
    with pytest.raises(ValidationError, match="secrets_keyring holds the dev key"):
        KeyedShopSettings(**PROD, admin_token="t" * 32, secrets_keyring=ring)
    assert KeyedShopSettings(**PROD, admin_token="t" * 32, secrets_keyring=f"k2:{generate_key()}")


def test_a_short_token_is_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="admin_token is shorter than 32"):
        KeyedShopSettings(
            **PROD, admin_token="short-but-not-placeholder", secrets_keyring=f"k:{generate_key()}"
        )
    with pytest.warns(UserWarning, match="app_secret"):
        assert KeyedShopSettings(environment="dev", admin_token="short-but-not-placeholder")
