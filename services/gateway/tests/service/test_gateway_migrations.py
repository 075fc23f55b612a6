"""The gateway's Alembic history builds its schema on an empty database and removes it again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bancone_gateway.adapters.tables import ChannelRecord, TenantRecord, WebhookReceipt
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import downgrade_database, table_names, upgrade_database
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_gateway.migrations"
TABLES = {"outbox", "inbox", "tenants", "channels", "webhook_receipts"}


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


async def test_gateway_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    database_url: str,
) -> None:
    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES

    await downgrade_database(database_url, MIGRATIONS)
    assert not TABLES & await table_names(database_url)

    await upgrade_database(database_url, MIGRATIONS)
    assert await table_names(database_url) >= TABLES


async def test_gateway_migrations_match_the_table_models(database_url: str) -> None:
    """Tables are created only by migrations: the models must describe exactly that schema."""
    await upgrade_database(database_url, MIGRATIONS)
    models = sa.MetaData()
    for model in (TenantRecord, ChannelRecord, WebhookReceipt, OutboxRecord, InboxRecord):
        model.__table__.to_metadata(models)  # type: ignore[attr-defined]
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), models
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
