"""The bulk import use case: a whole catalogue file upserted by natural keys in one
transaction (products with their variants and stock movements, FAQs, offers), each change
with its `bancone.catalog.v1` event."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from bancone_catalog.adapters.tables import FaqRecord, OfferRecord, ProductRecord, VariantRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain import events
from bancone_catalog.domain.errors import InvalidImportError
from bancone_catalog.domain.faqs import FaqCreate, FaqPublic
from bancone_catalog.domain.imports import ImportReport, ParsedCatalog
from bancone_catalog.domain.imports.report import Outcome
from bancone_catalog.domain.offers import OfferCreate, OfferPublic
from bancone_catalog.domain.products import ProductCreate, ProductPublic
from bancone_catalog.domain.variants import VariantPublic
from bancone_catalog.product_stock import one_with_variants, record_stock, sync_variants

RecordT = TypeVar("RecordT", ProductRecord, FaqRecord, OfferRecord)
ProgressCallback = Callable[[int, int], None]
"""Called as `(rows_done, rows_total)` while an import writes."""


def _faq(record: FaqRecord) -> FaqPublic:
    return FaqPublic.model_validate(record, from_attributes=True)


def _offer(record: OfferRecord) -> OfferPublic:
    return OfferPublic.model_validate(record, from_attributes=True)


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
        held = await uow.stock.variants_by_sku(tenant_id, file_skus)
        issues += [
            row.ref.issue(f"sku {row.item.sku!r} is a variant of another product", "sku")
            for row in parsed.products
            if row.item.sku in held
        ]
        if issues:
            raise InvalidImportError(issues)
        stored_variants = await uow.stock.variants_of(tenant_id, [p.id for p in products.values()])

        for product_row in parsed.products:
            item = product_row.item
            before = products[item.sku].stock if item.sku in products else 0
            product_record, outcome = _upsert(
                products,
                item.sku,
                item,
                partial(catalog.add_product, tenant_id, item),
                catalog.change_product,
            )
            record_stock(uow, tenant_id, item.sku, before, product_record.stock)
            if "variants" in item.model_fields_set:
                await catalog.flush()
                if await sync_variants(uow, tenant_id, product_record, item.variants):
                    outcome = "updated" if outcome == "unchanged" else outcome
                    stored_variants.pop(product_record.id, None)
            if outcome != "unchanged":
                if product_record.id in stored_variants or not item.variants:
                    product = _as_imported(product_record, stored_variants)
                else:
                    product = await one_with_variants(uow, tenant_id, product_record)
                uow.publish(events.product_upserted(product))
            report.products.count(outcome)
            advance()

        for faq_row in parsed.faqs:
            add_faq = partial(catalog.add_faq, tenant_id, faq_row.item)
            faq_record, outcome = _upsert(
                faqs, faq_row.item.key, faq_row.item, add_faq, catalog.change
            )
            if outcome != "unchanged":
                uow.publish(events.faq_upserted(_faq(faq_record)))
            report.faqs.count(outcome)
            advance()

        for offer_row in parsed.offers:
            add_offer = partial(catalog.add_offer, tenant_id, offer_row.item)
            offer_record, outcome = _upsert(
                offers, offer_row.item.code, offer_row.item, add_offer, catalog.change
            )
            if outcome != "unchanged":
                # An offer row without product_skus keeps its stored ones, which the file
                # may not name: look those up too.
                kept = [s for s in offer_record.product_skus if s not in products]
                if kept:
                    products.update(await catalog.products_by_sku(tenant_id, kept))
                ids = [products[s].id for s in offer_record.product_skus if s in products]
                uow.publish(events.offer_upserted(_offer(offer_record), ids))
            report.offers.count(outcome)
            advance()

        await uow.commit()
    return report


def _given(row: ProductCreate | FaqCreate | OfferCreate) -> dict[str, Any]:
    """The fields a row states (not its defaults): an import never resets what it left out.
    A product's variants are not among them (`sync_variants` applies those)."""
    return row.model_dump(exclude_unset=True, exclude={"variants"})


def _as_imported(
    record: ProductRecord, variants: Mapping[uuid.UUID, list[VariantRecord]]
) -> ProductPublic:
    """A product whose variants the import did not change, with the ones loaded up front."""
    product = ProductPublic.model_validate(record, from_attributes=True)
    stored = [VariantPublic.model_validate(v) for v in variants.get(record.id, [])]
    return product.model_copy(update={"variants": stored})


def _upsert(
    stored: dict[str, RecordT],
    key: str,
    row: ProductCreate | FaqCreate | OfferCreate,
    add: Callable[[], RecordT],
    change: Callable[[RecordT, dict[str, Any]], bool],
) -> tuple[RecordT, Outcome]:
    """One import row by its natural key: added, changed by the fields it states, or neither."""
    record = stored.get(key)
    if record is None:
        stored[key] = record = add()
        return record, "created"
    return record, "updated" if change(record, _given(row)) else "unchanged"
