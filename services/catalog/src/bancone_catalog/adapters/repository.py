"""Reads and writes of products, FAQs and offers, always within one tenant.

Every method that queries takes `tenant_id`: there is no way to ask for a row by id alone.
Writes go through the session of the unit of work, which commits them with the outbox rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.tables import FaqRecord, OfferRecord, ProductRecord
from bancone_catalog.domain.faqs import FaqBase
from bancone_catalog.domain.offers import OfferBase
from bancone_catalog.domain.products import ProductBase
from bancone_catalog.domain.search import (
    DESCRIPTION_WEIGHT,
    KEYWORD_WEIGHT,
    NAME_WEIGHT,
    FoldedProductText,
    ProductSearch,
    canonical_colour,
)
from bancone_kit.clock import utcnow

RecordT = TypeVar("RecordT", ProductRecord, FaqRecord, OfferRecord)
IN_CHUNK = 500
"""Keys per `IN (...)` list, well under SQLite's and asyncpg's bound-parameter limits."""


def _chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def product_search_columns(product: ProductBase) -> dict[str, Any]:
    """The derived columns stored beside a product's own fields."""
    folded = FoldedProductText.of(product)
    colour = product.attributes.get("colour")
    return {
        "name_folded": folded.name,
        "keywords_folded": folded.keywords,
        "description_folded": folded.description,
        "colour_folded": canonical_colour(colour) if colour else None,
    }


