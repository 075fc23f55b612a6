"""The assistant-configuration use cases of the console: read the active or any version,
list versions, change (a new version, refused when based on a stale one), roll back, diff.
The LLM key is write-only: sealed when stored (`adapters.config_store`), never returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bancone_agent.adapters import config_store
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.commands import (
    ChangeConfig,
    DiffConfig,
    ListConfigVersions,
    RollBackConfig,
    ShowConfig,
)
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.config_changes import (
    FieldError,
    InvalidConfigError,
    VersionNotFoundError,
    changes,
    check_base,
    public,
    validated,
    with_write_only_key,
)
from bancone_kit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ConfigVersion:
    version: int
    config: AgentConfig
    created_at: datetime | None
    created_by: str | None

    @property
    def document(self) -> dict[str, Any]:
        return public(self.config)


async def show_config(command: ShowConfig, deps: AgentDeps) -> ConfigVersion:
    """The active configuration (version 0: the defaults, none stored) or version `v`."""
    async with deps.sessions() as session:
        if command.version is None:
            records = await config_store.config_versions(session, command.tenant_id)
            record = records[0] if records else None
        elif command.version == 0:
            record = None
        else:
            record = await config_store.config_record(session, command.tenant_id, command.version)
            if record is None:
                raise VersionNotFoundError(f"no version {command.version} of the configuration")
    if record is None:
        return ConfigVersion(0, deps.fallback_config(command.tenant_id), None, None)
    config = config_store.opened_config(record, deps.config_box)
    return ConfigVersion(record.version, config, record.created_at, record.created_by)


async def list_config_versions(
    command: ListConfigVersions, deps: AgentDeps
) -> list[tuple[int, datetime, str]]:
    """Every stored version, newest first: (version, created at, by whom)."""
    async with deps.sessions() as session:
        records = await config_store.config_versions(session, command.tenant_id)
    return [(r.version, r.created_at, r.created_by) for r in records]


def _secrets(deps: AgentDeps) -> config_store.ConfigSecrets:
    return config_store.ConfigSecrets(box=deps.config_box, allowed_llm_hosts=deps.allowed_llm_hosts)


async def _check_endpoint(config: AgentConfig, deps: AgentDeps) -> None:
    try:
        await config_store.check_llm_endpoint(config.llm.base_url, deps.allowed_llm_hosts)
    except config_store.ConfigError as error:
        raise InvalidConfigError([FieldError("config.llm.base_url", str(error))]) from error


async def change_config(command: ChangeConfig, deps: AgentDeps) -> tuple[ConfigVersion, bool]:
    """Store `command.config` as the next version; (the active version, whether it is new —
    an unchanged document stores nothing)."""
    await _check_endpoint(validated(with_write_only_key(command.config, None)), deps)

    def build(latest: AgentConfig) -> AgentConfig:
        check_base(command.base_version, latest.version)
        key = latest.llm.api_key.get_secret_value() if latest.llm.api_key else None
        return validated(with_write_only_key(command.config, key))

    version, new = await config_store.store_version(
        deps.sessions,
        command.tenant_id,
        build,
        command.actor,
        fallback=deps.fallback_config(command.tenant_id),
        secrets=_secrets(deps),
    )
    log.info("config.changed", tenant_id=command.tenant_id, version=version, new=new)
    return await show_config(ShowConfig(command.tenant_id, version), deps), new


async def roll_back_config(command: RollBackConfig, deps: AgentDeps) -> tuple[ConfigVersion, bool]:
    """Make an earlier version active again as a new version (its LLM key included)."""
    target = await show_config(ShowConfig(command.tenant_id, command.to_version), deps)

    def build(latest: AgentConfig) -> AgentConfig:
        check_base(command.base_version, latest.version)
        return target.config.model_copy(update={"version": 0})

    version, new = await config_store.store_version(
        deps.sessions,
        command.tenant_id,
        build,
        command.actor,
        fallback=deps.fallback_config(command.tenant_id),
        secrets=_secrets(deps),
    )
    log.info(
        "config.rolled_back", tenant_id=command.tenant_id, to=command.to_version, version=version
    )
    return await show_config(ShowConfig(command.tenant_id, version), deps), new


async def diff_config(command: DiffConfig, deps: AgentDeps) -> list[tuple[str, Any, Any]]:
    """(field, from, to) of every field that differs from version `old` to `new`."""
    old = await show_config(ShowConfig(command.tenant_id, command.old), deps)
    new = await show_config(ShowConfig(command.tenant_id, command.new), deps)
    return changes(old.document, new.document)
