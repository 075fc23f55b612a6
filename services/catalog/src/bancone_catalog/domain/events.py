"""The catalog change events (`bancone.catalog.v1`) each business change publishes.

An upsert carries the whole entity as it is now, so the knowledge index can rebuild its
vector from the event alone; a delete carries the id; a stock adjustment the new level.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from bancone_catalog.domain.faqs import FaqPublic
from bancone_catalog.domain.offers import OfferPublic
from bancone_catalog.domain.products import ProductPublic
from bancone_contracts.common import Money
from bancone_contracts.events.catalog import (
    CatalogChange,
    CatalogEntityChanged,
    EntityKind,
    FaqSnapshot,
    OfferSnapshot,
    ProductSnapshot,
    StockLevel,
    VariantSnapshot,
)

SOURCE = "catalog"


def _event(tenant_id: str, change: CatalogChange) -> CatalogEntityChanged:
    return CatalogEntityChanged.new(tenant_id=tenant_id, source=SOURCE, data=change)


def product_upserted(product: ProductPublic) -> CatalogEntityChanged:
    """The whole product; its stock is its own plus its active variants'."""
    stock = product.stock + sum(v.stock for v in product.variants if v.active)
    snapshot = ProductSnapshot(
        name=product.name,
        description=product.description or None,
        category=product.category,
        price=Money(amount=product.price, currency=product.currency),
        in_stock=stock > 0,
        stock_quantity=stock,
        variants=tuple(
            VariantSnapshot(
                sku=v.sku,
                name=v.label,
                price=Money(amount=v.price, currency=v.currency),
                stock_quantity=v.stock,
                attributes=dict(v.attributes),
            )
            for v in product.variants
            if v.active
        ),
        tags=tuple(product.tags),
        attributes=dict(product.attributes),
        active=product.active,
    )
    change = CatalogChange(
        entity_kind="product", entity_id=str(product.id), op="upserted", snapshot=snapshot
    )
    return _event(product.tenant_id, change)


def stock_changed(product: ProductPublic) -> CatalogEntityChanged:
    level = StockLevel(quantity=product.stock, in_stock=product.stock > 0)
    change = CatalogChange(
        entity_kind="product", entity_id=str(product.id), op="stock_changed", stock=level
    )
    return _event(product.tenant_id, change)


def faq_upserted(faq: FaqPublic) -> CatalogEntityChanged:
    snapshot = FaqSnapshot(
        question=faq.question, answer=faq.answer, tags=tuple(faq.tags), language=faq.language
    )
    change = CatalogChange(
        entity_kind="faq", entity_id=str(faq.id), op="upserted", snapshot=snapshot
    )
    return _event(faq.tenant_id, change)


def offer_upserted(offer: OfferPublic, product_ids: Iterable[uuid.UUID]) -> CatalogEntityChanged:
    """`product_ids` are the ids of the offer's skus (the event speaks in entity ids)."""
    snapshot = OfferSnapshot(
        title=offer.title,
        description=offer.description or None,
        discount_percent=offer.discount_percent,
        product_ids=tuple(str(product_id) for product_id in product_ids),
        valid_from=_start_of(offer.valid_from),
        valid_until=_end_of(offer.valid_until),
    )
    change = CatalogChange(
        entity_kind="offer", entity_id=str(offer.id), op="upserted", snapshot=snapshot
    )
    return _event(offer.tenant_id, change)


def entity_deleted(tenant_id: str, kind: EntityKind, entity_id: uuid.UUID) -> CatalogEntityChanged:
    change = CatalogChange(entity_kind=kind, entity_id=str(entity_id), op="deleted")
    return _event(tenant_id, change)


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, UTC)


def _end_of(day: date | None) -> datetime | None:
    """An offer's last day is inclusive: it ends at that day's last instant (UTC)."""
    return None if day is None else datetime.combine(day, time.max, UTC)
