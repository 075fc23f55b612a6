"""Versioned per-tenant agent configuration: every change is a new row, none is ever edited.

The use cases an operator API (and `bancone-agent config import`) call: `get_active_config`,
`update_config`, `import_config`, `config_versions`. A tenant without a stored version runs on
the fallback its caller gives (built from settings: `AgentConfig(shop_name=...)`, version 0).
Each turn records the version it ran on.

The tenant's LLM key is never stored in clear: the stored JSON has `llm.api_key_sealed`
(`bancone_kit.crypto`, the agent's keyring, bound to the tenant), opened when a version is
read. A tenant-set `llm.base_url` must pass `bancone_kit.public_urls` before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
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
from bancone_kit.crypto import SecretBox, SecretBoxError
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.public_urls import UnsafeUrlError, check_public_url

_WRITE_RETRY = RetryPolicy(attempts=5, initial_delay=0.0, max_delay=0.05, jitter=0.01)
"""A lost race for a version number is retried at once (a little jitter spreads the racers)."""


SEALED_KEY = "api_key_sealed"
"""Where the stored JSON keeps the sealed LLM key (under `llm`); `api_key` is stored null."""


class ConfigError(ValueError):
    """A configuration document or change that is not a valid `AgentConfig`."""


@dataclass(frozen=True)
class ConfigSecrets:
    """What storing and reading configurations needs: the box sealing tenant LLM keys, and
    the hosts a tenant's LLM base URL may use although they are not public (dev, tests)."""

    box: SecretBox = field(repr=False)
    allowed_llm_hosts: Collection[str] = ()


def api_key_aad(tenant_id: str) -> str:
    """The associated data binding a sealed LLM key to its tenant (copied elsewhere, it fails)."""
    return f"{tenant_id}/llm.api_key"


def config_document(config: AgentConfig) -> dict[str, Any]:
    """A configuration as JSON: everything but the version, the key in clear (compared and
    merged in memory only; `sealed_document` is what is stored)."""
    document = config.model_dump(mode="json", exclude={"version"})
    key = config.llm.api_key
    document["llm"]["api_key"] = key.get_secret_value() if isinstance(key, SecretStr) else None
    return document


def sealed_document(config: AgentConfig, tenant_id: str, box: SecretBox) -> dict[str, Any]:
    """The stored JSON of a configuration: the LLM key sealed, no plaintext anywhere."""
    document = config.model_dump(mode="json", exclude={"version"})
    key = config.llm.api_key
    document["llm"]["api_key"] = None
    document["llm"][SEALED_KEY] = (
        box.seal(key.get_secret_value(), api_key_aad(tenant_id)) if key is not None else None
    )
    return document


def opened_document(stored: Mapping[str, Any], tenant_id: str, box: SecretBox) -> dict[str, Any]:
    """A stored document with its LLM key opened (what `parse_config` reads)."""
    document = dict(stored)
    llm = dict(document.get("llm") or {})
    sealed = llm.pop(SEALED_KEY, None)
    if sealed:
        try:
            llm["api_key"] = box.open(sealed, api_key_aad(tenant_id))
        except SecretBoxError as error:
            raise ConfigError(
                f"the stored LLM key of {tenant_id!r} does not open: {error}"
            ) from error
    document["llm"] = llm
    return document


async def check_llm_endpoint(base_url: object, allowed_hosts: Collection[str]) -> None:
    """Refuse a tenant LLM base URL that is not https on a public address (unless allowed).
    Run before the write transaction: resolving a host must not hold the write lock."""
    if not isinstance(base_url, str) or not base_url:
        return
    try:
        await check_public_url(base_url, allowed_hosts=allowed_hosts)
    except UnsafeUrlError as error:
        raise ConfigError(f"llm.base_url is refused: {error}") from error


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
    session: AsyncSession, tenant_id: str, *, fallback: AgentConfig, box: SecretBox
) -> AgentConfig:
    """The tenant's newest configuration version, or `fallback` (version 0) when none."""
    row = await _latest(session, tenant_id)
    if row is None:
        return fallback.model_copy(update={"version": 0})
    return parse_config(opened_document(row.config, tenant_id, box), version=row.version)


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
    secrets: ConfigSecrets,
) -> tuple[int, bool]:
    """Write the configuration `build(current)` returns as the next version, unless it equals
    the current one; retried when a concurrent writer took the same version number."""

    async def write() -> tuple[int, bool]:
        async with sessions() as session, session.begin():
            await take_write_lock(session)
            current = await get_active_config(
                session, tenant_id, fallback=fallback, box=secrets.box
            )
            wanted: AgentConfig = build(current)
            if current.version > 0 and config_document(wanted) == config_document(current):
                return current.version, False
            version = current.version + 1
            session.add(
                AgentConfigRecord(
                    tenant_id=tenant_id,
                    version=version,
                    config=sealed_document(wanted, tenant_id, secrets.box),
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
    secrets: ConfigSecrets,
) -> int:
    """Apply `changes` (nested objects merge) to the active configuration as a new version;
    returns the version now active (unchanged when the changes change nothing)."""

    llm_changes = changes.get("llm")
    if isinstance(llm_changes, Mapping):
        await check_llm_endpoint(llm_changes.get("base_url"), secrets.allowed_llm_hosts)

    def build(current: AgentConfig) -> AgentConfig:
        return parse_config(merged(config_document(current), changes), version=0)

    version, _ = await _store(sessions, tenant_id, build, actor, fallback, secrets)
    return version


async def import_config(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    document: Mapping[str, Any],
    actor: str,
    *,
    fallback: AgentConfig,
    secrets: ConfigSecrets,
) -> tuple[int, bool]:
    """Make `document` (a whole configuration; missing fields take their defaults) the active
    configuration; returns the version and whether it is new (re-importing the same file is a
    no-op, so a launcher may import on every start)."""
    wanted = parse_config(document, version=0)
    await check_llm_endpoint(wanted.llm.base_url, secrets.allowed_llm_hosts)
    return await _store(sessions, tenant_id, lambda _: wanted, actor, fallback, secrets)


async def config_record(
    session: AsyncSession, tenant_id: str, version: int
) -> AgentConfigRecord | None:
    """One stored version of the tenant's configuration."""
    return await session.get(AgentConfigRecord, (tenant_id, version))


def opened_config(record: AgentConfigRecord, box: SecretBox) -> AgentConfig:
    """A stored version as a configuration, its LLM key opened."""
    return parse_config(
        opened_document(record.config, record.tenant_id, box), version=record.version
    )


async def store_version(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    build: Callable[[AgentConfig], AgentConfig],
    actor: str,
    *,
    fallback: AgentConfig,
    secrets: ConfigSecrets,
) -> tuple[int, bool]:
    """Store `build(latest)` as the next version (`build` sees the latest under the write
    transaction, so it may refuse a stale change); (version, whether it is new)."""
    return await _store(sessions, tenant_id, build, actor, fallback, secrets)
