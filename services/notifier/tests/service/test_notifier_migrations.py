"""The notifier's Alembic history builds its schema on an empty database and removes it again,
and the schema it builds is the one the models describe."""

from __future__ import annotations

import pytest

from bancone_kit.testing.service_checks import (
    assert_migrations_round_trip,
    assert_schema_matches_models,
)
from bancone_notifier.adapters.tables import schema_metadata

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_notifier.migrations"
TABLES = {"outbox", "inbox", "channels", "outbound_messages", "delivery_statuses"}


async def test_notifier_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    empty_database_url: str,
) -> None:
    await assert_migrations_round_trip(empty_database_url, MIGRATIONS, TABLES)


async def test_notifier_migrated_schema_matches_its_models(postgres_url: str) -> None:
    await assert_schema_matches_models(postgres_url, MIGRATIONS, schema_metadata())
