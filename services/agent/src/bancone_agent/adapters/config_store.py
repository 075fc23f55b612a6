"""Versioned per-tenant agent configuration: every change is a new row, none is ever edited.

The use cases an operator API (and `bancone-agent config import`) call: `get_active_config`,
`update_config`, `import_config`, `config_versions`. A tenant without a stored version runs on
the fallback its caller gives (built from settings: `AgentConfig(shop_name=...)`, version 0).
Each turn records the version it ran on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bancone_agent.adapters.repository import take_write_lock
from bancone_agent.adapters.tables import AgentConfigRecord
from bancone_agent.domain.config import AgentConfig
from bancone_kit.clock import utcnow
from bancone_kit.messaging.retry import RetryPolicy

_WRITE_RETRY = RetryPolicy(attempts=5, initial_delay=0.0, max_delay=0.05, jitter=0.01)
"""A lost race for a version number is retried at once (a little jitter spreads the racers)."""


class ConfigError(ValueError):
    """A configuration document or change that is not a valid `AgentConfig`."""


def config_document(config: AgentConfig) -> dict[str, Any]:
    """The stored JSON of a configuration: everything but the version, secrets in clear."""
    document = config.model_dump(mode="json", exclude={"version"})
    key = config.llm.api_key
    document["llm"]["api_key"] = key.get_secret_value() if isinstance(key, SecretStr) else None
    return document


def unknown_keys(model: type[BaseModel], data: Mapping[str, Any], path: str = "") -> list[str]:
    """Keys of `data` the model doesn't have (a typo would otherwise be silently ignored)."""
    found: list[str] = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        where = f"{path}{key}"
        if field is None:
            found.append(where)
            continue
        nested = field.annotation
        if (
            isinstance(value, Mapping)
            and isinstance(nested, type)
            and issubclass(nested, BaseModel)
        ):
            found.extend(unknown_keys(nested, value, f"{where}."))
    return found


def parse_config(document: Mapping[str, Any], *, version: int) -> AgentConfig:
    """Validate a configuration document (no unknown keys) as version `version`."""
    extra = unknown_keys(AgentConfig, {k: v for k, v in document.items() if k != "version"})
    if extra:
        raise ConfigError(f"unknown configuration keys: {', '.join(extra)}")
    try:
        return AgentConfig.model_validate({**document, "version": version})
    except ValueError as error:
        raise ConfigError(str(error)) from error


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` laid over `base`: nested objects merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in changes.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merged(current, value)
        else:
            out[key] = value
    return out


async def _latest(session: AsyncSession, tenant_id: str) -> AgentConfigRecord | None:
    return await session.scalar(
        sa.select(AgentConfigRecord)
        .where(col(AgentConfigRecord.tenant_id) == tenant_id)
        .order_by(col(AgentConfigRecord.version).desc())
        .limit(1)
    )


async def get_active_config(
    session: AsyncSession, tenant_id: str, *, fallback: AgentConfig
) -> AgentConfig:
    """The tenant's newest configuration version, or `fallback` (version 0) when none."""
    row = await _latest(session, tenant_id)
    if row is None:
        return fallback.model_copy(update={"version": 0})
    return parse_config(row.config, version=row.version)


async def config_versions(session: AsyncSession, tenant_id: str) -> list[AgentConfigRecord]:
    """Every stored version of the tenant's configuration, newest first."""
    result = await session.scalars(
        sa.select(AgentConfigRecord)
        .where(col(AgentConfigRecord.tenant_id) == tenant_id)
        .order_by(col(AgentConfigRecord.version).desc())
    )
    return list(result.all())


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    build: Any,
    actor: str,
    fallback: AgentConfig,
) -> tuple[int, bool]:
    """Write the configuration `build(current)` returns as the next version, unless it equals
    the current one; retried when a concurrent writer took the same version number."""

    async def write() -> tuple[int, bool]:
        async with sessions() as session, session.begin():
            await take_write_lock(session)
            current = await get_active_config(session, tenant_id, fallback=fallback)
            wanted: AgentConfig = build(current)
            if current.version > 0 and config_document(wanted) == config_document(current):
                return current.version, False
            version = current.version + 1
            session.add(
                AgentConfigRecord(
                    tenant_id=tenant_id,
                    version=version,
                    config=config_document(wanted),
                    created_at=utcnow(),
                    created_by=actor,
                )
            )
        return version, True

    return await _WRITE_RETRY.call(write, IntegrityError)


async def update_config(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    changes: Mapping[str, Any],
    actor: str,
    *,
    fallback: AgentConfig,
) -> int:
    """Apply `changes` (nested objects merge) to the active configuration as a new version;
    returns the version now active (unchanged when the changes change nothing)."""

    def build(current: AgentConfig) -> AgentConfig:
        return parse_config(merged(config_document(current), changes), version=0)

    version, _ = await _store(sessions, tenant_id, build, actor, fallback)
    return version


async def import_config(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    document: Mapping[str, Any],
    actor: str,
    *,
    fallback: AgentConfig,
) -> tuple[int, bool]:
    """Make `document` (a whole configuration; missing fields take their defaults) the active
    configuration; returns the version and whether it is new (re-importing the same file is a
    no-op, so a launcher may import on every start)."""
    wanted = parse_config(document, version=0)
    return await _store(sessions, tenant_id, lambda _: wanted, actor, fallback)
