"""Order use cases: quote a cart, place an order (reserving its stock), read orders, change
their status, expire reservations, get a payment link, and the selling settings.

Placing, every status change and its `bancone.order.v1` event commit in one transaction (the
outbox). Status changes are conditional on the status read (`change_status`), so of two
changes racing on one order (a payment and the expiry sweeper) exactly one wins.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from bancone_catalog.adapters.order_tables import OrderLineRecord, OrderRecord
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import (
    InvalidTransitionError,
    NotFoundError,
    OrderRejectedError,
    PaymentProviderUnavailableError,
    PriceChangedError,
    SoldOutError,
)
from bancone_catalog.domain.invoice_settings import InvoiceSettings
from bancone_catalog.domain.order_events import order_changed
from bancone_catalog.domain.orders import (
    HOLDS_RESERVATION,
    OrderLineIn,
    OrderPublic,
    PlaceOrder,
    Quote,
    QuoteRequest,
    Sellable,
    TransitionRequest,
    check_transition,
    quote,
)
from bancone_catalog.domain.payments import PaymentProvider, PaymentProviderError, PaymentRequest
from bancone_catalog.order_views import (
    load_order,
    order_view,
    release_lines,
    selling_settings,
    views,
)
from bancone_catalog.product_stock import publish_stock
from bancone_kit.clock import utcnow

ORDER_COUNTER = "order"
FIRST_ORDER_NUMBER = 1000


def order_number(sequence: int) -> str:
    """`A-1001`, `A-1002`, ... per tenant."""
    return f"A-{FIRST_ORDER_NUMBER + sequence}"


async def quote_cart(tenant_id: str, request: QuoteRequest, uow: CatalogUnitOfWork) -> Quote:
    """Prices and availability of a cart now; reads only."""
    async with uow:
        settings = await selling_settings(uow, tenant_id)
        items = await uow.stock.sellables(tenant_id, [line.sku for line in request.lines])
    return quote(request.lines, items, settings.max_line_quantity)


async def place_order(
    tenant_id: str, command: PlaceOrder, uow: CatalogUnitOfWork
) -> tuple[OrderPublic, bool]:
    """`(order, created)`: a new pending order with its stock reserved (all lines or none), or
    the order already placed with this idempotency key (`created` False)."""
    async with uow:
        existing = await uow.orders.by_idempotency_key(tenant_id, command.idempotency_key)
        if existing is not None:
            return (await views(uow, tenant_id, [existing]))[0], False
        settings = await selling_settings(uow, tenant_id)
        items = await uow.stock.sellables(tenant_id, [line.sku for line in command.lines])
        _refuse_unsellable(command.lines, items, settings.max_line_quantity)
        _refuse_changed_prices(command.lines, items)

        order_id = uuid.uuid4()
        for line in sorted(command.lines, key=lambda line: line.sku):  # one lock order: no deadlock
            if not await uow.stock.take(tenant_id, line.sku, line.quantity):
                await uow.rollback()
                # A concurrent retry of this very placement may have taken the last units.
                key = command.idempotency_key
                placed = await uow.orders.by_idempotency_key(tenant_id, key)
                if placed is not None:
                    return (await views(uow, tenant_id, [placed]))[0], False
                raise await _sold_out(uow, tenant_id, command.lines)
            uow.stock.move(tenant_id, line.sku, "reserved", -line.quantity, order_id)
        await publish_stock(uow, tenant_id, [line.sku for line in command.lines])

        now = utcnow()
        number = order_number(await uow.orders.next_number(tenant_id, ORDER_COUNTER))
        record, lines = _new_order(tenant_id, order_id, number, command, items, now, settings)
        try:
            await uow.orders.add(record, lines)
            categories = await uow.orders.categories(tenant_id, [i.product_id for i in lines])
            order = order_view(record, lines, categories)
            uow.publish(order_changed(order, "placed", previous=None, actor="customer", at=now))
            await uow.commit()
        except IntegrityError:
            # The same idempotency key placed concurrently: that order is the answer.
            await uow.rollback()
            existing = await uow.orders.by_idempotency_key(tenant_id, command.idempotency_key)
            if existing is None:
                raise
            return (await views(uow, tenant_id, [existing]))[0], False
    return order, True


def _refuse_unsellable(
    lines: list[OrderLineIn], items: dict[str, Sellable], max_quantity: int
) -> None:
    problems: list[dict[str, object]] = []
    for line in lines:
        item = items.get(line.sku)
        if item is None:
            problems.append({"sku": line.sku, "problem": "unknown_sku"})
        elif not item.active:
            problems.append({"sku": line.sku, "problem": "inactive"})
        elif line.quantity > max_quantity:
            problems.append(
                {"sku": line.sku, "problem": "quantity_over_limit", "limit": max_quantity}
            )
    currencies = {items[line.sku].currency for line in lines if line.sku in items}
    if not problems and len(currencies) > 1:
        problems = [{"sku": line.sku, "problem": "mixed_currency"} for line in lines]
    if problems:
        raise OrderRejectedError(problems)


def _refuse_changed_prices(lines: list[OrderLineIn], items: dict[str, Sellable]) -> None:
    changed: list[dict[str, object]] = [
        {
            "sku": line.sku,
            "expected": f"{line.expected_unit_price:.2f}",
            "unit_price": f"{items[line.sku].unit_price:.2f}",
            "currency": items[line.sku].currency,
        }
        for line in lines
        if line.expected_unit_price is not None
        and line.expected_unit_price != items[line.sku].unit_price
    ]
    if changed:
        raise PriceChangedError(changed)


async def _sold_out(
    uow: CatalogUnitOfWork, tenant_id: str, lines: list[OrderLineIn]
) -> SoldOutError:
    """What is left of each line that can't be had (read after the rollback)."""
    items = await uow.stock.sellables(tenant_id, [line.sku for line in lines])
    short: list[dict[str, object]] = []
    for line in lines:
        available = max(items[line.sku].stock, 0) if line.sku in items else 0
        if available < line.quantity:
            short.append({"sku": line.sku, "requested": line.quantity, "available": available})
    return SoldOutError(short or [{"sku": line.sku, "requested": line.quantity} for line in lines])


