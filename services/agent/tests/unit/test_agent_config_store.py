"""Versioned agent configuration per tenant, on a real (SQLite) schema: every change a new
version, re-imports that change nothing are no-ops, and each turn records the version it used."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.__main__ import main
from bancone_agent.adapters.config_store import (
    ConfigError,
    ConfigSecrets,
    config_versions,
    get_active_config,
    import_config,
    update_config,
)
from bancone_agent.adapters.tables import AgentTurnRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import KnowledgeHit, OfflineAssistant, Product, ProductQuery
from bancone_agent.domain.config import AgentConfig
from bancone_agent.handlers import AgentDeps, Shop, dev_config_box, handle_inbound
from bancone_contracts.common import utc_now
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[4]
DEMO_CONFIG = REPO / "deploy" / "local" / "demo" / "agent-config.json"
FALLBACK = AgentConfig(shop_name="Enoteca Prova")
SECRETS = ConfigSecrets(dev_config_box())


async def active(engine: AsyncEngine, tenant_id: str = "demo") -> AgentConfig:
    async with sessions_of(engine)() as session:
        return await get_active_config(session, tenant_id, fallback=FALLBACK, box=SECRETS.box)


async def test_a_tenant_without_a_stored_config_runs_on_the_fallback_as_version_0(
    engine: AsyncEngine,
) -> None:
    config = await active(engine)
    assert config.version == 0
    assert config.shop_name == "Enoteca Prova"


async def test_every_change_is_a_new_version_and_nested_changes_merge(
    engine: AsyncEngine,
) -> None:
    sessions = sessions_of(engine)
    document = json.loads(DEMO_CONFIG.read_text(encoding="utf-8"))

    assert await import_config(
        sessions, "demo", document, "seed", fallback=FALLBACK, secrets=SECRETS
    ) == (1, True)
    assert await import_config(
        sessions, "demo", document, "seed", fallback=FALLBACK, secrets=SECRETS
    ) == (1, False)
    version = await update_config(
        sessions,
        "demo",
        {"escalation": {"max_failed_turns": 4}},
        "ops",
        fallback=FALLBACK,
        secrets=SECRETS,
    )
    assert version == 2
    unchanged = await update_config(
        sessions,
        "demo",
        {"escalation": {"max_failed_turns": 4}},
        "ops",
        fallback=FALLBACK,
        secrets=SECRETS,
    )
    assert unchanged == 2

    config = await active(engine)
    assert config.version == 2
    assert config.shop_name == "Enoteca Bancone"
    assert config.escalation.max_failed_turns == 4
    assert config.escalation.keywords == tuple(document["escalation"]["keywords"]), "merged"
    async with sessions() as session:
        versions = await config_versions(session, "demo")
    assert [(v.version, v.created_by) for v in versions] == [(2, "ops"), (1, "seed")]
    assert versions[1].config == {**versions[1].config, "shop_name": "Enoteca Bancone"}
    assert (await active(engine, "other-shop")).version == 0, "configs are per tenant"


async def test_concurrent_updates_each_get_their_own_version(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    versions = await asyncio.gather(
        *(
            update_config(
                sessions, "demo", {"temperature": t / 10}, "ops", fallback=FALLBACK, secrets=SECRETS
            )
            for t in range(1, 5)
        )
    )
    assert sorted(versions) == [1, 2, 3, 4]


async def test_invalid_configs_are_refused_and_nothing_is_stored(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    with pytest.raises(ConfigError, match=r"unknown configuration keys: escalation\.keyword"):
        await import_config(
            sessions,
            "demo",
            {"escalation": {"keyword": ["x"]}},
            "seed",
            fallback=FALLBACK,
            secrets=SECRETS,
        )
    with pytest.raises(ConfigError, match="temperature"):
        await update_config(
            sessions, "demo", {"temperature": 7}, "ops", fallback=FALLBACK, secrets=SECRETS
        )
    assert (await active(engine)).version == 0


async def test_the_llm_key_of_a_tenant_survives_storage(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    await update_config(
        sessions,
        "demo",
        {"llm": {"api_key": "sk-tenant", "model": "m"}},
        "ops",
        fallback=FALLBACK,
        secrets=SECRETS,
    )
    config = await active(engine)
    assert config.llm.api_key is not None
    assert config.llm.api_key.get_secret_value() == "sk-tenant"


class NoShopTools:
    async def search_products(self, query: ProductQuery) -> list[Product]:
        return []

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


async def test_each_turn_records_the_config_version_it_ran_on(engine: AsyncEngine) -> None:
    sessions = sessions_of(engine)
    deps = AgentDeps(
        sessions=sessions,
        assistant=OfflineAssistant(),
        tools_for=lambda _: NoShopTools(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )

    def message(text: str) -> InboundMessageReceived:
        return InboundMessageReceived.new(
            tenant_id="demo",
            source="gateway",
            data=InboundMessage(
                message_id=f"wamid.{text}",
                phone_number_id="1065",
                customer=Customer(wa_id="393331112222"),
                timestamp=utc_now(),
                content=TextContent(body=text),
            ),
        )

    await handle_inbound(message("Ciao"), deps)
    await update_config(
        sessions, "demo", {"shop_name": "Bottega"}, "ops", fallback=FALLBACK, secrets=SECRETS
    )
    await handle_inbound(message("Grazie"), deps)

    async with sessions() as session:
        turns = (
            await session.scalars(
                sa.select(AgentTurnRecord).order_by(col(AgentTurnRecord.created_at))
            )
        ).all()
    assert [t.config_version for t in turns] == [0, 1]


def test_the_cli_imports_the_demo_config_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BANCONE_AGENT_DATABASE_URL", sqlite_url)
    assert main(["migrate"]) == 0
    argv = ["config", "import", "--tenant", "demo", str(DEMO_CONFIG)]

    assert main(argv) == 0
    assert main(argv) == 0
    assert main(["config", "show", "--tenant", "demo"]) == 0

    out = capsys.readouterr().out
    assert "agent config of tenant demo: version 1 (new version)" in out
    assert "agent config of tenant demo: version 1 (unchanged)" in out
    shown = json.loads(out[out.rindex('{\n  "version"') :])
    assert (shown["version"], shown["shop_name"]) == (1, "Enoteca Bancone")
