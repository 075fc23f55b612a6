"""A payment provider's callback: the order becomes `paid`, its reservation a sale, and its
invoice is issued, all in one transaction with the `paid` event.

The invoice number is the tenant's next of the year (`YYYY-NNNNNN`), taken under the counter
row's lock in the same transaction: a rollback gives it back, so numbers have no gaps. The
notice's `event_id` is stored with what it caused, so a repeated notice changes nothing.

A payment can arrive after its reservation expired (the customer paid on a page left open):
the order was cancelled and its stock released. If that stock is still there it is taken
again and the payment is honoured like any other; if someone bought it meanwhile the payment
is refused (409) and changes nothing — the shop must refund it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from bancone_catalog.adapters.order_tables import InvoiceRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import (
    InvalidTransitionError,
    NotFoundError,
    PaymentMismatchError,
)
from bancone_catalog.domain.invoices import InvoiceDocument, InvoiceLine
from bancone_catalog.domain.order_events import order_changed
from bancone_catalog.domain.orders import HOLDS_RESERVATION, OrderPublic
from bancone_catalog.domain.payments import PaymentNotice, PaymentProvider
from bancone_catalog.order_views import load_order, selling_settings
from bancone_catalog.product_stock import publish_stock
from bancone_kit.clock import utcnow

PAID_OR_LATER = frozenset({"paid", "shipped", "delivered", "refunded"})


async def receive_payment_callback(
    provider: PaymentProvider, body: bytes, headers: Mapping[str, str], uow: CatalogUnitOfWork
) -> bool:
    """Verify and apply a callback; True when it changed the order (False: a repeat, an
    already paid order, or a status the catalog does not act on). Raises
    `InvalidPaymentCallbackError` (bad signature), `NotFoundError` (unknown order),
    `PaymentMismatchError` (amount or currency)."""
    notice = provider.read_callback(body, headers)
    return await apply_payment(notice, uow, utcnow())


async def apply_payment(notice: PaymentNotice, uow: CatalogUnitOfWork, now: datetime) -> bool:
    try:
        order_id = uuid.UUID(notice.order_id)
    except ValueError as error:
        raise NotFoundError("order", notice.order_id) from error
    tenant_id = notice.tenant_id
    async with uow:
        order = await load_order(uow, tenant_id, order_id)
        claimed = await uow.orders.claim_payment_event(
            tenant_id, notice.provider, notice.event_id, order_id, notice.status
        )
        if not claimed:
            return False
        if notice.status != "paid":
            await uow.commit()  # recorded; refunds and failures are an operator's to act on
            return False
        if (notice.amount, notice.currency) != (order.total.amount, order.total.currency):
            raise PaymentMismatchError(
                f"paid {notice.amount} {notice.currency}, the order is "
                f"{order.total.amount} {order.total.currency}"
            )
        paid = {"status": "paid", "reserved_until": None}
        if not await uow.orders.change_status(tenant_id, order_id, HOLDS_RESERVATION, paid):
            order = await load_order(uow, tenant_id, order_id)
            if order.status in PAID_OR_LATER:
                await uow.commit()  # paid already (another notice): nothing twice
                return False
            if order.status != "cancelled" or not await _take_again(uow, order):
                raise InvalidTransitionError(order.status, "paid", f"the order is {order.status}")
            await uow.orders.change_status(tenant_id, order_id, ["cancelled"], paid)
        await _sell(uow, order)
        document = await _issue_invoice(uow, order, now)
        invoice = {"invoice_number": document.number, "invoice_issued_at": document.issued_at}
        await uow.orders.change_status(tenant_id, order_id, ["paid"], invoice)
        changed = await load_order(uow, tenant_id, order_id)
        uow.publish(order_changed(changed, "paid", previous=order.status, actor="payment", at=now))
        await uow.commit()
    return True


async def _take_again(uow: CatalogUnitOfWork, order: OrderPublic) -> bool:
    """Reserve a cancelled order's lines again (all or nothing, in SKU order like placing);
    False when one is short — the caller's transaction then rolls the others back."""
    order_id = uuid.UUID(order.order_id)
    lines = sorted(order.lines, key=lambda line: line.sku)
    for line in lines:
        if not await uow.stock.take(order.tenant_id, line.sku, line.quantity):
            return False
        uow.stock.move(order.tenant_id, line.sku, "reserved", -line.quantity, order_id)
    await publish_stock(uow, order.tenant_id, [line.sku for line in lines])
    return True


async def _sell(uow: CatalogUnitOfWork, order: OrderPublic) -> None:
    """The reservation becomes a sale: `released` +q and `sold` -q (the stock was already
    taken when the order was placed)."""
    order_id = uuid.UUID(order.order_id)
    for line in order.lines:
        uow.stock.move(order.tenant_id, line.sku, "released", line.quantity, order_id)
        uow.stock.move(order.tenant_id, line.sku, "sold", -line.quantity, order_id)


async def _issue_invoice(
    uow: CatalogUnitOfWork, order: OrderPublic, now: datetime
) -> InvoiceDocument:
    settings = await selling_settings(uow, order.tenant_id)
    sequence = await uow.orders.next_number(order.tenant_id, f"invoice-{now.year}")
    fulfilment = order.fulfilment
    document = InvoiceDocument(
        tenant_id=order.tenant_id,
        number=f"{now.year}-{sequence:06d}",
        issued_at=now,
        order_number=order.number,
        seller=settings.seller(order.tenant_id),
        customer_name=fulfilment.name if fulfilment else order.customer_id,
        customer_address=(fulfilment.address or "") if fulfilment else "",
        currency=order.total.currency,
        language=order.language or "it",
        lines=tuple(
            InvoiceLine(
                description=f"{line.name} - {line.variant}" if line.variant else line.name,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                vat_rate=settings.vat_rate,
            )
            for line in order.lines
        ),
    )
    uow.orders.add_invoice(
        InvoiceRecord(
            tenant_id=order.tenant_id,
            order_id=uuid.UUID(order.order_id),
            number=document.number,
            issued_at=now,
            document=document.model_dump(mode="json"),
        )
    )
    return document


async def invoice_document(
    tenant_id: str, order_id: uuid.UUID, uow: CatalogUnitOfWork
) -> InvoiceDocument:
    """The invoice as issued (frozen with the order's payment); `NotFoundError` if none."""
    async with uow:
        record = await uow.orders.invoice(tenant_id, order_id)
        if record is None:
            raise NotFoundError("invoice", order_id)
        return InvoiceDocument.model_validate(record.document)