def _new_order(
    tenant_id: str,
    order_id: uuid.UUID,
    number: str,
    command: PlaceOrder,
    items: dict[str, Sellable],
    now: datetime,
    settings: InvoiceSettings,
) -> tuple[OrderRecord, list[OrderLineRecord]]:
    lines = [
        OrderLineRecord(
            tenant_id=tenant_id,
            order_id=order_id,
            position=position,
            sku=line.sku,
            product_id=items[line.sku].product_id,
            name=items[line.sku].name,
            variant=items[line.sku].variant,
            quantity=line.quantity,
            unit_price=items[line.sku].unit_price,
            line_total=items[line.sku].unit_price * line.quantity,
        )
        for position, line in enumerate(command.lines)
    ]
    fulfilment = command.contract_fulfilment()
    record = OrderRecord(
        tenant_id=tenant_id,
        id=order_id,
        number=number,
        idempotency_key=command.idempotency_key,
        customer_id=command.customer_id,
        phone_number_id=command.phone_number_id,
        conversation_id=command.conversation_id,
        language=command.language,
        status="pending",
        total=sum((line.line_total for line in lines), Decimal("0.00")),
        currency=items[command.lines[0].sku].currency,
        fulfilment=fulfilment.model_dump(mode="json") if fulfilment else None,
        reserved_until=now + timedelta(minutes=settings.reservation_minutes),
        created_at=now,
        updated_at=now,
    )
    return record, lines


# -- reading --------------------------------------------------------------------------------


async def get_order(tenant_id: str, order_id: uuid.UUID, uow: CatalogUnitOfWork) -> OrderPublic:
    async with uow:
        return await load_order(uow, tenant_id, order_id)


async def list_orders(
    tenant_id: str,
    uow: CatalogUnitOfWork,
    *,
    customer_id: str | None = None,
    status: str | None = None,
    limit: int = 20,
) -> list[OrderPublic]:
    async with uow:
        records = await uow.orders.find(
            tenant_id, customer_id=customer_id, status=status, limit=limit
        )
        return await views(uow, tenant_id, records)