class CatalogRepository:
    """Tenant-scoped access to the catalog tables inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- products -------------------------------------------------------------------------

    async def get_product(self, tenant_id: str, product_id: uuid.UUID) -> ProductRecord | None:
        return await self.session.get(ProductRecord, (tenant_id, product_id))

    async def get_products(
        self, tenant_id: str, product_ids: Collection[uuid.UUID]
    ) -> list[ProductRecord]:
        return await self._by_column(ProductRecord, tenant_id, col(ProductRecord.id), product_ids)

    async def products_by_sku(
        self, tenant_id: str, skus: Collection[str]
    ) -> dict[str, ProductRecord]:
        found = await self._by_column(ProductRecord, tenant_id, col(ProductRecord.sku), skus)
        return {record.sku: record for record in found}

    async def search_products(self, tenant_id: str, search: ProductSearch) -> list[ProductRecord]:
        """Products matching every filter, by relevance to `search.q`, then price, then name."""
        query = select(ProductRecord).where(col(ProductRecord.tenant_id) == tenant_id)
        if not search.include_inactive:
            query = query.where(col(ProductRecord.active).is_(True))
        if search.category is not None:
            query = query.where(col(ProductRecord.category) == search.category)
        if search.min_price is not None:
            query = query.where(col(ProductRecord.price) >= search.min_price)
        if search.max_price is not None:
            query = query.where(col(ProductRecord.price) <= search.max_price)
        if search.in_stock:
            query = query.where(col(ProductRecord.stock) > 0)
        if search.colour is not None:
            query = query.where(col(ProductRecord.colour_folded) == search.colour)
        order: list[Any] = []
        if search.terms:
            relevance = _relevance(search.terms)
            query = query.where(relevance > 0)
            order.append(relevance.desc())
        order += [col(ProductRecord.price), col(ProductRecord.name), col(ProductRecord.id)]
        result = await self.session.exec(query.order_by(*order).limit(search.limit))
        return list(result.all())

    def add_product(self, tenant_id: str, product: ProductBase) -> ProductRecord:
        record = ProductRecord(
            tenant_id=tenant_id,
            **product.model_dump(exclude={"variants"}),
            **product_search_columns(product),
        )
        self.session.add(record)
        return record

    def change_product(self, record: ProductRecord, changes: Mapping[str, Any]) -> bool:
        """Apply changed fields (and refresh the search columns); False when nothing differs."""
        if not _assign(record, changes):
            return False
        current = ProductBase.model_validate(record, from_attributes=True)
        _assign(record, product_search_columns(current))
        return True

    async def add_stock(
        self, tenant_id: str, product_id: uuid.UUID, delta: int
    ) -> ProductRecord | None:
        """Add `delta` to the stock in one statement (no lost update between two sales).

        Returns the refreshed product, or None when it does not exist or the stock would go
        below zero (then nothing changed).
        """
        statement = (
            sa.update(ProductRecord)
            .where(
                col(ProductRecord.tenant_id) == tenant_id,
                col(ProductRecord.id) == product_id,
                col(ProductRecord.stock) + delta >= 0,
            )
            .values(stock=col(ProductRecord.stock) + delta, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        result = await self.session.exec(statement)
        if result.rowcount != 1:
            return None
        return await self.session.get(
            ProductRecord, (tenant_id, product_id), populate_existing=True
        )

    # -- FAQs ------------------------------------------------------------------------------

    async def get_faq(self, tenant_id: str, faq_id: uuid.UUID) -> FaqRecord | None:
        return await self.session.get(FaqRecord, (tenant_id, faq_id))

    async def faqs_by_key(self, tenant_id: str, keys: Collection[str]) -> dict[str, FaqRecord]:
        found = await self._by_column(FaqRecord, tenant_id, col(FaqRecord.key), keys)
        return {record.key: record for record in found}

    async def list_faqs(
        self, tenant_id: str, *, language: str | None = None, limit: int = 100
    ) -> list[FaqRecord]:
        query = select(FaqRecord).where(col(FaqRecord.tenant_id) == tenant_id)
        if language is not None:
            query = query.where(col(FaqRecord.language) == language)
        result = await self.session.exec(query.order_by(col(FaqRecord.key)).limit(limit))
        return list(result.all())

    def add_faq(self, tenant_id: str, faq: FaqBase) -> FaqRecord:
        record = FaqRecord(tenant_id=tenant_id, **faq.model_dump())
        self.session.add(record)
        return record

    # -- offers ----------------------------------------------------------------------------

    async def get_offer(self, tenant_id: str, offer_id: uuid.UUID) -> OfferRecord | None:
        return await self.session.get(OfferRecord, (tenant_id, offer_id))

    async def offers_by_code(
        self, tenant_id: str, codes: Collection[str]
    ) -> dict[str, OfferRecord]:
        found = await self._by_column(OfferRecord, tenant_id, col(OfferRecord.code), codes)
        return {record.code: record for record in found}

    async def list_offers(self, tenant_id: str, *, limit: int = 100) -> list[OfferRecord]:
        query = select(OfferRecord).where(col(OfferRecord.tenant_id) == tenant_id)
        result = await self.session.exec(query.order_by(col(OfferRecord.code)).limit(limit))
        return list(result.all())

    def add_offer(self, tenant_id: str, offer: OfferBase) -> OfferRecord:
        record = OfferRecord(tenant_id=tenant_id, **offer.model_dump())
        self.session.add(record)
        return record

    # -- any record ------------------------------------------------------------------------

    def change(self, record: FaqRecord | OfferRecord, changes: Mapping[str, Any]) -> bool:
        """Apply changed fields to a FAQ or offer; False when nothing differs."""
        return _assign(record, changes)

    async def delete(self, record: ProductRecord | FaqRecord | OfferRecord) -> None:
        await self.session.delete(record)

    async def flush(self) -> None:
        await self.session.flush()

    async def _by_column(
        self,
        table: type[RecordT],
        tenant_id: str,
        column: Mapped[Any],
        values: Collection[Any],
    ) -> list[RecordT]:
        found: list[RecordT] = []
        for chunk in _chunks(set(values)):
            query = select(table).where(col(table.tenant_id) == tenant_id, column.in_(chunk))
            found.extend((await self.session.exec(query)).all())
        return found


def _assign(record: SQLModel, changes: Mapping[str, Any]) -> bool:
    """Set the fields whose value differs; stamp `updated_at` when any did."""
    changed = False
    for name, value in changes.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    if changed:
        setattr(record, "updated_at", utcnow())  # noqa: B010 - every catalog table has it
    return changed


def _relevance(terms: list[str]) -> sa.ColumnElement[int]:
    """Sum over the query words of the weight of the best field each is found in."""
    name = col(ProductRecord.name_folded)
    keywords = col(ProductRecord.keywords_folded)
    description = col(ProductRecord.description_folded)
    scores = [
        sa.case(
            (name.contains(term, autoescape=True), NAME_WEIGHT),
            (keywords.contains(term, autoescape=True), KEYWORD_WEIGHT),
            (description.contains(term, autoescape=True), DESCRIPTION_WEIGHT),
            else_=0,
        )
        for term in terms
    ]
    total: sa.ColumnElement[int] = scores[0]
    for score in scores[1:]:
        total = total + score
    return total
