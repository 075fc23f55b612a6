"""Catalog use cases: `(tenant_id, command, uow) -> result`; the registry at the bottom lists
them.

Each write runs in one unit of work and stages its `bancone.catalog.v1` event in the outbox
in the same transaction, so a change and its event are committed together or not at all.
The tenant always comes from the caller (the URL an admin called), never from the payload.
Products, FAQs and offers share one shape (create by natural key, change, delete, get): the
shared steps are the helpers at the end, each kind keeps only what is its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Final, TypeVar

from sqlalchemy.exc import IntegrityError

from bancone_catalog import order_handlers, payment_handlers
from bancone_catalog.adapters.repository import CatalogRepository
from bancone_catalog.adapters.tables import FaqRecord, OfferRecord, ProductRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain import events
from bancone_catalog.domain.errors import (
    AlreadyExistsError,
    InsufficientStockError,
    NotFoundError,
    UnknownSkusError,
)
from bancone_catalog.domain.faqs import FaqCreate, FaqPublic, FaqUpdate
from bancone_catalog.domain.imports import EntityKind
from bancone_catalog.domain.offers import OfferCreate, OfferPublic, OfferUpdate
from bancone_catalog.domain.products import ProductCreate, ProductPublic, ProductUpdate
from bancone_catalog.domain.search import ProductSearch
from bancone_catalog.domain.stock import restock_kind
from bancone_catalog.domain.variants import VariantIn
from bancone_catalog.import_handlers import ProgressCallback as ProgressCallback
from bancone_catalog.import_handlers import import_catalog as import_catalog
from bancone_catalog.product_stock import (
    one_with_variants,
    record_stock,
    refuse_taken_skus,
    sync_variants,
    with_variants,
)
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_kit.messaging.subscriptions import Subscription, declared

RecordT = TypeVar("RecordT", ProductRecord, FaqRecord, OfferRecord)
Loader = Callable[[CatalogRepository, str, uuid.UUID], Awaitable[RecordT | None]]


def _faq(record: FaqRecord) -> FaqPublic:
    return FaqPublic.model_validate(record, from_attributes=True)


def _offer(record: OfferRecord) -> OfferPublic:
    return OfferPublic.model_validate(record, from_attributes=True)


# -- products -------------------------------------------------------------------------------


async def create_product(
    tenant_id: str, data: ProductCreate, uow: CatalogUnitOfWork
) -> ProductPublic:
    async with uow:
        await _refuse_taken(uow.catalog.products_by_sku(tenant_id, [data.sku]), "product", data.sku)
        await refuse_taken_skus(uow, tenant_id, [data.sku], None)
        record = uow.catalog.add_product(tenant_id, data)
        record_stock(uow, tenant_id, data.sku, 0, data.stock)
        if data.variants:
            await uow.catalog.flush()
            await sync_variants(uow, tenant_id, record, data.variants)
        product = await one_with_variants(uow, tenant_id, record)
        uow.publish(events.product_upserted(product))
        await _commit_new(uow, "product", data.sku)
    return product


async def update_product(
    tenant_id: str, product_id: uuid.UUID, changes: ProductUpdate, uow: CatalogUnitOfWork
) -> ProductPublic:
    """Apply the fields given; publishes nothing when they equal what is stored."""
    async with uow:
        record = await _get(uow, _PRODUCT, "product", tenant_id, product_id)
        fields = changes.changes()
        variants: list[VariantIn] | None = fields.pop("variants", None)
        before = record.stock
        changed = uow.catalog.change_product(record, fields)
        record_stock(uow, tenant_id, record.sku, before, record.stock)
        if variants is not None:
            if any(variant.sku == record.sku for variant in variants):
                raise AlreadyExistsError("sku", record.sku)
            changed = await sync_variants(uow, tenant_id, record, variants) or changed
        product = await one_with_variants(uow, tenant_id, record)
        await _publish_if(uow, changed, lambda: events.product_upserted(product))
        return product


async def delete_product(tenant_id: str, product_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    """Deletes its variants too; the stock they held is written off in the ledger."""
    async with uow:
        record = await _get(uow, _PRODUCT, "product", tenant_id, product_id)
        record_stock(uow, tenant_id, record.sku, record.stock, 0)
        for variant in (await uow.stock.variants_of(tenant_id, [record.id]))[record.id]:
            record_stock(uow, tenant_id, variant.sku, variant.stock, 0)
            await uow.stock.delete_variant(variant)
        await uow.catalog.delete(record)
        uow.publish(events.entity_deleted(tenant_id, "product", product_id))
        await uow.commit()


async def adjust_stock(
    tenant_id: str, product_id: uuid.UUID, delta: int, uow: CatalogUnitOfWork
) -> ProductPublic:
    """Add `delta` (negative for a sale); refuses to take the stock below zero."""
    async with uow:
        record = await uow.catalog.add_stock(tenant_id, product_id, delta)
        if record is None:
            current = await _get(uow, _PRODUCT, "product", tenant_id, product_id)
            raise InsufficientStockError(current.sku, current.stock, delta)
        uow.stock.move(tenant_id, record.sku, restock_kind(delta), delta)
        product = await one_with_variants(uow, tenant_id, record)
        uow.publish(events.stock_changed(product))
        await uow.commit()
    return product


async def get_product(
    tenant_id: str, product_id: uuid.UUID, uow: CatalogUnitOfWork
) -> ProductPublic:
    async with uow:
        record = await _get(uow, _PRODUCT, "product", tenant_id, product_id)
        return await one_with_variants(uow, tenant_id, record)


async def get_products(
    tenant_id: str, product_ids: Collection[uuid.UUID], uow: CatalogUnitOfWork
) -> list[ProductPublic]:
    """The tenant's products among `product_ids`, in the order asked; unknown ids are skipped."""
    async with uow:
        records = await uow.catalog.get_products(tenant_id, product_ids)
        found = {p.id: p for p in await with_variants(uow, tenant_id, records)}
    return [found[i] for i in dict.fromkeys(product_ids) if i in found]


