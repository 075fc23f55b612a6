"""Each change becomes a `bancone.catalog.v1` event keyed by tenant and entity."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bancone_catalog.domain import events
from bancone_catalog.domain.offers import OfferPublic
from bancone_catalog.domain.products import ProductPublic
from bancone_contracts.events import parse_event
from bancone_contracts.events.catalog import CatalogEntityChanged, OfferSnapshot, ProductSnapshot

pytestmark = pytest.mark.unit

NOW = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


def barolo(stock: int = 3) -> ProductPublic:
    return ProductPublic(
        id=uuid.uuid4(),
        tenant_id="demo",
        sku="BAR-19",
        name="Barolo",
        category="vino-rosso",
        price=Decimal("39.90"),
        stock=stock,
        attributes={"colour": "red"},
        created_at=NOW,
        updated_at=NOW,
    )


def test_product_upsert_carries_the_whole_product_with_money() -> None:
    product = barolo(stock=0)

    event = events.product_upserted(product)

    assert event.subject == f"demo:{product.id}"
    assert event.source == "catalog"
    snapshot = event.data.snapshot
    assert isinstance(snapshot, ProductSnapshot)
    assert snapshot.price is not None
    assert (snapshot.price.amount, snapshot.price.currency) == (Decimal("39.90"), "EUR")
    assert (snapshot.in_stock, snapshot.stock_quantity) == (False, 0)
    assert snapshot.attributes == {"colour": "red"}
    assert isinstance(parse_event("bancone.catalog.v1", event.to_bytes()), CatalogEntityChanged)


def test_stock_change_and_delete_carry_no_snapshot() -> None:
    product = barolo(stock=5)

    stock = events.stock_changed(product).data
    deleted = events.entity_deleted("demo", "product", product.id).data

    assert (stock.op, stock.stock and stock.stock.quantity, stock.snapshot) == (
        "stock_changed",
        5,
        None,
    )
    assert (deleted.op, deleted.entity_id, deleted.snapshot) == ("deleted", str(product.id), None)


def test_offer_period_is_whole_days_in_utc_and_products_are_ids() -> None:
    offer = OfferPublic(
        id=uuid.uuid4(),
        tenant_id="demo",
        code="XMAS",
        title="Natale",
        discount_percent=Decimal(15),
        product_skus=["BAR-19"],
        valid_from=date(2025, 12, 1),
        valid_until=date(2025, 12, 24),
        created_at=NOW,
        updated_at=NOW,
    )
    product_id = uuid.uuid4()

    snapshot = events.offer_upserted(offer, [product_id]).data.snapshot

    assert isinstance(snapshot, OfferSnapshot)
    assert snapshot.product_ids == (str(product_id),)
    assert snapshot.valid_from == datetime(2025, 12, 1, tzinfo=UTC)
    assert snapshot.valid_until is not None
    assert snapshot.valid_until.date() == date(2025, 12, 24)
    assert snapshot.valid_until.hour == 23
