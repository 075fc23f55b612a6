"""The ingest's Alembic history builds its schema on an empty database and removes it again,
and the schema it builds is the one the models describe."""

from __future__ import annotations

import pytest

from bancone_ingest.adapters.tables import schema_metadata
from bancone_kit.testing.service_checks import (
    assert_migrations_round_trip,
    assert_schema_matches_models,
)

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_ingest.migrations"
TABLES = {"outbox", "inbox", "indexed_entities"}


async def test_ingest_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    empty_database_url: str,
) -> None:
    await assert_migrations_round_trip(empty_database_url, MIGRATIONS, TABLES)


async def test_ingest_migrated_schema_matches_its_models(postgres_url: str) -> None:
    await assert_schema_matches_models(postgres_url, MIGRATIONS, schema_metadata())
