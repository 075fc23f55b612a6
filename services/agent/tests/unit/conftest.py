"""Fixtures the agent's unit tests share: a migrated SQLite database per test, and the
handlers' dependencies over it (fake shop tools, a recording offline assistant); a test file
with its own `deps` overrides these."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import ShopTools
from bancone_agent.handlers import AgentDeps, Shop
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from services.agent.tests.support.handlers import FakeShopTools, RecordingAssistant


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """The agent's schema, by its own migrations, on a fresh SQLite file."""
    await upgrade_database(sqlite_url, "bancone_agent.migrations")
    eng = create_engine(sqlite_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def assistant() -> RecordingAssistant:
    return RecordingAssistant()


@pytest.fixture
def tools_built() -> list[FakeShopTools]:
    return []


@pytest.fixture
def deps(
    engine: AsyncEngine, assistant: RecordingAssistant, tools_built: list[FakeShopTools]
) -> AgentDeps:
    def tools_for(tenant_id: str) -> ShopTools:
        tools = FakeShopTools(tenant_id)
        tools_built.append(tools)
        return tools

    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=assistant,
        tools_for=tools_for,
        shop_for=lambda tenant_id: Shop(name="Enoteca Prova", language="it"),
    )
