"""Settings of the ingest, read from `BANCONE_INGEST_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bancone_kit.settings import Port, ServiceSettings


class IngestSettings(ServiceSettings):
    """Everything the ingest reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_INGEST_")

    service_name: str = "ingest"
    http_port: Port = 8082
