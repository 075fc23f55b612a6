"""The ingest's Alembic history builds its schema on an empty database and removes it again,
and the schema it builds is the one the models describe."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from bancone_ingest.adapters.tables import schema_metadata
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import downgrade_database, table_names, upgrade_database

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_ingest.migrations"
TABLES = {"outbox", "inbox", "indexed_entities"}


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


async def test_ingest_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    database_url: str,
) -> None:
    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES

    await downgrade_database(database_url, MIGRATIONS)
    assert not TABLES & await table_names(database_url)

    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES


async def test_ingest_migrated_schema_matches_its_models(postgres_url: str) -> None:
    await upgrade_database(postgres_url, MIGRATIONS)
    engine = create_engine(postgres_url)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, schema_metadata()))

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
