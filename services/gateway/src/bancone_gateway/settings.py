"""Settings of the gateway, read from `BANCONE_GATEWAY_*` environment variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from bancone_gateway.domain.body_limit import DEFAULT_MAX_BODY_BYTES
from bancone_gateway.domain.receipts import MIN_RETENTION_DAYS
from bancone_kit.crypto import DEV_CHANNEL_KEYRING, DEV_SECRETS_KEYRING, Keyring
from bancone_kit.settings import AdminApiSettings, Port

SHARED_CHANNEL_KEYRING_ENV = "BANCONE_CHANNEL_KEYRING"
"""One variable gateway and notifier may both read, so a local run sets the shared key once."""


class GatewaySettings(AdminApiSettings):
    """Everything the gateway reads from its environment; built in `bootstrap`, never at import.

    The secrets default to dev-only values; outside `environment=dev` they must be set.
    Keyrings are `kid:base64key[,kid:base64key...]`, the first entry current (see
    `bancone_kit.crypto`).
    """

    model_config = SettingsConfigDict(env_prefix="BANCONE_GATEWAY_")

    service_name: str = "gateway"
    http_port: Port = 8080

    secrets_keyring: SecretStr = Field(
        default=SecretStr(DEV_SECRETS_KEYRING),
        description="Seals channel secrets at rest; only the gateway holds it.",
    )
    channel_keyring: SecretStr = Field(
        default=SecretStr(DEV_CHANNEL_KEYRING),
        validation_alias=AliasChoices(
            "channel_keyring", "BANCONE_GATEWAY_CHANNEL_KEYRING", SHARED_CHANNEL_KEYRING_ENV
        ),
        description="Seals the access token on bancone.channel.v1; shared with the notifier.",
    )
    webhook_max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        description="Webhook bodies over this are refused with 413 without being read whole.",
    )
    webhook_publish_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a webhook waits for Kafka's acks before answering 503.",
    )
    webhook_keep_payloads: bool = Field(
        default=False,
        description="Store each received event's JSON in its receipt (debugging; grows the DB).",
    )
    webhook_receipt_retention_days: int = Field(
        default=30,
        ge=MIN_RETENTION_DAYS,
        description="Receipts older than this may be pruned; Meta retries for about 7 days.",
    )
    webhook_receipt_prune_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often receipts past the retention are deleted.",
    )
    messaging_retry_seconds: float = Field(
        default=5.0,
        gt=0,
        description="When Kafka is unreachable at start, the longest wait between two tries to "
        "connect (the waits grow from one second to this, jittered).",
    )

    @field_validator("secrets_keyring", "channel_keyring")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        Keyring.parse(value)
        return value
