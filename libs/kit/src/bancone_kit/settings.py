"""The settings every service shares, read from `BANCONE_<SERVICE>_*` environment variables.

Each service subclasses `ServiceSettings` once, in its own `settings.py`, with its env prefix,
name and port; `bootstrap` builds it, never an import-time singleton.

`environment` has no default: an image or manifest that forgets it fails to start instead of
running as dev (`BANCONE_<SERVICE>_ENVIRONMENT`, or `BANCONE_ENVIRONMENT` for every service).
Outside dev a service refuses to start on a default or placeholder secret, a keyring holding a
dev key, a token shorter than `MIN_TOKEN_LENGTH`, or Kafka without TLS.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from bancone_kit.crypto import KeyringError, dev_key_ids
from bancone_kit.messaging.retry import RetryPolicy

Environment = Literal["dev", "test", "prod"]
LogFormat = Literal["json", "console"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
OtelExporter = Literal["none", "console", "otlp"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
Port = Annotated[int, Field(ge=0, le=65535)]

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "password"})
"""Values a secret may never have outside dev, besides the default its field declares."""

KAFKA_FALLBACK_ENV = "KAFKA_BOOTSTRAP_SERVERS"
ENVIRONMENT_FALLBACK_ENV = "BANCONE_ENVIRONMENT"

MIN_TOKEN_LENGTH = 32
"""Shortest bearer token (a secret field named `*token*`) accepted outside dev: 32 characters
of `secrets.token_urlsafe` carry ~190 bits; anything shorter is likely typed by hand."""
PLAINTEXT_KAFKA: frozenset[str] = frozenset({"PLAINTEXT", "SASL_PLAINTEXT"})
"""Kafka protocols without TLS: events (and SASL exchanges) in clear, refused outside dev."""


def _default_database_url(data: dict[str, Any]) -> str:
    return f"sqlite+aiosqlite:///.bancone/data/{data['service_name']}.sqlite"


def _kafka_aliases(env_prefix: str) -> AliasChoices:
    """The service's own variable first, then the plain one every service shares."""
    return AliasChoices(f"{env_prefix}KAFKA_BOOTSTRAP_SERVERS", KAFKA_FALLBACK_ENV)


def _environment_aliases(env_prefix: str) -> AliasChoices:
    """`environment=` by name, the service's own variable, then the one every service shares."""
    return AliasChoices("environment", f"{env_prefix}ENVIRONMENT", ENVIRONMENT_FALLBACK_ENV)


class ServiceSettings(BaseSettings):
    """What every Bancone service needs to start: its database, the broker, HTTP, logs, traces.

    Secrets are `SecretStr` fields; outside `dev` a secret that is empty, a placeholder or
    still its declared default refuses to load, so production cannot run on a sample value.
    """

    model_config = SettingsConfigDict(
        env_prefix="BANCONE_",
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        validate_default=True,
    )

    service_name: str = "service"
    environment: Environment = Field(
        validation_alias=_environment_aliases("BANCONE_"),
        description="dev | test | prod; required (no silent dev), see the module docstring.",
    )
    database_url: str = Field(default_factory=_default_database_url)
    database_pool_size: int = Field(
        default=5,
        ge=1,
        le=200,
        description="PostgreSQL connections kept open: at least the transactions this service "
        "runs at once, or it opens and closes connections under load (a connect and every "
        "statement prepared again each time).",
    )
    database_max_overflow: int = Field(
        default=10, ge=0, le=200, description="Connections opened beyond the pool at a peak."
    )
    database_pool_pre_ping: bool = Field(
        default=True,
        description="Ping each PostgreSQL connection as it leaves the pool (a round trip per "
        "transaction) so one dropped by a database restart is replaced before use.",
    )
    kafka_bootstrap_servers: str = Field(
        default="localhost:9092", validation_alias=_kafka_aliases("BANCONE_")
    )
    kafka_idempotence: bool = True
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle to trust for TLS to Kafka (e.g. Strimzi's cluster CA)"
    )
    http_host: str = "127.0.0.1"
    http_port: Port = 8080
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"
    otel_exporter: OtelExporter = "none"
    otel_endpoint: str | None = None

    def engine_options(self) -> dict[str, Any]:
        """The pool settings, as keyword arguments of `bancone_kit.db.create_engine`."""
        return {
            "pool_size": self.database_pool_size,
            "max_overflow": self.database_max_overflow,
            "pool_pre_ping": self.database_pool_pre_ping,
        }

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Re-point the Kafka variable at the subclass's own prefix (aliases ignore env_prefix)."""
        super().__pydantic_init_subclass__(**kwargs)
        prefix = str(cls.model_config.get("env_prefix") or "")
        field = cls.__pydantic_fields__["kafka_bootstrap_servers"]
        cls.__pydantic_fields__["kafka_bootstrap_servers"] = FieldInfo.merge_field_infos(
            field, validation_alias=_kafka_aliases(prefix)
        )
        cls.__pydantic_fields__["environment"] = FieldInfo.merge_field_infos(
            cls.__pydantic_fields__["environment"], validation_alias=_environment_aliases(prefix)
        )
        cls.model_rebuild(force=True)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                continue
            secret = value.get_secret_value()
            default = (
                field.default.get_secret_value() if isinstance(field.default, SecretStr) else None
            )
            if secret.strip() in PLACEHOLDER_SECRETS or secret == default:
                message = (
                    f"{name} is empty or a placeholder; set it for environment {self.environment!r}"
                )
                if self.environment != "dev":
                    raise ValueError(message)
                warnings.warn(message, stacklevel=2)
        return self

    @model_validator(mode="after")
    def _refuse_dev_shortcuts_outside_dev(self) -> ServiceSettings:
        """Dev keys, short tokens and Kafka in clear are for `make run` and tests only."""
        if self.environment == "dev":
            return self
        problems: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                continue
            if name.endswith("keyring"):
                try:
                    dev = dev_key_ids(value)
                except KeyringError:
                    continue  # the field's own validator reports a malformed keyring
                if dev:
                    problems.append(
                        f"{name} holds the dev key(s) {', '.join(dev)}: generate real keys "
                        "(bancone_kit.crypto.generate_key)"
                    )
            elif "token" in name and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
                problems.append(f"{name} is shorter than {MIN_TOKEN_LENGTH} characters")
        if self.kafka_security_protocol in PLAINTEXT_KAFKA:
            problems.append(
                f"kafka_security_protocol {self.kafka_security_protocol} sends events in clear: "
                "use SSL or SASL_SSL"
            )
        if problems:
            raise ValueError(
                f"refusing to start with environment={self.environment!r}: " + "; ".join(problems)
            )
        return self

    @property
    def database_url_safe(self) -> str:
        """The database URL with its password hidden, for logs and error messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (self.database_url_safe if name == "database_url" else value)


class ConsumerSettings(ServiceSettings):
    """`ServiceSettings` of a service that consumes events: how its handlers are retried
    before an event goes to the topic's DLQ."""

    consumer_retry_attempts: int = Field(
        default=5, ge=1, description="Handler attempts before an event goes to the DLQ."
    )
    consumer_retry_max_seconds: float = Field(
        default=5.0, ge=0, description="Longest backoff between two handler attempts."
    )

    @property
    def consumer_retry(self) -> RetryPolicy:
        """The retry policy of this service's consumers."""
        return RetryPolicy(
            attempts=self.consumer_retry_attempts, max_delay=self.consumer_retry_max_seconds
        )
