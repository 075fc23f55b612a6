"""The agent's Alembic history builds its schema on an empty database and removes it again."""

from __future__ import annotations

import pytest

from bancone_kit.db.migrations import downgrade_database, table_names, upgrade_database

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_agent.migrations"
TABLES = {"outbox", "inbox", "customers", "conversations", "messages"}


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


async def test_agent_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    database_url: str,
) -> None:
    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES

    await downgrade_database(database_url, MIGRATIONS)
    assert not TABLES & await table_names(database_url)

    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES
