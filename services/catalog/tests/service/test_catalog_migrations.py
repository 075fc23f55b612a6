"""The catalog's Alembic history builds its schema on an empty database and removes it again."""

from __future__ import annotations

import pytest

from bancone_kit.testing.service_checks import assert_migrations_round_trip

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_catalog.migrations"
TABLES = {"outbox", "inbox"}


async def test_catalog_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    empty_database_url: str,
) -> None:
    await assert_migrations_round_trip(empty_database_url, MIGRATIONS, TABLES)
