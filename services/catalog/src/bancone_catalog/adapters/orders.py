"""Orders, invoices, counters, selling settings and payment notices, within one tenant
(except `due_for_expiry`, the sweeper's one query across tenants)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.order_tables import (
    CounterRecord,
    InvoiceRecord,
    InvoiceSettingsRecord,
    OrderLineRecord,
    OrderRecord,
    PaymentEventRecord,
)
from bancone_catalog.adapters.tables import ProductRecord
from bancone_kit.clock import utcnow
from bancone_kit.db import insert_ignoring_conflict


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- numbers ---------------------------------------------------------------------------

    async def next_number(self, tenant_id: str, counter: str) -> int:
        """The tenant's next value of `counter`, taken under the counter row's lock until this
        transaction ends: a rollback gives it back, so numbers have no gaps."""
        connection = await self.session.connection()
        dialect = connection.dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = CounterRecord.__table__  # type: ignore[attr-defined]
        statement = (
            insert(table)
            .values(tenant_id=tenant_id, name=counter, value=1)
            .on_conflict_do_update(
                index_elements=["tenant_id", "name"], set_={"value": table.c.value + 1}
            )
            .returning(table.c.value)
        )
        return int((await connection.execute(statement)).scalar_one())

    # -- orders ----------------------------------------------------------------------------

    async def get(self, tenant_id: str, order_id: uuid.UUID) -> OrderRecord | None:
        return await self.session.get(OrderRecord, (tenant_id, order_id), populate_existing=True)

    async def by_idempotency_key(self, tenant_id: str, key: str) -> OrderRecord | None:
        query = select(OrderRecord).where(
            col(OrderRecord.tenant_id) == tenant_id, col(OrderRecord.idempotency_key) == key
        )
        return (await self.session.exec(query)).first()

    async def by_number(self, tenant_id: str, number: str) -> OrderRecord | None:
        query = select(OrderRecord).where(
            col(OrderRecord.tenant_id) == tenant_id, col(OrderRecord.number) == number
        )
        return (await self.session.exec(query)).first()

    async def find(
        self,
        tenant_id: str,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 20,
    ) -> list[OrderRecord]:
        """Newest first."""
        query = select(OrderRecord).where(col(OrderRecord.tenant_id) == tenant_id)
        if customer_id is not None:
            query = query.where(col(OrderRecord.customer_id) == customer_id)
        if status is not None:
            query = query.where(col(OrderRecord.status) == status)
        order = (col(OrderRecord.created_at).desc(), col(OrderRecord.number).desc())
        return list((await self.session.exec(query.order_by(*order).limit(limit))).all())

    async def lines(
        self, tenant_id: str, order_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[OrderLineRecord]]:
        found: dict[uuid.UUID, list[OrderLineRecord]] = {i: [] for i in order_ids}
        if not order_ids:
            return found
        query = (
            select(OrderLineRecord)
            .where(
                col(OrderLineRecord.tenant_id) == tenant_id,
                col(OrderLineRecord.order_id).in_(list(order_ids)),
            )
            .order_by(col(OrderLineRecord.position))
        )
        for line in (await self.session.exec(query)).all():
            found[line.order_id].append(line)
        return found

    async def categories(
        self, tenant_id: str, product_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """Each product's category now (order lines carry it in views and events); a product
        deleted since is absent."""
        if not product_ids:
            return {}
        query = select(ProductRecord.id, ProductRecord.category).where(
            col(ProductRecord.tenant_id) == tenant_id,
            col(ProductRecord.id).in_(set(product_ids)),
        )
        return {row[0]: row[1] for row in (await self.session.exec(query)).all()}

    async def add(self, order: OrderRecord, lines: list[OrderLineRecord]) -> None:
        """The order, then its lines (flushed in that order for the lines' foreign key)."""
        self.session.add(order)
        await self.session.flush()
        self.session.add_all(lines)

    async def flush(self) -> None:
        await self.session.flush()

    async def change_status(
        self,
        tenant_id: str,
        order_id: uuid.UUID,
        expected: Collection[str],
        values: Mapping[str, Any],
    ) -> bool:
        """Set `values` only if the order's status is still one of `expected` (one statement:
        of a payment and an expiry racing on one order, exactly one wins)."""
        statement = (
            sa.update(OrderRecord)
            .where(
                col(OrderRecord.tenant_id) == tenant_id,
                col(OrderRecord.id) == order_id,
                col(OrderRecord.status).in_(list(expected)),
            )
            .values(**values, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        result: Any = await self.session.exec(statement)
        return bool(result.rowcount == 1)

    async def due_for_expiry(self, now: datetime, limit: int) -> list[tuple[str, uuid.UUID]]:
        query = (
            select(col(OrderRecord.tenant_id), col(OrderRecord.id))
            .where(col(OrderRecord.status) == "pending", col(OrderRecord.reserved_until) < now)
            .order_by(col(OrderRecord.reserved_until))
            .limit(limit)
        )
        return [(str(t), i) for t, i in (await self.session.exec(query)).all()]

    # -- invoices and settings -------------------------------------------------------------

    def add_invoice(self, invoice: InvoiceRecord) -> None:
        self.session.add(invoice)

    async def invoice(self, tenant_id: str, order_id: uuid.UUID) -> InvoiceRecord | None:
        return await self.session.get(InvoiceRecord, (tenant_id, order_id))

    async def settings(self, tenant_id: str) -> InvoiceSettingsRecord | None:
        return await self.session.get(InvoiceSettingsRecord, tenant_id)

    async def save_settings(self, tenant_id: str, values: Mapping[str, Any]) -> None:
        record = await self.settings(tenant_id)
        if record is None:
            self.session.add(InvoiceSettingsRecord(tenant_id=tenant_id, **values))
            return
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = utcnow()

    # -- payment notices -------------------------------------------------------------------

    async def claim_payment_event(
        self, tenant_id: str, provider: str, event_id: str, order_id: uuid.UUID, status: str
    ) -> bool:
        """True the first time this notice is seen (the row commits with what it caused)."""
        values = {
            "tenant_id": tenant_id,
            "provider": provider,
            "event_id": event_id,
            "order_id": order_id,
            "status": status,
            "received_at": utcnow(),
        }
        return await insert_ignoring_conflict(self.session, PaymentEventRecord, values)
