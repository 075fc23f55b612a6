"""Settings of the gateway, read from `BANCONE_GATEWAY_*` environment variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from bancone_gateway.domain.body_limit import DEFAULT_MAX_BODY_BYTES
from bancone_gateway.domain.passwords import WeakPasswordError, check_password_strength
from bancone_gateway.domain.receipts import MIN_RETENTION_DAYS
from bancone_gateway.domain.service_clients import ServiceClients
from bancone_gateway.domain.webhook_limits import DEFAULT_MAX_ENTRIES, DEFAULT_MAX_PHONE_NUMBER_IDS
from bancone_kit.crypto import DEV_CHANNEL_KEYRING, DEV_LINK_KEYRING, DEV_SECRETS_KEYRING, Keyring
from bancone_kit.settings import Port, ServiceSettings

DEV_PLATFORM_PASSWORD = "dev-platform-password-only-for-make-run"  # noqa: S105 (dev only)
"""The platform operator's password when `environment=dev` sets none (refused elsewhere)."""
DEV_SERVICE_CLIENTS = "agent:dev-agent-service-secret-not-for-prod"
"""Service clients when `environment=dev` sets none (refused elsewhere)."""

SHARED_CHANNEL_KEYRING_ENV = "BANCONE_CHANNEL_KEYRING"
"""One variable gateway and notifier may both read, so a local run sets the shared key once."""


