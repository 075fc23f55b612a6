"""A tenant's LLM key is stored sealed and bound to the tenant; a tenant LLM base URL must be
https on a public address unless the platform allows its host."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.config_store import (
    ConfigError,
    ConfigSecrets,
    get_active_config,
    import_config,
    update_config,
)
from bancone_agent.adapters.tables import AgentConfigRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain.config import AgentConfig
from bancone_agent.handlers import dev_config_box

pytestmark = pytest.mark.unit

FALLBACK = AgentConfig(shop_name="Enoteca Prova")
SECRETS = ConfigSecrets(dev_config_box(), allowed_llm_hosts=frozenset({"127.0.0.1:9400"}))
TENANT_KEY = "sk-tenant-5b1e9c0d7a"


async def _stored(engine: AsyncEngine) -> list[AgentConfigRecord]:
    async with sessions_of(engine)() as session:
        rows = await session.scalars(
            sa.select(AgentConfigRecord).order_by(col(AgentConfigRecord.version))
        )
        return list(rows.all())


async def test_the_llm_key_is_stored_sealed_in_every_version(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    await update_config(
        sessions,
        "demo",
        {"llm": {"api_key": TENANT_KEY}},
        "ops",
        fallback=FALLBACK,
        secrets=SECRETS,
    )
    await update_config(
        sessions, "demo", {"shop_name": "Bottega"}, "ops", fallback=FALLBACK, secrets=SECRETS
    )

    rows = await _stored(engine)
    assert len(rows) == 2
    for row in rows:
        assert TENANT_KEY not in str(row.config)
        assert row.config["llm"]["api_key"] is None
        assert row.config["llm"]["api_key_sealed"].startswith("dev-agent:")
    async with sessions() as session:
        config = await get_active_config(session, "demo", fallback=FALLBACK, box=SECRETS.box)
    assert config.llm.api_key is not None
    assert config.llm.api_key.get_secret_value() == TENANT_KEY
    assert TENANT_KEY not in repr(config)


async def test_a_sealed_key_copied_to_another_tenant_does_not_open(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    await update_config(
        sessions,
        "demo",
        {"llm": {"api_key": TENANT_KEY}},
        "ops",
        fallback=FALLBACK,
        secrets=SECRETS,
    )
    [row] = await _stored(engine)
    async with sessions() as session, session.begin():
        session.add(
            AgentConfigRecord(
                tenant_id="thief",
                version=1,
                config=row.config,
                created_at=row.created_at,
                created_by="copy",
            )
        )
    async with sessions() as session:
        with pytest.raises(ConfigError, match="does not open"):
            await get_active_config(session, "thief", fallback=FALLBACK, box=SECRETS.box)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.example.com/v1",
        "https://10.0.0.5/v1",
        "https://169.254.169.254/v1",
        "https://127.0.0.1:9401/v1",
        "https://[::1]/v1",
    ],
)
async def test_a_non_public_tenant_base_url_is_refused_and_nothing_is_stored(
    engine: AsyncEngine, base_url: str
) -> None:
    sessions = sessions_of(engine)
    with pytest.raises(ConfigError, match=r"llm\.base_url is refused"):
        await update_config(
            sessions,
            "demo",
            {"llm": {"base_url": base_url}},
            "ops",
            fallback=FALLBACK,
            secrets=SECRETS,
        )
    with pytest.raises(ConfigError, match=r"llm\.base_url is refused"):
        await import_config(
            sessions,
            "demo",
            {"llm": {"base_url": base_url}},
            "seed",
            fallback=FALLBACK,
            secrets=SECRETS,
        )
    assert await _stored(engine) == []


async def test_an_allowed_host_or_a_public_https_url_is_accepted(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    assert (
        await update_config(
            sessions,
            "demo",
            {"llm": {"base_url": "http://127.0.0.1:9400/v1"}},
            "ops",
            fallback=FALLBACK,
            secrets=SECRETS,
        )
        == 1
    )
    assert (
        await update_config(
            sessions,
            "demo",
            {"llm": {"base_url": "https://93.184.215.14/v1"}},
            "ops",
            fallback=FALLBACK,
            secrets=SECRETS,
        )
        == 2
    )


def test_a_base_url_with_credentials_or_no_scheme_is_invalid() -> None:
    with pytest.raises(ValueError, match="base_url"):
        AgentConfig.model_validate({"llm": {"base_url": "https://u:p@example.com/v1"}})
    with pytest.raises(ValueError, match="base_url"):
        AgentConfig.model_validate({"llm": {"base_url": "example.com/v1"}})
