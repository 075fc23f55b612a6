"""Variants, stock levels and the stock ledger, within one tenant.

A reservation is one conditional statement (`UPDATE ... SET stock = stock - q WHERE ... AND
stock >= q`): on PostgreSQL the row lock it takes makes a concurrent one wait and re-check the
condition on the committed row, on SQLite writers are serialized (`BEGIN IMMEDIATE`), so two
customers can never both take the last unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.order_tables import StockMovementRecord
from bancone_catalog.adapters.tables import ProductRecord, VariantRecord
from bancone_catalog.domain.orders import Sellable
from bancone_catalog.domain.stock import MovementKind
from bancone_catalog.domain.variants import VariantIn
from bancone_kit.clock import utcnow


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- variants --------------------------------------------------------------------------

    async def variants_of(
        self, tenant_id: str, product_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[VariantRecord]]:
        found: dict[uuid.UUID, list[VariantRecord]] = {i: [] for i in product_ids}
        if not product_ids:
            return found
        query = (
            select(VariantRecord)
            .where(
                col(VariantRecord.tenant_id) == tenant_id,
                col(VariantRecord.product_id).in_(list(product_ids)),
            )
            .order_by(col(VariantRecord.product_id), col(VariantRecord.position))
        )
        for record in (await self.session.exec(query)).all():
            found.setdefault(record.product_id, []).append(record)
        return found

    async def variants_by_sku(
        self, tenant_id: str, skus: Collection[str]
    ) -> dict[str, VariantRecord]:
        if not skus:
            return {}
        query = select(VariantRecord).where(
            col(VariantRecord.tenant_id) == tenant_id, col(VariantRecord.sku).in_(list(skus))
        )
        return {record.sku: record for record in (await self.session.exec(query)).all()}

    def add_variant(
        self,
        tenant_id: str,
        product: ProductRecord,
        position: int,
        variant: VariantIn,
    ) -> VariantRecord:
        record = VariantRecord(
            tenant_id=tenant_id,
            product_id=product.id,
            position=position,
            **variant_columns(variant, product.price, product.currency),
        )
        self.session.add(record)
        return record

    async def delete_variant(self, record: VariantRecord) -> None:
        await self.session.delete(record)

    # -- selling ---------------------------------------------------------------------------

    async def sellables(self, tenant_id: str, skus: Collection[str]) -> dict[str, Sellable]:
        """What each sku sells now (unknown skus are absent)."""
        wanted = list(set(skus))
        if not wanted:
            return {}
        found: dict[str, Sellable] = {}
        products = select(ProductRecord).where(
            col(ProductRecord.tenant_id) == tenant_id, col(ProductRecord.sku).in_(wanted)
        )
        for p in (await self.session.exec(products)).all():
            found[p.sku] = Sellable(
                p.sku, p.id, p.name, None, p.price, p.currency, p.stock, p.active
            )
        variants = (
            select(VariantRecord, ProductRecord)
            .join(
                ProductRecord,
                sa.and_(
                    col(ProductRecord.tenant_id) == col(VariantRecord.tenant_id),
                    col(ProductRecord.id) == col(VariantRecord.product_id),
                ),
            )
            .where(col(VariantRecord.tenant_id) == tenant_id, col(VariantRecord.sku).in_(wanted))
        )
        for v, p in (await self.session.exec(variants)).all():
            found[v.sku] = Sellable(
                v.sku,
                p.id,
                p.name,
                v.label,
                v.price,
                v.currency,
                v.stock,
                p.active and v.active,
                variant_id=v.id,
            )
        return found

    async def take(self, tenant_id: str, sku: str, quantity: int) -> bool:
        """Take `quantity` off the sku's stock if that much is there; False (nothing changed)
        otherwise."""
        return await self._shift(tenant_id, sku, -quantity)

    async def put_back(self, tenant_id: str, sku: str, quantity: int) -> bool:
        """Return `quantity` to the sku's stock; False if the sku no longer exists."""
        return await self._shift(tenant_id, sku, quantity)

    async def _shift(self, tenant_id: str, sku: str, delta: int) -> bool:
        for table in (VariantRecord, ProductRecord):
            statement = (
                sa.update(table)
                .where(
                    col(table.tenant_id) == tenant_id,
                    col(table.sku) == sku,
                    col(table.stock) + delta >= 0,
                )
                .values(stock=col(table.stock) + delta, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            result: Any = await self.session.exec(statement)
            if result.rowcount == 1:
                return True
        return False

    # -- the ledger ------------------------------------------------------------------------

    def move(
        self,
        tenant_id: str,
        sku: str,
        kind: MovementKind,
        delta: int,
        order_id: uuid.UUID | None = None,
    ) -> None:
        """Record a stock change in the ledger (in the transaction that made it)."""
        if delta == 0 and kind not in ("sold", "released"):
            return
        self.session.add(
            StockMovementRecord(
                tenant_id=tenant_id, sku=sku, kind=kind, delta=delta, order_id=order_id
            )
        )

    async def ledger(self, tenant_id: str) -> dict[str, int]:
        """Each sku's sum of movements."""
        query = (
            select(col(StockMovementRecord.sku), sa.func.sum(col(StockMovementRecord.delta)))
            .where(col(StockMovementRecord.tenant_id) == tenant_id)
            .group_by(col(StockMovementRecord.sku))
        )
        rows = (await self.session.exec(query)).all()
        return {str(sku): int(total) for sku, total in rows}

    async def levels(self, tenant_id: str) -> dict[str, int]:
        """Each sku's stock (products and variants)."""
        levels: dict[str, int] = {}
        for table in (ProductRecord, VariantRecord):
            query = select(col(table.sku), col(table.stock)).where(
                col(table.tenant_id) == tenant_id
            )
            levels.update({str(s): int(q) for s, q in (await self.session.exec(query)).all()})
        return levels


def variant_columns(variant: VariantIn, price: Decimal, currency: str) -> Mapping[str, Any]:
    """A variant's stored fields; its price and currency default to the product's."""
    fields = variant.model_dump()
    fields["price"] = variant.price if variant.price is not None else price
    fields["currency"] = variant.currency or currency
    return fields
