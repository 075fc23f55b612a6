"""Fixtures the agent's unit tests share: a migrated SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """The agent's schema, by its own migrations, on a fresh SQLite file."""
    await upgrade_database(sqlite_url, "bancone_agent.migrations")
    eng = create_engine(sqlite_url)
    yield eng
    await eng.dispose()
