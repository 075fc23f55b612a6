"""Settings of the notifier, read from `BANCONE_NOTIFIER_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bancone_kit.settings import Port, ServiceSettings


class NotifierSettings(ServiceSettings):
    """Everything the notifier reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_NOTIFIER_")

    service_name: str = "notifier"
    http_port: Port = 8084
