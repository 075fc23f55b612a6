"""Settings of the catalog, read from `BANCONE_CATALOG_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from bancone_kit.http.auth import TokenAuthSettings
from bancone_kit.settings import Port


class CatalogSettings(TokenAuthSettings):
    """Everything the catalog reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_CATALOG_")

    service_name: str = "catalog"
    http_port: Port = 8081
    public_url: str = Field(
        default="http://127.0.0.1:8081",
        description="How payment providers reach the catalog (their callback is "
        "`<public_url>/v1/payments/<provider>/callback`).",
    )
    payments_provider: Literal["sandbox", "none"] = Field(
        default="none", description="Who makes payment links; `none`: orders get no link."
    )
    payments_sandbox_url: str = "http://127.0.0.1:8090"
    payments_sandbox_api_key: SecretStr | None = Field(
        default=None, description="The sandbox provider's API key (unset: its dev default)."
    )
    payments_sandbox_secret: SecretStr | None = Field(
        default=None, description="The sandbox's callback signing secret (unset: its dev default)."
    )
    reservation_sweep_seconds: float = Field(
        default=30.0, gt=0, description="How often expired stock reservations are released."
    )


SANDBOX_DEV_API_KEY = "sandbox-payments-key"
SANDBOX_DEV_SECRET = "sandbox-payments-secret"  # noqa: S105 - the dev sandbox's published default
