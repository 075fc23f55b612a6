"""The steps product writes share for variants and the stock ledger (used by `handlers`).

A sku is unique in a tenant across products and variants; every change of a stock level
writes its movement in the same transaction (see `domain.stock`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from bancone_catalog.adapters.stock import variant_columns
from bancone_catalog.adapters.tables import ProductRecord, VariantRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain import events
from bancone_catalog.domain.errors import AlreadyExistsError
from bancone_catalog.domain.products import ProductPublic
from bancone_catalog.domain.stock import restock_kind
from bancone_catalog.domain.variants import VariantIn, VariantPublic
from bancone_kit.clock import utcnow


async def with_variants(
    uow: CatalogUnitOfWork, tenant_id: str, records: Sequence[ProductRecord]
) -> list[ProductPublic]:
    """The products as the API shows them, each with its variants (one query for all)."""
    variants = await uow.stock.variants_of(tenant_id, [record.id for record in records])
    return [
        ProductPublic.model_validate(record, from_attributes=True).model_copy(
            update={"variants": [_variant(v) for v in variants.get(record.id, [])]}
        )
        for record in records
    ]


async def one_with_variants(
    uow: CatalogUnitOfWork, tenant_id: str, record: ProductRecord
) -> ProductPublic:
    return (await with_variants(uow, tenant_id, [record]))[0]


def _variant(record: VariantRecord) -> VariantPublic:
    return VariantPublic.model_validate(record, from_attributes=True)


async def refuse_taken_skus(
    uow: CatalogUnitOfWork, tenant_id: str, skus: Iterable[str], product_id: uuid.UUID | None
) -> None:
    """`AlreadyExistsError` if another product has one of `skus` as its sku or a variant's."""
    wanted = set(skus)
    products = await uow.catalog.products_by_sku(tenant_id, wanted)
    variants = await uow.stock.variants_by_sku(tenant_id, wanted)
    for sku in sorted(wanted):
        owner = products[sku].id if sku in products else None
        owner = variants[sku].product_id if sku in variants else owner
        if owner is not None and owner != product_id:
            raise AlreadyExistsError("sku", sku)


def record_stock(uow: CatalogUnitOfWork, tenant_id: str, sku: str, before: int, after: int) -> None:
    """The movement of an owner's stock change (new stock is `received`)."""
    delta = after - before
    if delta:
        uow.stock.move(tenant_id, sku, restock_kind(delta), delta)


async def sync_variants(
    uow: CatalogUnitOfWork, tenant_id: str, product: ProductRecord, wanted: list[VariantIn]
) -> bool:
    """Make the product's variants exactly `wanted` (matched by sku); True if anything changed.

    Removing a variant writes off its stock (an `adjusted` movement) before it goes."""
    await refuse_taken_skus(uow, tenant_id, [v.sku for v in wanted], product.id)
    stored = {v.sku: v for v in (await uow.stock.variants_of(tenant_id, [product.id]))[product.id]}
    changed = False
    for position, variant in enumerate(wanted):
        record = stored.pop(variant.sku, None)
        if record is None:
            new = uow.stock.add_variant(tenant_id, product, position, variant)
            record_stock(uow, tenant_id, new.sku, 0, new.stock)
            changed = True
            continue
        values: dict[str, Any] = {
            **variant_columns(variant, product.price, product.currency),
            "position": position,
        }
        before = record.stock
        differs = {k: v for k, v in values.items() if getattr(record, k) != v}
        for name, value in differs.items():
            setattr(record, name, value)
        if differs:
            record.updated_at = utcnow()
            record_stock(uow, tenant_id, record.sku, before, record.stock)
            changed = True
    for record in stored.values():
        record_stock(uow, tenant_id, record.sku, record.stock, 0)
        await uow.stock.delete_variant(record)
        changed = True
    if changed:
        await uow.catalog.flush()
    return changed


async def publish_stock(uow: CatalogUnitOfWork, tenant_id: str, skus: Iterable[str]) -> None:
    """Stage the catalog event of each product whose stock an order changed: its new level,
    or the whole product when the sku was a variant (the event carries variant stock)."""
    items = await uow.stock.sellables(tenant_id, set(skus))
    records = await uow.catalog.get_products(
        tenant_id, {item.product_id for item in items.values()}
    )
    for product in await with_variants(uow, tenant_id, records):
        uow.publish(
            events.product_upserted(product) if product.variants else events.stock_changed(product)
        )
