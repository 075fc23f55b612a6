"""Settings of the catalog, read from `BANCONE_CATALOG_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bancone_kit.http.auth import TokenAuthSettings
from bancone_kit.settings import Port


class CatalogSettings(TokenAuthSettings):
    """Everything the catalog reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_CATALOG_")

    service_name: str = "catalog"
    http_port: Port = 8081
