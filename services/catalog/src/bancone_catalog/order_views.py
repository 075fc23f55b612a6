"""Orders as the API and the events show them, read from their rows (used by the order and
payment handlers)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from bancone_catalog.adapters.order_tables import OrderLineRecord, OrderRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import NotFoundError
from bancone_catalog.domain.invoice_settings import InvoiceSettings
from bancone_catalog.domain.orders import OrderPublic
from bancone_catalog.product_stock import publish_stock
from bancone_contracts.common import Money
from bancone_contracts.events.order import Fulfilment, Invoice, OrderLine


def order_view(
    record: OrderRecord,
    lines: Sequence[OrderLineRecord],
    categories: Mapping[uuid.UUID, str] | None = None,
) -> OrderPublic:
    """`categories`: each line's product category (`OrderRepository.categories`)."""
    currency = record.currency
    categories = categories or {}
    invoice = None
    if record.invoice_number is not None and record.invoice_issued_at is not None:
        invoice = Invoice(number=record.invoice_number, issued_at=record.invoice_issued_at)
    return OrderPublic(
        tenant_id=record.tenant_id,
        order_id=str(record.id),
        number=record.number,
        customer_id=record.customer_id,
        phone_number_id=record.phone_number_id,
        conversation_id=record.conversation_id,
        language=record.language,
        status=record.status,
        lines=tuple(
            OrderLine(
                sku=line.sku,
                name=line.name,
                variant=line.variant,
                quantity=line.quantity,
                unit_price=Money(amount=line.unit_price, currency=currency),
                line_total=Money(amount=line.line_total, currency=currency),
                category=categories.get(line.product_id),
            )
            for line in lines
        ),
        total=Money(amount=record.total, currency=currency),
        fulfilment=Fulfilment.model_validate(record.fulfilment) if record.fulfilment else None,
        payment_url=record.payment_url,
        tracking_code=record.tracking_code,
        invoice=invoice,
        reserved_until=record.reserved_until,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


async def views(
    uow: CatalogUnitOfWork, tenant_id: str, records: Sequence[OrderRecord]
) -> list[OrderPublic]:
    lines = await uow.orders.lines(tenant_id, [record.id for record in records])
    products = {line.product_id for found in lines.values() for line in found}
    categories = await uow.orders.categories(tenant_id, products)
    return [order_view(record, lines[record.id], categories) for record in records]


async def load_order(uow: CatalogUnitOfWork, tenant_id: str, order_id: uuid.UUID) -> OrderPublic:
    """The tenant's order as stored now, or `NotFoundError` (another tenant's counts as none)."""
    record = await uow.orders.get(tenant_id, order_id)
    if record is None:
        raise NotFoundError("order", order_id)
    return (await views(uow, tenant_id, [record]))[0]


async def selling_settings(uow: CatalogUnitOfWork, tenant_id: str) -> InvoiceSettings:
    record = await uow.orders.settings(tenant_id)
    if record is None:
        return InvoiceSettings()
    return InvoiceSettings.model_validate(record, from_attributes=True)


async def release_lines(uow: CatalogUnitOfWork, order: OrderPublic) -> None:
    """Give a cancelled or expired order's reserved stock back (a `released` movement each)."""
    order_id = uuid.UUID(order.order_id)
    for line in order.lines:
        if await uow.stock.put_back(order.tenant_id, line.sku, line.quantity):
            uow.stock.move(order.tenant_id, line.sku, "released", line.quantity, order_id)
    await publish_stock(uow, order.tenant_id, [line.sku for line in order.lines])
