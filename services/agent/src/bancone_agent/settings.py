"""Settings of the agent, read from `BANCONE_AGENT_*` environment variables."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from bancone_agent.domain.memory import DEFAULT_MEMORY_FRESH_AFTER
from bancone_kit.crypto import DEV_AGENT_KEYRING, Keyring
from bancone_kit.http.auth import TokenAuthSettings
from bancone_kit.public_urls import normalise_allowed_hosts
from bancone_kit.settings import ConsumerSettings, Port

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
"""Allowed as tenant LLM hosts in dev only, where the scripted LLM of tests and `make run` runs."""


class ModelPrice(BaseModel):
    """What one model costs per 1,000 tokens, in the currency the run log reports (EUR)."""

    model_config = ConfigDict(frozen=True)

    prompt: Decimal = Field(default=Decimal("0"), ge=0)
    completion: Decimal = Field(default=Decimal("0"), ge=0)


AssistantKind = Literal["offline"]
"""Which `Assistant` answers; the LLM assistant (issue 4) joins this list."""


DEV_SERVICE_CLIENT_SECRET = "dev-agent-service-secret-not-for-prod"  # noqa: S105 (dev only)
"""The agent's service secret `make run` shares with the gateway's dev default (refused
outside dev)."""


class AgentSettings(ConsumerSettings, TokenAuthSettings):
    """Everything the agent reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_AGENT_")

    service_name: str = "agent"
    http_port: Port = 8083

    catalog_url: HttpUrl = Field(
        default=HttpUrl("http://127.0.0.1:8081"),
        description="Base URL of the catalog HTTP API: authoritative names, prices and stock.",
    )
    ingest_url: HttpUrl = Field(
        default=HttpUrl("http://127.0.0.1:8082"),
        description="Base URL of the ingest (knowledge) search API.",
    )
    gateway_url: HttpUrl = Field(
        default=HttpUrl("http://127.0.0.1:8080"),
        description="The gateway, which mints the service tokens catalog and ingest calls carry.",
    )
    service_client_id: str = Field(
        default="agent", description="The agent's client id at the gateway (service tokens)."
    )
    service_client_secret: SecretStr = Field(
        default=SecretStr(DEV_SERVICE_CLIENT_SECRET),
        description="The agent's client secret at the gateway; the dev default is refused "
        "outside dev.",
    )
    tool_timeout_seconds: float = Field(
        default=3.0, gt=0, description="Total time one catalog or ingest request may take."
    )
    tool_connect_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Time to open a connection to catalog or ingest."
    )
    tool_attempts: int = Field(
        default=2, ge=1, le=5, description="Tries per tool request before it counts as failed."
    )
    tool_retry_delay_seconds: float = Field(
        default=0.2, ge=0, description="Backoff before the first retry of a tool request."
    )
    invoice_link_attempts: int = Field(
        default=4,
        ge=1,
        le=10,
        description="Tries to mint a paid order's invoice link at the gateway before the "
        "customer is told it follows and the conversation goes to people.",
    )
    assistant: AssistantKind = "offline"
    shop_names: dict[str, str] = Field(
        default_factory=dict,
        description='Display name per tenant, JSON (`{"demo": "Enoteca Bancone"}`), used in '
        "greetings until the per-tenant agent configuration exists.",
    )
    shop_language: str = Field(
        default="it",
        min_length=2,
        max_length=8,
        description="The shops' language: replies use it when the customer's can't be told.",
    )
    memory_fresh_after_seconds: float = Field(
        default=DEFAULT_MEMORY_FRESH_AFTER.total_seconds(),
        gt=0,
        description="A resolved conversation quiet this long starts with a fresh memory",
    )
    max_in_flight: int = Field(
        default=64,
        ge=1,
        le=4096,
        description="Turns the inbound consumer runs at once (slots shared fairly between "
        "tenants); read-ahead is bounded separately by the kit's max_buffered.",
    )
    # -- LLM assistant (issue 4; owned by the llm package) ---------------------------------
    # The LLM answers a tenant's turns when a base URL is set here or in the tenant's
    # AgentConfig.llm; otherwise the offline assistant does. See bancone_agent.llm.
    llm_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("BANCONE_AGENT_LLM_BASE_URL", "BANCONE_LLM_BASE_URL"),
        description="OpenAI-compatible endpoint (…/v1) of the LLM; unset = offline assistant.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "BANCONE_AGENT_LLM_API_KEY", "BANCONE_LLM_API_KEY", "OPENAI_API_KEY"
        ),
        description="Bearer key of the LLM endpoint; local servers (Ollama, vLLM) need none.",
    )
    llm_model: str = Field(
        default="gpt-4o-mini",
        validation_alias=AliasChoices("BANCONE_AGENT_LLM_MODEL", "BANCONE_LLM_MODEL"),
        description="Model name sent to the endpoint, unless the tenant's config names one.",
    )
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, description="Time one LLM request may take (per attempt)."
    )
    llm_max_retries: int = Field(
        default=2, ge=0, le=10, description="SDK retries (with backoff) on 429, 5xx, timeouts."
    )
    llm_prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description='Price per 1k tokens per model, JSON: `{"gpt-4o-mini": {"prompt": "0.00015", '
        '"completion": "0.0006"}}`; a model not listed costs 0 in the run log.',
    )
    llm_allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Hosts (`host` or `host:port`, JSON list) a tenant's LLM base URL may use "
        "although not https on a public address, e.g. an in-cluster vLLM; in dev, loopback is "
        "allowed too.",
    )
    secrets_keyring: SecretStr = Field(
        default=SecretStr(DEV_AGENT_KEYRING),
        description="Seals tenants' LLM keys in the agent configuration; only the agent holds "
        "it (`kid:base64key[,...]`, first current, see bancone_kit.crypto).",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description="On shutdown, how long turns in flight may take to commit before the "
        "broker closes (what doesn't finish is redelivered).",
    )

    dev_poison_marker: str | None = Field(
        default=None,
        min_length=8,
        description="Dev only (refused elsewhere): a customer message containing this text "
        "fails its turn on every attempt, so the e2e tier can drive a message into the DLQ; a "
        "replayed dead letter passes (as if the bug had been fixed).",
    )

    @field_validator("catalog_url", "ingest_url", mode="after")
    @classmethod
    def _no_trailing_path(cls, value: HttpUrl) -> HttpUrl:
        if value.query or value.fragment:
            raise ValueError("a service base URL takes no query or fragment")
        return value

    @field_validator("secrets_keyring")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        Keyring.parse(value)
        return value

    @property
    def trusted_llm_hosts(self) -> frozenset[str]:
        """`llm_allowed_hosts`, plus loopback in dev (the scripted LLM)."""
        extra = LOOPBACK_HOSTS if self.environment == "dev" else ()
        return normalise_allowed_hosts((*self.llm_allowed_hosts, *extra))

    @model_validator(mode="after")
    def _no_dev_service_secret(self) -> AgentSettings:
        secret = self.service_client_secret.get_secret_value()
        if self.environment != "dev" and secret == DEV_SERVICE_CLIENT_SECRET:
            raise ValueError("service_client_secret is the dev placeholder")
        if self.environment != "dev" and self.dev_poison_marker:
            raise ValueError("dev_poison_marker is a test hook: dev only")
        return self

    @property
    def catalog_base(self) -> str:
        return str(self.catalog_url).rstrip("/")

    @property
    def ingest_base(self) -> str:
        return str(self.ingest_url).rstrip("/")
