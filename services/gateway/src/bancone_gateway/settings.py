"""Settings of the gateway, read from `BANCONE_GATEWAY_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bancone_kit.settings import Port, ServiceSettings


class GatewaySettings(ServiceSettings):
    """Everything the gateway reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_GATEWAY_")

    service_name: str = "gateway"
    http_port: Port = 8080
