"""Migration 0004 opens the stock ledger with each existing product's stock, so the ledger
reconciles for a shop that was selling before orders existed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bancone_catalog.adapters.tables import ProductRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_catalog.migrations"
FOLDED = ("name_folded", "keywords_folded", "description_folded")


async def test_existing_stock_gets_an_opening_movement(database_url: str) -> None:
    await upgrade_database(database_url, MIGRATIONS, "0003")
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    products: Any = ProductRecord.__table__  # type: ignore[attr-defined]  # unchanged by 0004
    rows = [("shop-a", "A", 7), ("shop-a", "B", 0), ("shop-b", "A", 2)]
    async with engine.begin() as connection:
        for tenant, sku, stock in rows:
            values = {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "sku": sku,
                "name": sku,
                "category": "c",
                "price": 1,
                "currency": "EUR",
                "stock": stock,
                "created_at": now,
                "updated_at": now,
                **{field: "" for field in FOLDED},
                **{field: {} for field in ("attributes", "translations")},
                "tags": [],
                "description": "",
                "active": True,
            }
            await connection.execute(sa.insert(products).values(values))
    await engine.dispose()

    await upgrade_database(database_url, MIGRATIONS)

    engine = create_engine(database_url)
    uow = CatalogUnitOfWork(session_factory(engine))
    async with uow:
        ledgers = (await uow.stock.ledger("shop-a"), await uow.stock.ledger("shop-b"))
    await engine.dispose()
    assert ledgers == ({"A": 7}, {"A": 2})
