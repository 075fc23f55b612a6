"""The Alembic history creates exactly the tables the repository's models describe."""

from __future__ import annotations

from typing import Any, cast

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_catalog.adapters.order_tables import (
    CounterRecord,
    InvoiceRecord,
    InvoiceSettingsRecord,
    OrderLineRecord,
    OrderRecord,
    PaymentEventRecord,
    StockMovementRecord,
)
from bancone_catalog.adapters.tables import FaqRecord, OfferRecord, ProductRecord, VariantRecord

pytestmark = pytest.mark.service

MODELS = (
    ProductRecord,
    FaqRecord,
    OfferRecord,
    VariantRecord,
    StockMovementRecord,
    OrderRecord,
    OrderLineRecord,
    InvoiceRecord,
    CounterRecord,
    InvoiceSettingsRecord,
    PaymentEventRecord,
)
CATALOG_TABLES = {model.__tablename__ for model in MODELS}


def _catalog_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    for model in MODELS:
        table: Any = cast(Any, model).__table__
        table.to_metadata(metadata)
    return metadata


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = compare_metadata(context, _catalog_metadata())
    return [diff for diff in diffs if _table_of(diff) in CATALOG_TABLES]


def _table_of(diff: Any) -> str | None:
    """The table a diff is about (autogenerate nests column diffs in lists)."""
    entry = diff[0] if isinstance(diff, list) else diff
    for item in entry[1:]:
        name = getattr(item, "name", None) if isinstance(item, sa.Table) else None
        name = name or getattr(getattr(item, "table", None), "name", None)
        if name:
            return str(name)
        if isinstance(item, str) and item in CATALOG_TABLES:
            return item
    return None


async def test_migrated_schema_matches_the_table_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []
