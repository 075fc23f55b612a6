"""Settings of the ingest, read from `BANCONE_INGEST_*` environment variables.

The index is embedded Qdrant under `qdrant_path` unless a server URL is set
(`BANCONE_INGEST_QDRANT_URL`, or the plain `QDRANT_URL` every tool understands). The
embedder is the offline multilingual USE (`use`) unless `openai` is chosen; a collection
remembers its vector size, so switching embedders needs another `collection`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from bancone_ingest.adapters.vectors import CANDIDATE_POOL, DEFAULT_COLLECTION
from bancone_ingest.domain.chunking import DEFAULT_MAX_CHARS, DEFAULT_OVERLAP_CHARS
from bancone_ingest.domain.search import MAX_LIMIT
from bancone_kit.http.auth import TokenAuthSettings
from bancone_kit.public_urls import normalise_allowed_hosts
from bancone_kit.settings import ConsumerSettings, Port

EmbedderKind = Literal["use", "openai"]
"""`use`: multilingual Universal Sentence Encoder, offline (docs/embeddings.md); `openai`:
OpenAI or any OpenAI-compatible embeddings endpoint."""


class IngestSettings(ConsumerSettings, TokenAuthSettings):
    """Everything the ingest reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_INGEST_")

    service_name: str = "ingest"
    http_port: Port = 8082

    embedder: EmbedderKind = "use"
    openai_base_url: HttpUrl | None = Field(
        default=None,
        description="An OpenAI-compatible endpoint (vLLM, Ollama, ...); unset = api.openai.com.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BANCONE_INGEST_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="Required for api.openai.com; optional for a self-hosted base URL.",
    )
    openai_model: str = Field(default="text-embedding-3-small", min_length=1)
    openai_dim: int = Field(default=1536, gt=0, description="Vector size the model returns.")
    openai_send_dimensions: bool = Field(
        default=False,
        description="Ask the API to shorten vectors to `openai_dim` (text-embedding-3 only).",
    )

    qdrant_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("BANCONE_INGEST_QDRANT_URL", "QDRANT_URL"),
        description="A Qdrant server; unset = embedded Qdrant under `qdrant_path`.",
    )
    qdrant_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BANCONE_INGEST_QDRANT_API_KEY", "QDRANT_API_KEY"),
    )
    qdrant_path: Path = Field(
        default=Path(".bancone/data/qdrant"),
        description="Embedded Qdrant's directory: only one process may open it (this one).",
    )
    qdrant_timeout_seconds: int = Field(default=10, gt=0)
    collection: str = Field(default=DEFAULT_COLLECTION, pattern=r"^[A-Za-z0-9_-]{1,255}$")

    search_default_limit: int = Field(
        default=5, ge=1, le=MAX_LIMIT, description="Hits returned when a search gives no limit."
    )
    search_candidate_pool: int = Field(
        default=CANDIDATE_POOL,
        ge=MAX_LIMIT,
        le=1000,
        description="Points fetched per vector query before fusion (twice when keywords match).",
    )

    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest document accepted (413 above)."
    )
    blob_store: str = Field(
        default=".bancone/data/blobs",
        min_length=1,
        description="Where uploaded originals are kept: a directory (`make run`) or an "
        "S3-compatible bucket, `s3://bucket/prefix`.",
    )
    blob_s3_endpoint_url: HttpUrl | None = Field(
        default=None, description="An S3-compatible endpoint (MinIO, Ceph, R2...); unset = AWS."
    )
    blob_s3_region: str | None = None
    blob_s3_access_key_id: str | None = Field(
        default=None, description="Unset = the standard AWS_* variables or the pod's identity."
    )
    blob_s3_secret_access_key: SecretStr | None = None
    url_fetch_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description="Time a whole URL fetch may take, redirects included.",
    )
    url_fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    url_fetch_allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Hosts (`host` or `host:port`, JSON list) fetched although not https on a "
        "public address. For local development and tests only: refused outside dev, where a "
        "tenant's URL may only reach the public internet.",
    )
    chunk_max_chars: int = Field(default=DEFAULT_MAX_CHARS, ge=200, le=8000)
    chunk_overlap_chars: int = Field(default=DEFAULT_OVERLAP_CHARS, ge=0, le=2000)
    ingestion_worker: bool = Field(
        default=True, description="Run ingestion jobs in this process (off: another replica)."
    )
    ingestion_batch_size: int = Field(
        default=16, ge=1, le=256, description="Passages embedded per step (progress events)."
    )
    ingestion_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    ingestion_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A job untouched this long by its worker (a crash) is taken up again.",
    )

    @model_validator(mode="after")
    def _private_hosts_only_in_dev(self) -> Self:
        if self.url_fetch_allowed_hosts and self.environment != "dev":
            raise ValueError("url_fetch_allowed_hosts lets tenants reach private hosts: dev only")
        return self

    @property
    def url_fetch_trusted_hosts(self) -> frozenset[str]:
        return normalise_allowed_hosts(self.url_fetch_allowed_hosts)

    @model_validator(mode="after")
    def _openai_needs_a_key_or_a_server(self) -> Self:
        if self.embedder == "openai" and self.openai_api_key is None and not self.openai_base_url:
            raise ValueError(
                "embedder=openai needs BANCONE_INGEST_OPENAI_API_KEY (or OPENAI_API_KEY), "
                "or BANCONE_INGEST_OPENAI_BASE_URL for a self-hosted endpoint"
            )
        return self