class GatewaySettings(ServiceSettings):
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
    webhook_max_entries: int = Field(
        default=DEFAULT_MAX_ENTRIES,
        ge=1,
        description="Webhook POSTs with more entries are refused (400) before any lookup.",
    )
    webhook_max_phone_number_ids: int = Field(
        default=DEFAULT_MAX_PHONE_NUMBER_IDS,
        ge=1,
        description="Webhook POSTs naming more distinct numbers are refused before any lookup.",
    )
    webhook_publish_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a webhook waits for Kafka's acks before answering 503.",
    )
    webhook_max_queued: int = Field(
        default=2000,
        ge=1,
        description="Webhooks waiting to be stored and published; past it a POST gets 503 with "
        "Retry-After at once (Meta delivers it again) instead of waiting.",
    )
    webhook_max_in_flight: int = Field(
        default=200,
        ge=1,
        description="Webhook POSTs being handled at once; past it a POST gets 503 with "
        "Retry-After before any work is spent on it (bounds the wait when CPU runs short: "
        "in flight / throughput, 0.4 s at 500/s, 2 s at 100/s).",
    )
    webhook_max_loop_lag_seconds: float = Field(
        default=2.0,
        gt=0,
        description="While the event loop runs this many seconds late (CPU short), a webhook "
        "POST gets 503 with Retry-After at once: it already waited about that long before the "
        "gateway saw it, and would wait as long again at every step of its handling. 2 s, the "
        "issue's longest wait: at 0.5 s a machine at load 11 shed webhooks even at 100/s.",
    )
    webhook_max_queue_seconds: float = Field(
        default=1.5,
        gt=0,
        description="A webhook not taken into a batch within this is refused with 503 (nothing "
        "of it stored), so no delivery waits long under overload.",
    )
    webhook_max_answer_seconds: float = Field(
        default=2.0,
        gt=0,
        description="A webhook is answered within this of reaching the writer, however long "
        "its batch takes (503 past it; the batch goes on, so Meta's retry is a duplicate if it "
        "committed and publishes if it failed).",
    )
    webhook_max_batch: int = Field(
        default=500,
        ge=1,
        description="Webhooks stored in one transaction and published in one round of acks.",
    )
    webhook_channel_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a channel's route (tenant, app secret) is kept in memory; a change "
        "through this replica applies at once, one through another replica within this. 0: off.",
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

    agent_url: str | None = Field(
        default=None,
        description="Local runs: forward the agent's tenant paths (conversations, events, "
        "assistant-config, onboarding, usage) there, so the console has one origin. Unset in "
        "Kubernetes, where the Ingress routes them.",
    )
    catalog_url: str | None = Field(
        default=None, description="Likewise for the catalog's (products, faqs, offers, import)."
    )
    ingest_url: str | None = Field(
        default=None, description="Likewise for ingest's (documents, ingestion-jobs, search)."
    )
    notifier_url: str | None = Field(
        default=None, description="Likewise for the notifier's (message templates, campaigns)."
    )
    console_enabled: bool = Field(
        default=True, description="Serve the operators' console at /console/."
    )

    token_issuer: str = Field(default="bancone", description="`iss` of every token.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where operators reach the gateway; invite and reset links start with it.",
    )
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    service_token_ttl_seconds: int = Field(default=300, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(default=14, ge=1, le=90)
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 14)
    password_reset_ttl_hours: int = Field(default=2, ge=1, le=48)
    signing_keys_reload_seconds: float = Field(
        default=30.0, gt=0, description="How soon a key rotation on one replica reaches others."
    )
    signing_key_activation_seconds: float = Field(
        default=90.0,
        ge=0,
        description="A rotated key is published in the JWKS at once and signs only after this "
        "delay, longer than the replicas' reload plus the verifiers' JWKS refresh interval (30 s "
        "each), so no verifier meets a token whose key it cannot fetch yet.",
    )
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    platform_operator_email: str = Field(
        default="platform@bancone.local",
        description="The platform operator created at start (creates tenants and first owners).",
    )
    platform_bootstrap_password: SecretStr | None = Field(
        default=None,
        description="Its password, set when the account is first created. Unset outside dev: "
        "no platform account. Dev falls back to a fixed dev password.",
    )
    service_clients: SecretStr | None = Field(
        default=None,
        description="`name:secret[,...]`: services that may get service tokens (agent → "
        "catalog/ingest). Unset outside dev: none may. Dev falls back to a dev agent secret.",
    )

    link_keyring: SecretStr = Field(
        default=SecretStr(DEV_LINK_KEYRING),
        description="HMAC keys of the customer links (`/l/<token>`, invoices): "
        "`kid:base64key[,...]`, the first signs, all verify; only the gateway holds it. Rotate "
        "by putting a new key first and dropping the old one after `link_ttl_seconds`.",
    )
    link_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        le=90 * 24 * 3600,
        description="How long a customer link opens its document (default 7 days).",
    )
    link_base_url: str | None = Field(
        default=None,
        description="The public origin customers open links on (`<it>/l/<token>`); "
        "`public_base_url` when unset.",
    )
    links_catalog_url: str | None = Field(
        default=None,
        description="The catalog's base URL the gateway fetches invoice PDFs from for links; "
        "`catalog_url` when unset (local runs). Set it in Kubernetes (`http://catalog:8081`).",
    )

    def link_origin(self) -> str:
        return (self.link_base_url or self.public_base_url).rstrip("/")

    def link_catalog(self) -> str | None:
        return self.links_catalog_url or self.catalog_url

    def upstreams(self) -> dict[str, str]:
        """Service name → base URL of each upstream the gateway forwards to (none by default)."""
        found = {
            "agent": self.agent_url,
            "catalog": self.catalog_url,
            "ingest": self.ingest_url,
            "notifier": self.notifier_url,
        }
        return {name: url for name, url in found.items() if url}

    def platform_password(self) -> SecretStr | None:
        if self.platform_bootstrap_password is None and self.environment == "dev":
            return SecretStr(DEV_PLATFORM_PASSWORD)
        return self.platform_bootstrap_password

    def service_client_secrets(self) -> ServiceClients:
        spec = self.service_clients
        if spec is None:
            return ServiceClients.parse(DEV_SERVICE_CLIENTS if self.environment == "dev" else "")
        return ServiceClients.parse(spec.get_secret_value())

    @model_validator(mode="after")
    def _refuse_weak_identity_secrets(self) -> GatewaySettings:
        """Outside dev, the bootstrap credentials may not be dev values or guessable."""
        if self.environment == "dev":
            return self
        password = self.platform_bootstrap_password
        if password is not None:
            value = password.get_secret_value()
            if value == DEV_PLATFORM_PASSWORD:
                raise ValueError("platform_bootstrap_password is the dev placeholder")
            try:
                check_password_strength(value, [self.platform_operator_email])
            except WeakPasswordError as exc:
                raise ValueError(f"platform_bootstrap_password is too weak: {exc}") from exc
        clients = self.service_clients
        if clients is not None and clients.get_secret_value() == DEV_SERVICE_CLIENTS:
            raise ValueError("service_clients is the dev placeholder")
        self.service_client_secrets()
        return self

    @field_validator("secrets_keyring", "channel_keyring", "link_keyring")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        Keyring.parse(value)
        return value