async def get_order_by_number(
    tenant_id: str, number: str, customer_id: str, uow: CatalogUnitOfWork
) -> OrderPublic:
    """The customer's own order by its number; another customer's is "not found" too."""
    wanted = number.strip().lstrip("#").upper()
    if wanted.isdigit():
        wanted = f"A-{wanted}"
    async with uow:
        record = await uow.orders.by_number(tenant_id, wanted)
        if record is None or record.customer_id != customer_id:
            raise NotFoundError("order", number)
        return (await views(uow, tenant_id, [record]))[0]


# -- changing -------------------------------------------------------------------------------


async def transition_order(
    tenant_id: str,
    order_id: uuid.UUID,
    request: TransitionRequest,
    uow: CatalogUnitOfWork,
    operator_id: str | None = None,
) -> OrderPublic:
    """An operator's status change (see `domain.orders.check_transition`); cancelling an
    unpaid order gives its stock back."""
    async with uow:
        order = await load_order(uow, tenant_id, order_id)
        transition = check_transition(order, request.to, request.tracking_code)
        values: dict[str, object] = {"status": request.to}
        if request.to == "shipped" and request.tracking_code:
            values["tracking_code"] = request.tracking_code.strip()
        if request.to in ("confirmed", "cancelled"):
            values["reserved_until"] = None  # confirmed: held until paid or cancelled
        if not await uow.orders.change_status(tenant_id, order_id, [order.status], values):
            raise InvalidTransitionError(order.status, request.to, "the order changed meanwhile")
        if request.to == "cancelled" and order.status in HOLDS_RESERVATION:
            await release_lines(uow, order)
        changed = await load_order(uow, tenant_id, order_id)
        uow.publish(
            order_changed(
                changed,
                transition,
                previous=order.status,
                actor="operator",
                at=changed.updated_at,
                operator_id=operator_id,
            )
        )
        await uow.commit()
    return changed


async def expire_reservations(uow: CatalogUnitOfWork, now: datetime, limit: int = 100) -> int:
    """Cancel (transition `expired`) pending orders whose reservation ran out, giving their
    stock back; each order in its own transaction. Returns how many expired."""
    async with uow:
        due = await uow.orders.due_for_expiry(now, limit)
    expired = 0
    for tenant_id, order_id in due:
        async with uow:
            order = await load_order(uow, tenant_id, order_id)
            values = {"status": "cancelled", "reserved_until": None}
            if not await uow.orders.change_status(tenant_id, order_id, ["pending"], values):
                continue  # paid or cancelled meanwhile
            await release_lines(uow, order)
            changed = await load_order(uow, tenant_id, order_id)
            uow.publish(
                order_changed(changed, "expired", previous="pending", actor="system", at=now)
            )
            await uow.commit()
            expired += 1
    return expired


async def attach_payment_link(
    tenant_id: str,
    order_id: uuid.UUID,
    uow: CatalogUnitOfWork,
    payments: PaymentProvider | None,
    public_url: str,
) -> OrderPublic:
    """Ask the provider for the order's payment page (idempotent per order at the provider)
    and store its url; an order that has one, is not payable, or no provider: as it is."""
    async with uow:
        order = await load_order(uow, tenant_id, order_id)
    if payments is None or order.payment_url or order.status not in HOLDS_RESERVATION:
        return order
    callback = f"{public_url.rstrip('/')}/v1/payments/{payments.name}/callback"
    request = PaymentRequest(
        tenant_id=tenant_id,
        order_id=order.order_id,
        order_number=order.number,
        amount=order.total.amount,
        currency=order.total.currency,
        description=f"Order {order.number}",
        callback_url=callback,
    )
    try:
        link = await payments.create_link(request)
    except PaymentProviderError as error:
        raise PaymentProviderUnavailableError(str(error)) from error
    async with uow:
        values = {"payment_url": link.url}
        await uow.orders.change_status(tenant_id, order_id, HOLDS_RESERVATION, values)
        await uow.commit()
    return order.model_copy(update={"payment_url": link.url})


# -- settings -------------------------------------------------------------------------------


async def get_invoice_settings(tenant_id: str, uow: CatalogUnitOfWork) -> InvoiceSettings:
    async with uow:
        return await selling_settings(uow, tenant_id)


async def put_invoice_settings(
    tenant_id: str, settings: InvoiceSettings, uow: CatalogUnitOfWork
) -> InvoiceSettings:
    async with uow:
        await uow.orders.save_settings(tenant_id, settings.model_dump())
        await uow.commit()
    return settings
