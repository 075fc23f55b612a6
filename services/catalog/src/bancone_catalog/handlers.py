"""Catalog use cases: `(tenant_id, command, uow) -> result`.

Each write runs in one unit of work and stages its `bancone.catalog.v1` event in the outbox
in the same transaction, so a change and its event are committed together or not at all.
The tenant always comes from the caller (the URL an admin called), never from the payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, TypeVar

from sqlalchemy.exc import IntegrityError

from bancone_catalog.adapters.tables import FaqRecord, OfferRecord, ProductRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain import events
from bancone_catalog.domain.errors import (
    AlreadyExistsError,
    InsufficientStockError,
    InvalidImportError,
    NotFoundError,
    UnknownSkusError,
)
from bancone_catalog.domain.faqs import FaqCreate, FaqPublic, FaqUpdate
from bancone_catalog.domain.imports import ImportReport, ParsedCatalog
from bancone_catalog.domain.imports.report import Outcome
from bancone_catalog.domain.offers import OfferCreate, OfferPublic, OfferUpdate
from bancone_catalog.domain.products import ProductCreate, ProductPublic, ProductUpdate
from bancone_catalog.domain.search import ProductSearch

RecordT = TypeVar("RecordT", ProductRecord, FaqRecord, OfferRecord)
ProgressCallback = Callable[[int, int], None]
"""Called as `(rows_done, rows_total)` while an import writes."""


def _product(record: ProductRecord) -> ProductPublic:
    return ProductPublic.model_validate(record, from_attributes=True)


def _faq(record: FaqRecord) -> FaqPublic:
    return FaqPublic.model_validate(record, from_attributes=True)


def _offer(record: OfferRecord) -> OfferPublic:
    return OfferPublic.model_validate(record, from_attributes=True)


# -- products -------------------------------------------------------------------------------


async def create_product(
    tenant_id: str, data: ProductCreate, uow: CatalogUnitOfWork
) -> ProductPublic:
    async with uow:
        if await uow.catalog.products_by_sku(tenant_id, [data.sku]):
            raise AlreadyExistsError("product", data.sku)
        product = _product(uow.catalog.add_product(tenant_id, data))
        uow.publish(events.product_upserted(product))
        await _commit_new(uow, "product", data.sku)
    return product


async def update_product(
    tenant_id: str, product_id: uuid.UUID, changes: ProductUpdate, uow: CatalogUnitOfWork
) -> ProductPublic:
    """Apply the fields given; publishes nothing when they equal what is stored."""
    async with uow:
        record = _found(await uow.catalog.get_product(tenant_id, product_id), "product", product_id)
        if uow.catalog.change_product(record, changes.changes()):
            uow.publish(events.product_upserted(_product(record)))
            await uow.commit()
        return _product(record)


async def delete_product(tenant_id: str, product_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    async with uow:
        record = _found(await uow.catalog.get_product(tenant_id, product_id), "product", product_id)
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
            current = _found(
                await uow.catalog.get_product(tenant_id, product_id), "product", product_id
            )
            raise InsufficientStockError(current.sku, current.stock, delta)
        product = _product(record)
        uow.publish(events.stock_changed(product))
        await uow.commit()
    return product


async def get_product(
    tenant_id: str, product_id: uuid.UUID, uow: CatalogUnitOfWork
) -> ProductPublic:
    async with uow:
        return _product(
            _found(await uow.catalog.get_product(tenant_id, product_id), "product", product_id)
        )


async def get_products(
    tenant_id: str, product_ids: Collection[uuid.UUID], uow: CatalogUnitOfWork
) -> list[ProductPublic]:
    """The tenant's products among `product_ids`, in the order asked; unknown ids are skipped."""
    async with uow:
        records = await uow.catalog.get_products(tenant_id, product_ids)
        found = {record.id: _product(record) for record in records}
    return [found[i] for i in dict.fromkeys(product_ids) if i in found]


async def search_products(
    tenant_id: str, search: ProductSearch, uow: CatalogUnitOfWork
) -> list[ProductPublic]:
    async with uow:
        return [_product(r) for r in await uow.catalog.search_products(tenant_id, search)]


# -- FAQs -----------------------------------------------------------------------------------


async def create_faq(tenant_id: str, data: FaqCreate, uow: CatalogUnitOfWork) -> FaqPublic:
    async with uow:
        if await uow.catalog.faqs_by_key(tenant_id, [data.key]):
            raise AlreadyExistsError("faq", data.key)
        faq = _faq(uow.catalog.add_faq(tenant_id, data))
        uow.publish(events.faq_upserted(faq))
        await _commit_new(uow, "faq", data.key)
    return faq


async def update_faq(
    tenant_id: str, faq_id: uuid.UUID, changes: FaqUpdate, uow: CatalogUnitOfWork
) -> FaqPublic:
    async with uow:
        record = _found(await uow.catalog.get_faq(tenant_id, faq_id), "faq", faq_id)
        if uow.catalog.change(record, changes.changes()):
            uow.publish(events.faq_upserted(_faq(record)))
            await uow.commit()
        return _faq(record)