async def search_products(
    tenant_id: str, search: ProductSearch, uow: CatalogUnitOfWork
) -> list[ProductPublic]:
    async with uow:
        records = await uow.catalog.search_products(tenant_id, search)
        return await with_variants(uow, tenant_id, records)


# -- FAQs -----------------------------------------------------------------------------------


async def create_faq(tenant_id: str, data: FaqCreate, uow: CatalogUnitOfWork) -> FaqPublic:
    async with uow:
        await _refuse_taken(uow.catalog.faqs_by_key(tenant_id, [data.key]), "faq", data.key)
        faq = _faq(uow.catalog.add_faq(tenant_id, data))
        uow.publish(events.faq_upserted(faq))
        await _commit_new(uow, "faq", data.key)
    return faq


async def update_faq(
    tenant_id: str, faq_id: uuid.UUID, changes: FaqUpdate, uow: CatalogUnitOfWork
) -> FaqPublic:
    async with uow:
        record = await _get(uow, _FAQ, "faq", tenant_id, faq_id)
        changed = uow.catalog.change(record, changes.changes())
        faq = _faq(record)
        await _publish_if(uow, changed, lambda: events.faq_upserted(faq))
        return faq


async def delete_faq(tenant_id: str, faq_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    await _delete(uow, _FAQ, "faq", tenant_id, faq_id)


async def get_faq(tenant_id: str, faq_id: uuid.UUID, uow: CatalogUnitOfWork) -> FaqPublic:
    async with uow:
        return _faq(await _get(uow, _FAQ, "faq", tenant_id, faq_id))


async def list_faqs(
    tenant_id: str, uow: CatalogUnitOfWork, *, language: str | None = None, limit: int = 100
) -> list[FaqPublic]:
    async with uow:
        records = await uow.catalog.list_faqs(tenant_id, language=language, limit=limit)
        return [_faq(r) for r in records]


# -- offers ---------------------------------------------------------------------------------


async def create_offer(tenant_id: str, data: OfferCreate, uow: CatalogUnitOfWork) -> OfferPublic:
    """A new offer; every sku it names must be one of the tenant's products."""
    async with uow:
        await _refuse_taken(uow.catalog.offers_by_code(tenant_id, [data.code]), "offer", data.code)
        product_ids = await _product_ids(uow, tenant_id, data.product_skus)
        offer = _offer(uow.catalog.add_offer(tenant_id, data))
        uow.publish(events.offer_upserted(offer, product_ids))
        await _commit_new(uow, "offer", data.code)
    return offer


async def update_offer(
    tenant_id: str, offer_id: uuid.UUID, changes: OfferUpdate, uow: CatalogUnitOfWork
) -> OfferPublic:
    async with uow:
        record = await _get(uow, _OFFER, "offer", tenant_id, offer_id)
        stored = OfferCreate.model_validate(record, from_attributes=True)
        # Validate the result as a whole: new dates must still be in order with stored ones.
        merged = OfferCreate.model_validate({**stored.model_dump(), **changes.changes()})
        product_ids = await _product_ids(uow, tenant_id, merged.product_skus)
        changed = uow.catalog.change(record, changes.changes())
        offer = _offer(record)
        await _publish_if(uow, changed, lambda: events.offer_upserted(offer, product_ids))
        return offer


async def delete_offer(tenant_id: str, offer_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    await _delete(uow, _OFFER, "offer", tenant_id, offer_id)


async def get_offer(tenant_id: str, offer_id: uuid.UUID, uow: CatalogUnitOfWork) -> OfferPublic:
    async with uow:
        return _offer(await _get(uow, _OFFER, "offer", tenant_id, offer_id))


async def list_offers(
    tenant_id: str, uow: CatalogUnitOfWork, *, limit: int = 100
) -> list[OfferPublic]:
    async with uow:
        return [_offer(r) for r in await uow.catalog.list_offers(tenant_id, limit=limit)]


_PRODUCT: Final[Loader[ProductRecord]] = CatalogRepository.get_product
_FAQ: Final[Loader[FaqRecord]] = CatalogRepository.get_faq
_OFFER: Final[Loader[OfferRecord]] = CatalogRepository.get_offer


async def _get(
    uow: CatalogUnitOfWork,
    load: Loader[RecordT],
    kind: EntityKind,
    tenant_id: str,
    ref: uuid.UUID,
) -> RecordT:
    """The tenant's record, or NotFoundError (another tenant's counts as none)."""
    record = await load(uow.catalog, tenant_id, ref)
    if record is None:
        raise NotFoundError(kind, ref)
    return record


async def _refuse_taken(found: Awaitable[Mapping[str, object]], kind: str, key: str) -> None:
    if await found:
        raise AlreadyExistsError(kind, key)


async def _publish_if(
    uow: CatalogUnitOfWork, changed: bool, event: Callable[[], CatalogEntityChanged]
) -> None:
    """Publish and commit a change; an update equal to what is stored publishes nothing."""
    if changed:
        uow.publish(event())
        await uow.commit()


async def _delete(
    uow: CatalogUnitOfWork,
    load: Loader[RecordT],
    kind: EntityKind,
    tenant_id: str,
    ref: uuid.UUID,
) -> None:
    async with uow:
        await uow.catalog.delete(await _get(uow, load, kind, tenant_id, ref))
        uow.publish(events.entity_deleted(tenant_id, kind, ref))
        await uow.commit()


async def _commit_new(uow: CatalogUnitOfWork, kind: str, key: str) -> None:
    """Commit a create; a concurrent create of the same natural key surfaces as a conflict."""
    try:
        await uow.commit()
    except IntegrityError as error:
        raise AlreadyExistsError(kind, key) from error


async def _product_ids(
    uow: CatalogUnitOfWork, tenant_id: str, skus: Collection[str]
) -> list[uuid.UUID]:
    found = await uow.catalog.products_by_sku(tenant_id, skus)
    unknown = sorted(set(skus) - set(found))
    if unknown:
        raise UnknownSkusError(unknown)
    return [found[sku].id for sku in skus]


# -- registry -------------------------------------------------------------------------------

COMMAND_HANDLERS: Final[Mapping[str, Callable[..., Awaitable[Any]]]] = {
    "create_product": create_product,
    "update_product": update_product,
    "delete_product": delete_product,
    "adjust_stock": adjust_stock,
    "get_product": get_product,
    "get_products": get_products,
    "search_products": search_products,
    "create_faq": create_faq,
    "update_faq": update_faq,
    "delete_faq": delete_faq,
    "get_faq": get_faq,
    "list_faqs": list_faqs,
    "create_offer": create_offer,
    "update_offer": update_offer,
    "delete_offer": delete_offer,
    "get_offer": get_offer,
    "list_offers": list_offers,
    "import_catalog": import_catalog,
    "quote_cart": order_handlers.quote_cart,
    "place_order": order_handlers.place_order,
    "get_order": order_handlers.get_order,
    "list_orders": order_handlers.list_orders,
    "get_order_by_number": order_handlers.get_order_by_number,
    "transition_order": order_handlers.transition_order,
    "attach_payment_link": order_handlers.attach_payment_link,
    "get_invoice_settings": order_handlers.get_invoice_settings,
    "put_invoice_settings": order_handlers.put_invoice_settings,
    "receive_payment_callback": payment_handlers.receive_payment_callback,
    "invoice_document": payment_handlers.invoice_document,
}
"""Every HTTP-triggered use case of the catalog, by name (`entrypoints/catalog_api.py`)."""

EVENT_HANDLERS: Final[Mapping[type, Callable[..., Any]]] = {}
"""The catalog reacts to no event; it only publishes `CatalogEntityChanged` (see domain.events)."""

SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = declared("catalog")
"""Empty, as `bancone_contracts.subscriptions` declares (so its KafkaUser may read nothing)."""
