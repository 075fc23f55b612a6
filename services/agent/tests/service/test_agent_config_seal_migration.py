"""Migration 0004 on PostgreSQL: agent config versions written by the old schema, with the
tenant's LLM key in clear, keep no plaintext key once migrated, and open with the keyring the
agent is configured with."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain.config import AgentConfig
from bancone_kit.crypto import Keyring, SecretBox, generate_key
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import downgrade_database, upgrade_database

pytestmark = pytest.mark.service

PACKAGE = "bancone_agent.migrations"
OLD_KEYS = {("demo", 1): "sk-demo-old-1", ("demo", 2): "sk-demo-old-2", ("other", 1): None}


async def test_old_plaintext_keys_are_sealed_by_the_migration_and_still_open(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = f"prod-1:{generate_key()}"
    monkeypatch.setenv("BANCONE_AGENT_SECRETS_KEYRING", keyring)
    await upgrade_database(postgres_url, PACKAGE, "0003")
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as connection:
            for (tenant_id, version), key in OLD_KEYS.items():
                document = {"shop_name": f"Shop {version}", "llm": {"api_key": key, "model": "m"}}
                await connection.execute(
                    sa.text(
                        "INSERT INTO agent_configs (tenant_id, version, config, created_at, "
                        "created_by) VALUES (:t, :v, CAST(:c AS JSON), now(), 'old')"
                    ),
                    {"t": tenant_id, "v": version, "c": json.dumps(document)},
                )

        await upgrade_database(postgres_url, PACKAGE)

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT tenant_id, version, CAST(config AS TEXT) FROM agent_configs")
                )
            ).all()
        assert len(rows) == len(OLD_KEYS)
        for tenant_id, version, text in rows:
            for key in filter(None, OLD_KEYS.values()):
                assert key not in text, f"{tenant_id} v{version} kept a plaintext key"
            llm = json.loads(text)["llm"]
            assert llm["api_key"] is None
            assert (llm.get("api_key_sealed") is None) == (OLD_KEYS[tenant_id, version] is None)

        box = SecretBox(Keyring.parse(keyring))
        async with sessions_of(engine)() as session:
            demo = await get_active_config(session, "demo", fallback=AgentConfig(), box=box)
            other = await get_active_config(session, "other", fallback=AgentConfig(), box=box)
        assert demo.version == 2
        assert demo.llm.api_key is not None
        assert demo.llm.api_key.get_secret_value() == "sk-demo-old-2"
        assert other.llm.api_key is None

        await downgrade_database(postgres_url, PACKAGE, "0003")
        async with engine.connect() as connection:
            text = await connection.scalar(
                sa.text(
                    "SELECT CAST(config AS TEXT) FROM agent_configs "
                    "WHERE tenant_id = 'demo' AND version = 1"
                )
            )
        assert json.loads(str(text))["llm"]["api_key"] == "sk-demo-old-1"
    finally:
        await engine.dispose()