async def delete_faq(tenant_id: str, faq_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    async with uow:
        record = _found(await uow.catalog.get_faq(tenant_id, faq_id), "faq", faq_id)
        await uow.catalog.delete(record)
        uow.publish(events.entity_deleted(tenant_id, "faq", faq_id))
        await uow.commit()


async def get_faq(tenant_id: str, faq_id: uuid.UUID, uow: CatalogUnitOfWork) -> FaqPublic:
    async with uow:
        return _faq(_found(await uow.catalog.get_faq(tenant_id, faq_id), "faq", faq_id))


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
        if await uow.catalog.offers_by_code(tenant_id, [data.code]):
            raise AlreadyExistsError("offer", data.code)
        product_ids = await _product_ids(uow, tenant_id, data.product_skus)
        offer = _offer(uow.catalog.add_offer(tenant_id, data))
        uow.publish(events.offer_upserted(offer, product_ids))
        await _commit_new(uow, "offer", data.code)
    return offer


async def update_offer(
    tenant_id: str, offer_id: uuid.UUID, changes: OfferUpdate, uow: CatalogUnitOfWork
) -> OfferPublic:
    async with uow:
        record = _found(await uow.catalog.get_offer(tenant_id, offer_id), "offer", offer_id)
        stored = OfferCreate.model_validate(record, from_attributes=True)
        # Validate the result as a whole: new dates must still be in order with stored ones.
        merged = OfferCreate.model_validate({**stored.model_dump(), **changes.changes()})
        product_ids = await _product_ids(uow, tenant_id, merged.product_skus)
        if uow.catalog.change(record, changes.changes()):
            uow.publish(events.offer_upserted(_offer(record), product_ids))
            await uow.commit()
        return _offer(record)


async def delete_offer(tenant_id: str, offer_id: uuid.UUID, uow: CatalogUnitOfWork) -> None:
    async with uow:
        record = _found(await uow.catalog.get_offer(tenant_id, offer_id), "offer", offer_id)
        await uow.catalog.delete(record)
        uow.publish(events.entity_deleted(tenant_id, "offer", offer_id))
        await uow.commit()


async def get_offer(tenant_id: str, offer_id: uuid.UUID, uow: CatalogUnitOfWork) -> OfferPublic:
    async with uow:
        return _offer(_found(await uow.catalog.get_offer(tenant_id, offer_id), "offer", offer_id))


async def list_offers(
    tenant_id: str, uow: CatalogUnitOfWork, *, limit: int = 100
) -> list[OfferPublic]:
    async with uow:
        return [_offer(r) for r in await uow.catalog.list_offers(tenant_id, limit=limit)]


# -- bulk import ----------------------------------------------------------------------------


async def import_catalog(
    tenant_id: str,
    parsed: ParsedCatalog,
    uow: CatalogUnitOfWork,
    progress_cb: ProgressCallback | None = None,
) -> ImportReport:
    """Upsert every row by its natural key (sku, FAQ key, offer code) in ONE transaction.

    A field given in a row replaces the stored value; a field left out keeps it (a new row
    gets the default). Unchanged rows publish nothing, so re-importing a file is a no-op.
    Offers may name skus from the file or already stored; any other sku rejects the whole
    import with `InvalidImportError` before anything is written.
    """
    report = ImportReport()
    done, total = 0, parsed.total

    def advance() -> None:
        nonlocal done
        done += 1
        if progress_cb is not None:
            progress_cb(done, total)

    async with uow:
        catalog = uow.catalog
        products = await catalog.products_by_sku(tenant_id, [r.item.sku for r in parsed.products])
        faqs = await catalog.faqs_by_key(tenant_id, [r.item.key for r in parsed.faqs])
        offers = await catalog.offers_by_code(tenant_id, [r.item.code for r in parsed.offers])
        file_skus = {row.item.sku for row in parsed.products}
        named = {sku for row in parsed.offers for sku in row.item.product_skus} - file_skus
        products.update(await catalog.products_by_sku(tenant_id, named))
        issues = [
            row.ref.issue(f"unknown product sku {sku!r}", "product_skus")
            for row in parsed.offers
            for sku in row.item.product_skus
            if sku not in products and sku not in file_skus
        ]
        if issues:
            raise InvalidImportError(issues)

        for product_row in parsed.products:
            data = product_row.item
            record = products.get(data.sku)
            if record is None:
                products[data.sku] = catalog.add_product(tenant_id, data)
                outcome: Outcome = "created"
            else:
                changed = catalog.change_product(record, _given(data))
                outcome = "updated" if changed else "unchanged"
            if outcome != "unchanged":
                uow.publish(events.product_upserted(_product(products[data.sku])))
            report.products.count(outcome)
            advance()

        for faq_row in parsed.faqs:
            faq_record = faqs.get(faq_row.item.key)
            if faq_record is None:
                faq_record = catalog.add_faq(tenant_id, faq_row.item)
                outcome = "created"
            else:
                changed = catalog.change(faq_record, _given(faq_row.item))
                outcome = "updated" if changed else "unchanged"
            if outcome != "unchanged":
                uow.publish(events.faq_upserted(_faq(faq_record)))
            report.faqs.count(outcome)
            advance()

        for offer_row in parsed.offers:
            offer_record = offers.get(offer_row.item.code)
            if offer_record is None:
                offer_record = catalog.add_offer(tenant_id, offer_row.item)
                outcome = "created"
            else:
                changed = catalog.change(offer_record, _given(offer_row.item))
                outcome = "updated" if changed else "unchanged"
            if outcome != "unchanged":
                ids = [products[sku].id for sku in offer_record.product_skus]
                uow.publish(events.offer_upserted(_offer(offer_record), ids))
            report.offers.count(outcome)
            advance()

        await uow.commit()
    return report


# -- helpers --------------------------------------------------------------------------------


def _given(row: ProductCreate | FaqCreate | OfferCreate) -> dict[str, Any]:
    """The fields a row states (not its defaults): an import never resets what it left out."""
    return row.model_dump(exclude_unset=True)


def _found(record: RecordT | None, kind: str, ref: uuid.UUID) -> RecordT:
    if record is None:
        raise NotFoundError(kind, ref)
    return record


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

EVENT_HANDLERS: Final[Mapping[type, Callable[..., Any]]] = {}
"""The catalog reacts to no event; it only publishes `CatalogEntityChanged` (see domain.events)."""
