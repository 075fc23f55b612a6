"""Every catalog write commits its row and exactly one outbox event together, or neither."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest

from bancone_catalog import handlers
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import (
    AlreadyExistsError,
    InsufficientStockError,
    NotFoundError,
    UnknownSkusError,
)
from bancone_catalog.domain.faqs import FaqCreate, FaqUpdate
from bancone_catalog.domain.offers import OfferCreate, OfferUpdate
from bancone_catalog.domain.products import ProductCreate, ProductUpdate
from bancone_contracts.events.catalog import CatalogEntityChanged, ProductSnapshot

pytestmark = pytest.mark.service

OutboxReader = Callable[[], Awaitable[list[CatalogEntityChanged]]]


def barolo(**fields: object) -> ProductCreate:
    data: dict[str, object] = {
        "sku": "BAR-19",
        "name": "Barolo 2019",
        "category": "vino-rosso",
        "price": "39.90",
        "stock": 5,
        "attributes": {"colour": "red"},
    }
    return ProductCreate.model_validate({**data, **fields})


async def test_create_product_stores_it_and_stages_one_upsert_event(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    created = await handlers.create_product("demo", barolo(), uow)

    stored = await handlers.get_product("demo", created.id, uow)
    assert stored == created
    assert stored.price == Decimal("39.90")
    assert stored.created_at.tzinfo is not None
    [event] = await outbox_events()
    assert (event.tenant_id, event.subject) == ("demo", f"demo:{created.id}")
    assert (event.data.entity_kind, event.data.op) == ("product", "upserted")
    assert isinstance(event.data.snapshot, ProductSnapshot)
    assert event.data.snapshot.name == "Barolo 2019"


async def test_duplicate_sku_is_refused_and_publishes_nothing_more(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    await handlers.create_product("demo", barolo(), uow)

    with pytest.raises(AlreadyExistsError):
        await handlers.create_product("demo", barolo(name="Another"), uow)

    assert len(await outbox_events()) == 1


async def test_update_publishes_only_when_something_changed(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    product = await handlers.create_product("demo", barolo(), uow)

    updated = await handlers.update_product(
        "demo", product.id, ProductUpdate(price=Decimal("35"), tags=["regalo"]), uow
    )
    same = await handlers.update_product("demo", product.id, ProductUpdate(price=Decimal(35)), uow)

    assert updated.price == Decimal("35.00")
    assert updated.updated_at > product.updated_at
    assert same == updated
    events = await outbox_events()
    assert [e.data.op for e in events] == ["upserted", "upserted"]
    snapshot = events[-1].data.snapshot
    assert isinstance(snapshot, ProductSnapshot)
    assert snapshot.price is not None
    assert snapshot.price.amount == Decimal("35.00")


async def test_update_refreshes_what_search_matches(uow: CatalogUnitOfWork) -> None:
    product = await handlers.create_product("demo", barolo(), uow)

    await handlers.update_product("demo", product.id, ProductUpdate(name="Nebbiolo d'Alba"), uow)

    from bancone_catalog.domain.search import ProductSearch

    assert await handlers.search_products("demo", ProductSearch(q="barolo"), uow) == []
    [hit] = await handlers.search_products("demo", ProductSearch(q="NEBBIOLO"), uow)
    assert hit.id == product.id


async def test_delete_removes_the_product_and_stages_a_delete(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    product = await handlers.create_product("demo", barolo(), uow)

    await handlers.delete_product("demo", product.id, uow)

    with pytest.raises(NotFoundError):
        await handlers.get_product("demo", product.id, uow)
    deleted = (await outbox_events())[-1]
    assert (deleted.data.op, deleted.data.entity_id) == ("deleted", str(product.id))


async def test_adjust_stock_changes_it_atomically_and_never_below_zero(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    product = await handlers.create_product("demo", barolo(stock=5), uow)

    sold = await handlers.adjust_stock("demo", product.id, -3, uow)
    with pytest.raises(InsufficientStockError):
        await handlers.adjust_stock("demo", product.id, -3, uow)

    assert sold.stock == 2
    assert (await handlers.get_product("demo", product.id, uow)).stock == 2
    events = await outbox_events()
    assert [e.data.op for e in events] == ["upserted", "stock_changed"]
    assert events[-1].data.stock is not None
    assert (events[-1].data.stock.quantity, events[-1].data.stock.in_stock) == (2, True)
    with pytest.raises(NotFoundError):
        await handlers.adjust_stock("demo", uuid.uuid4(), 1, uow)


async def test_faq_create_update_delete_each_stage_one_event(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    faq = await handlers.create_faq(
        "demo", FaqCreate(key="hours", question="Orari?", answer="9-19"), uow
    )
    with pytest.raises(AlreadyExistsError):
        await handlers.create_faq("demo", FaqCreate(key="hours", question="?", answer="!"), uow)

    changed = await handlers.update_faq("demo", faq.id, FaqUpdate(answer="9-20"), uow)
    await handlers.delete_faq("demo", faq.id, uow)

    assert changed.answer == "9-20"
    assert await handlers.list_faqs("demo", uow) == []
    events = await outbox_events()
    assert [(e.data.entity_kind, e.data.op) for e in events] == [
        ("faq", "upserted"),
        ("faq", "upserted"),
        ("faq", "deleted"),
    ]


async def test_offer_needs_known_skus_and_its_event_names_product_ids(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    product = await handlers.create_product("demo", barolo(), uow)
    with pytest.raises(UnknownSkusError):
        await handlers.create_offer(
            "demo",
            OfferCreate(code="X", title="x", discount_percent=Decimal(5), product_skus=["NOPE"]),
            uow,
        )

    offer = await handlers.create_offer(
        "demo",
        OfferCreate(code="X", title="x", discount_percent=Decimal(5), product_skus=["BAR-19"]),
        uow,
    )
    updated = await handlers.update_offer(
        "demo", offer.id, OfferUpdate(discount_percent=Decimal("7.5")), uow
    )

    assert updated.discount_percent == Decimal("7.50")
    assert [o.code for o in await handlers.list_offers("demo", uow)] == ["X"]
    events = await outbox_events()
    assert len(events) == 3
    snapshot = events[-1].data.snapshot
    assert snapshot is not None
    assert snapshot.kind == "offer"
    assert snapshot.product_ids == (str(product.id),)
