"""The catalog-change handler on a real database (PostgreSQL and SQLite) with an in-memory
index: every change lands once, and an event older than what the index holds never
overwrites it, whatever order events arrive in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import func, select

from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_ingest.adapters.tables import IndexedEntityRecord
from bancone_ingest.handlers import IngestDeps, handle_catalog_change
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import InboxRecord
from services.ingest.tests.support import (
    FakeIndex,
    at,
    deleted,
    faq_upserted,
    product_upserted,
    stock_changed,
)

pytestmark = pytest.mark.service

SHOP = "enoteca-a"
OTHER = "enoteca-b"


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def deps(database_url: str) -> AsyncIterator[IngestDeps]:
    await upgrade_database(database_url, "bancone_ingest.migrations")
    engine = create_engine(database_url)
    yield IngestDeps(sessions=session_factory(engine), index=FakeIndex())
    await engine.dispose()


def index_of(deps: IngestDeps) -> FakeIndex:
    assert isinstance(deps.index, FakeIndex)
    return deps.index


async def apply(deps: IngestDeps, *events: CatalogEntityChanged) -> None:
    for event in events:
        await handle_catalog_change(event, deps)


async def inbox_rows(deps: IngestDeps) -> int:
    async with deps.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(InboxRecord))).one())


def barolo(price: str, seconds: float, stock: int = 10) -> CatalogEntityChanged:
    return product_upserted(SHOP, "p1", name="Barolo", price=price, stock=stock, time=at(seconds))


async def test_an_upsert_is_indexed_for_its_tenant_with_its_price(deps: IngestDeps) -> None:
    await apply(
        deps, barolo("42.00", 1), faq_upserted(OTHER, "f1", question="Orari?", answer="9-19")
    )

    index = index_of(deps)
    product = index.product(SHOP, "p1")
    assert product is not None
    assert (product["tenant_id"], product["title"], product["price_text"]) == (
        SHOP,
        "Barolo",
        "42.00",
    )
    assert index.product(OTHER, "p1") is None
    assert (OTHER, "faq", "f1") in index.documents


async def test_a_redelivered_event_is_a_no_op(deps: IngestDeps) -> None:
    event = barolo("42.00", 1)
    await apply(deps, event)
    await apply(deps, barolo("45.00", 2))

    await apply(deps, event)

    index = index_of(deps)
    assert [w[0] for w in index.writes] == ["upsert", "upsert"]
    assert index.product(SHOP, "p1")["price_text"] == "45.00"  # type: ignore[index]
    assert await inbox_rows(deps) == 2


async def test_an_older_upsert_after_a_newer_one_is_ignored(deps: IngestDeps) -> None:
    await apply(deps, barolo("45.00", 20), barolo("42.00", 10))

    index = index_of(deps)
    assert index.product(SHOP, "p1")["price_text"] == "45.00"  # type: ignore[index]
    assert len(index.writes) == 1
    assert await inbox_rows(deps) == 2, "the stale event is still marked processed"


async def test_a_delete_removes_the_entity_and_an_older_upsert_does_not_bring_it_back(
    deps: IngestDeps,
) -> None:
    await apply(deps, barolo("42.00", 1), deleted(SHOP, "p1", time=at(5)))
    index = index_of(deps)
    assert index.product(SHOP, "p1") is None

    await apply(deps, barolo("40.00", 3))
    assert index.product(SHOP, "p1") is None

    await apply(deps, barolo("39.00", 9))
    assert index.product(SHOP, "p1")["price_text"] == "39.00"  # type: ignore[index]
    async with deps.sessions() as session:
        row = await session.get(IndexedEntityRecord, (SHOP, "product", "p1"))
    assert row is not None
    assert (row.changed_at, row.deleted) == (at(9), False)


async def test_a_stock_change_rewrites_the_stock_and_an_older_one_is_ignored(
    deps: IngestDeps,
) -> None:
    await apply(deps, barolo("42.00", 1, stock=10), stock_changed(SHOP, "p1", 0, time=at(5)))
    index = index_of(deps)
    product = index.product(SHOP, "p1")
    assert product is not None
    assert (product["stock"], product["in_stock"]) == (0, False)

    await apply(deps, stock_changed(SHOP, "p1", 7, time=at(3)))
    assert (product["stock"], product["in_stock"]) == (0, False)

    await apply(deps, stock_changed(SHOP, "p1", 4, time=at(6)))
    assert (product["stock"], product["in_stock"]) == (4, True)


async def test_an_upsert_older_than_a_stock_change_keeps_the_newer_stock(
    deps: IngestDeps,
) -> None:
    # The stock change arrives first, before the product was ever indexed.
    await apply(deps, stock_changed(SHOP, "p1", 0, time=at(5)), barolo("42.00", 1, stock=10))

    product = index_of(deps).product(SHOP, "p1")
    assert product is not None
    assert (product["price_text"], product["stock"], product["in_stock"]) == ("42.00", 0, False)


async def test_a_stock_change_of_a_deleted_product_changes_nothing(deps: IngestDeps) -> None:
    await apply(deps, barolo("42.00", 1), deleted(SHOP, "p1", time=at(2)))

    await apply(deps, stock_changed(SHOP, "p1", 3, time=at(4)))

    index = index_of(deps)
    assert index.product(SHOP, "p1") is None
    assert [w[0] for w in index.writes] == ["upsert", "delete"]


async def test_a_variant_stock_change_is_not_indexed(deps: IngestDeps) -> None:
    await apply(deps, barolo("42.00", 1, stock=10))

    await apply(deps, stock_changed(SHOP, "p1", 0, sku="p1-magnum", time=at(2)))

    product = index_of(deps).product(SHOP, "p1")
    assert product is not None
    assert product["stock"] == 10


async def test_a_failing_index_write_rolls_back_so_the_redelivery_does_the_work(
    deps: IngestDeps,
) -> None:
    class Unavailable(FakeIndex):
        async def upsert(self, doc: object, embedded: object = None) -> None:
            raise ConnectionError("qdrant down")

    event = barolo("42.00", 1)
    broken = IngestDeps(sessions=deps.sessions, index=Unavailable())
    with pytest.raises(ConnectionError):
        await handle_catalog_change(event, broken)
    assert await inbox_rows(deps) == 0

    await apply(deps, event)
    assert index_of(deps).product(SHOP, "p1") is not None
