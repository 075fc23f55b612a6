"""Settings of the agent, read from `BANCONE_AGENT_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bancone_kit.settings import Port, ServiceSettings


class AgentSettings(ServiceSettings):
    """Everything the agent reads from its environment; built in `bootstrap`, never at import."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_AGENT_")

    service_name: str = "agent"
    http_port: Port = 8083
