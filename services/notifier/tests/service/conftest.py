"""Fixtures the notifier's handler tests share: each test on a migrated PostgreSQL and a
migrated SQLite database in turn, and a factory of events sealed with a fresh keyring; a
test file with its own `engine` or `events` overrides these."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from services.notifier.tests.support import EventFactory, new_keyring


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    url = database_url
    await upgrade_database(url, "bancone_notifier.migrations")
    eng = create_engine(url)
    yield eng
    await eng.dispose()


@pytest.fixture
def events() -> EventFactory:
    return EventFactory(keyring=new_keyring())
