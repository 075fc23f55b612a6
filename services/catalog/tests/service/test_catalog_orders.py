"""Orders through the handlers on both engines: quotes, placing (reservation, idempotency,
all-or-nothing), lifecycle, expiry, payment (sale, invoice, dedupe), tenant isolation and the
stock ledger reconciling with every stock level."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bancone_catalog import handlers, order_handlers, payment_handlers
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.bootstrap import sweep_reservations
from bancone_catalog.domain.errors import (
    InvalidTransitionError,
    NotFoundError,
    OrderRejectedError,
    PaymentMismatchError,
    PriceChangedError,
    SoldOutError,
)
from bancone_catalog.domain.imports import parse_json
from bancone_catalog.domain.orders import PlaceOrder, QuoteRequest, TransitionRequest
from bancone_catalog.domain.payments import PaymentNotice
from bancone_catalog.domain.products import ProductCreate, ProductUpdate
from bancone_contracts.events import parse_event
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_contracts.events.order import OrderChanged
from bancone_kit.clock import utcnow
from bancone_kit.db import session_factory
from bancone_kit.messaging.tables import OutboxRecord

pytestmark = pytest.mark.service

WINE: dict[str, Any] = {
    "sku": "BAR",
    "name": "Barolo",
    "category": "vino-rosso",
    "price": "39.90",
    "stock": 0,
    "variants": [
        {"sku": "BAR-75", "label": "75 cl", "stock": 5},
        {"sku": "BAR-150", "label": "Magnum 150 cl", "price": "89.00", "stock": 1},
    ],
}
OIL: dict[str, Any] = {
    "sku": "OIL",
    "name": "Olio",
    "category": "olio",
    "price": "12.50",
    "stock": 3,
}


async def seed(uow: CatalogUnitOfWork, tenant: str = "shop-a") -> None:
    for body in (WINE, OIL):
        await handlers.create_product(tenant, ProductCreate.model_validate(body), uow)


def order(key: str, *lines: tuple[str, int], customer: str = "393331", **extra: Any) -> PlaceOrder:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "customer_id": customer,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "fulfilment": {"method": "delivery", "name": "Giulia", "address": "Via Roma 1"},
        **extra,
    }
    return PlaceOrder.model_validate(body)


def paid(order_id: str, amount: str, event: str = "evt_1", tenant: str = "shop-a") -> PaymentNotice:
    return PaymentNotice(
        provider="test",
        event_id=event,
        link_id="pl_1",
        tenant_id=tenant,
        order_id=order_id,
        status="paid",
        amount=Decimal(amount),
        currency="EUR",
    )


async def order_events(engine: AsyncEngine) -> list[OrderChanged]:
    async with session_factory(engine)() as session:
        records = (await session.exec(select(OutboxRecord).order_by(col(OutboxRecord.seq)))).all()
    decoded = [parse_event(record.topic, record.payload) for record in records]
    return [event for event in decoded if isinstance(event, OrderChanged)]


async def catalog_events(engine: AsyncEngine) -> list[CatalogEntityChanged]:
    async with session_factory(engine)() as session:
        records = (await session.exec(select(OutboxRecord).order_by(col(OutboxRecord.seq)))).all()
    decoded = [parse_event(record.topic, record.payload) for record in records]
    return [event for event in decoded if isinstance(event, CatalogEntityChanged)]


async def stock_of(uow: CatalogUnitOfWork, tenant: str = "shop-a") -> dict[str, int]:
    async with uow:
        return await uow.stock.levels(tenant)


async def assert_ledger_reconciles(uow: CatalogUnitOfWork, tenant: str = "shop-a") -> None:
    async with uow:
        levels = await uow.stock.levels(tenant)
        ledger = await uow.stock.ledger(tenant)
    assert {sku: ledger.get(sku, 0) for sku in levels} == levels


async def test_a_quote_prices_variants_and_names_every_problem(uow: CatalogUnitOfWork) -> None:
    await seed(uow)
    await handlers.update_product(
        "shop-a", (await _product_id(uow, "OIL")), ProductUpdate(active=False), uow
    )
    request = QuoteRequest.model_validate(
        {
            "lines": [
                {"sku": "BAR-75", "quantity": 2},
                {"sku": "BAR-150", "quantity": 2},
                {"sku": "NOPE", "quantity": 1},
                {"sku": "OIL", "quantity": 1},
                {"sku": "BAR", "quantity": 1},
                {"sku": "BAR-75", "quantity": 30},
            ]
        }
    )

    quote = await order_handlers.quote_cart("shop-a", request, uow)

    problems = {line.sku: line.problem for line in quote.lines}
    assert problems == {
        "BAR-75": "quantity_over_limit",  # 2 + 30 asked for, limit 20 per line
        "BAR-150": "insufficient_stock",
        "NOPE": "unknown_sku",
        "OIL": "inactive",
        "BAR": "out_of_stock",
    }
    magnum = next(line for line in quote.lines if line.sku == "BAR-150")
    assert (magnum.name, magnum.variant, magnum.unit_price, magnum.available) == (
        "Barolo",
        "Magnum 150 cl",
        Decimal("89.00"),
        1,
    )
    assert quote.ok is False
    good = await order_handlers.quote_cart(
        "shop-a", QuoteRequest.model_validate({"lines": [{"sku": "BAR-75", "quantity": 2}]}), uow
    )
    assert (good.ok, good.total, good.currency) == (True, Decimal("79.80"), "EUR")


async def test_placing_reserves_stock_once_per_key_and_publishes_placed(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)

    first, created = await order_handlers.place_order(
        "shop-a", order("wamid.1", ("BAR-75", 2), ("OIL", 1)), uow
    )
    again, created_again = await order_handlers.place_order(
        "shop-a", order("wamid.1", ("BAR-75", 2), ("OIL", 1)), uow
    )

    assert (created, created_again) == (True, False)
    assert again.order_id == first.order_id
    assert (first.status, first.number, first.total.amount) == (
        "pending",
        "A-1001",
        Decimal("92.30"),
    )
    assert first.lines[0].variant == "75 cl"
    assert first.reserved_until is not None
    assert first.reserved_until > utcnow()
    assert (await stock_of(uow))["BAR-75"] == 3
    assert (await stock_of(uow))["OIL"] == 2
    events = await order_events(engine)
    assert [(e.data.transition, e.data.order.order_id) for e in events] == [
        ("placed", first.order_id)
    ]
    assert events[0].subject == "shop-a:393331"
    # each line carries its product's category (the notifier's "bought" interests)
    assert [line.category for line in events[0].data.order.lines] == ["vino-rosso", "olio"]
    stock_events = (await catalog_events(engine))[-2:]  # after the two products' creation
    assert {(e.data.op, e.data.entity_kind) for e in stock_events} == {
        ("upserted", "product"),  # Barolo: its variants' stock travels in the snapshot
        ("stock_changed", "product"),  # Olio: sold by its own sku
    }
    levels = {e.data.op: e.data.model_dump(mode="json") for e in stock_events}
    assert levels["stock_changed"]["stock"]["quantity"] == 2
    assert levels["upserted"]["snapshot"]["variants"][0]["stock_quantity"] == 3
    second, _ = await order_handlers.place_order("shop-a", order("wamid.2", ("OIL", 1)), uow)
    assert second.number == "A-1002"
    await assert_ledger_reconciles(uow)


async def test_nothing_is_reserved_when_one_line_is_short_or_priced_differently(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    before = await stock_of(uow)

    with pytest.raises(SoldOutError) as sold_out:
        await order_handlers.place_order(
            "shop-a", order("k1", ("BAR-75", 2), ("BAR-150", 2), ("OIL", 1)), uow
        )
    with pytest.raises(PriceChangedError) as price_changed:
        await order_handlers.place_order(
            "shop-a",
            PlaceOrder.model_validate(
                {
                    "idempotency_key": "k2",
                    "customer_id": "393331",
                    "lines": [{"sku": "BAR-75", "quantity": 1, "expected_unit_price": "35.00"}],
                }
            ),
            uow,
        )
    with pytest.raises(OrderRejectedError) as rejected:
        await order_handlers.place_order("shop-a", order("k3", ("NOPE", 1), ("OIL", 21)), uow)

    swiss = {**OIL, "sku": "CHF-OIL", "currency": "CHF"}
    await handlers.create_product("shop-a", ProductCreate.model_validate(swiss), uow)
    with pytest.raises(OrderRejectedError, match="order rejected"):
        await order_handlers.place_order("shop-a", order("k4", ("OIL", 1), ("CHF-OIL", 1)), uow)
    before["CHF-OIL"] = 3

    assert sold_out.value.lines == [{"sku": "BAR-150", "requested": 2, "available": 1}]
    assert price_changed.value.lines == [
        {"sku": "BAR-75", "expected": "35.00", "unit_price": "39.90", "currency": "EUR"}
    ]
    assert [line["problem"] for line in rejected.value.lines] == [
        "unknown_sku",
        "quantity_over_limit",
    ]
    assert await stock_of(uow) == before
    assert await order_events(engine) == []
    await assert_ledger_reconciles(uow)


async def test_expired_reservations_are_released_once(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("BAR-150", 1)), uow)
    assert (await stock_of(uow))["BAR-150"] == 0

    not_yet = await order_handlers.expire_reservations(uow, utcnow())
    later = utcnow() + timedelta(minutes=31)
    expired = await order_handlers.expire_reservations(uow, later)
    again = await order_handlers.expire_reservations(uow, later)

    assert (not_yet, expired, again) == (0, 1, 0)
    assert (await stock_of(uow))["BAR-150"] == 1
    current = await order_handlers.get_order("shop-a", uuid.UUID(placed.order_id), uow)
    assert (current.status, current.reserved_until) == ("cancelled", None)
    events = await order_events(engine)
    assert [(e.data.transition, e.data.previous_status) for e in events] == [
        ("placed", None),
        ("expired", "pending"),
    ]
    await assert_ledger_reconciles(uow)


async def test_a_payment_after_the_expiry_takes_the_stock_again_while_it_is_there(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    late, _ = await order_handlers.place_order("shop-a", order("k1", ("BAR-150", 1)), uow)
    await order_handlers.expire_reservations(uow, utcnow() + timedelta(minutes=31))
    assert (await stock_of(uow))["BAR-150"] == 1

    assert await payment_handlers.apply_payment(paid(late.order_id, "89.00"), uow, utcnow())

    current = await order_handlers.get_order("shop-a", uuid.UUID(late.order_id), uow)
    assert current.status == "paid"
    assert current.invoice is not None
    assert (await stock_of(uow))["BAR-150"] == 0
    transitions = [(e.data.transition, e.data.previous_status) for e in await order_events(engine)]
    assert transitions[-1] == ("paid", "cancelled")
    await assert_ledger_reconciles(uow)


async def test_a_payment_after_the_expiry_is_refused_when_the_stock_was_sold_meanwhile(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    late, _ = await order_handlers.place_order("shop-a", order("k1", ("BAR-150", 1)), uow)
    await order_handlers.expire_reservations(uow, utcnow() + timedelta(minutes=31))
    await order_handlers.place_order("shop-a", order("k2", ("BAR-150", 1), customer="3902"), uow)
    before = await order_events(engine)

    with pytest.raises(InvalidTransitionError):
        await payment_handlers.apply_payment(paid(late.order_id, "89.00"), uow, utcnow())

    current = await order_handlers.get_order("shop-a", uuid.UUID(late.order_id), uow)
    assert (current.status, current.invoice) == ("cancelled", None)
    assert (await stock_of(uow))["BAR-150"] == 0
    assert await order_events(engine) == before
    await assert_ledger_reconciles(uow)


async def test_lifecycle_allows_only_its_transitions(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("OIL", 2)), uow)
    oid = uuid.UUID(placed.order_id)

    async def move(to: str, tracking: str | None = None) -> str:
        request = TransitionRequest.model_validate({"to": to, "tracking_code": tracking})
        changed = await order_handlers.transition_order("shop-a", oid, request, uow, "op-1")
        return changed.status

    for bad in ("shipped", "delivered", "refunded"):
        with pytest.raises(InvalidTransitionError):
            await move(bad)
    assert await move("confirmed") == "confirmed"
    with pytest.raises(InvalidTransitionError):
        await move("confirmed")
    assert await payment_handlers.apply_payment(paid(placed.order_id, "25.00"), uow, utcnow())
    with pytest.raises(InvalidTransitionError, match="tracking code"):
        await move("shipped")
    with pytest.raises(InvalidTransitionError):
        await move("cancelled")
    assert await move("shipped", "TRK123") == "shipped"
    assert await move("delivered") == "delivered"
    assert await move("refunded") == "refunded"
    with pytest.raises(InvalidTransitionError):
        await move("delivered")

    events = await order_events(engine)
    assert [e.data.transition for e in events] == [
        "placed",
        "confirmed",
        "paid",
        "shipped",
        "delivered",
        "refunded",
    ]
    assert events[3].data.order.tracking_code == "TRK123"
    assert events[1].data.operator_id == "op-1"


async def test_cancelling_an_unpaid_order_gives_its_stock_back(uow: CatalogUnitOfWork) -> None:
    await seed(uow)
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("BAR-75", 4)), uow)
    request = TransitionRequest(to="cancelled")

    await order_handlers.transition_order("shop-a", uuid.UUID(placed.order_id), request, uow)

    assert (await stock_of(uow))["BAR-75"] == 5
    await assert_ledger_reconciles(uow)


async def test_payment_sells_the_reservation_and_issues_the_invoice_once(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("BAR-75", 2)), uow)
    oid = uuid.UUID(placed.order_id)
    with pytest.raises(NotFoundError):
        await payment_handlers.invoice_document("shop-a", oid, uow)

    with pytest.raises(PaymentMismatchError):
        await payment_handlers.apply_payment(paid(placed.order_id, "79.00"), uow, utcnow())
    assert (await order_handlers.get_order("shop-a", oid, uow)).status == "pending"
    applied = await payment_handlers.apply_payment(paid(placed.order_id, "79.80"), uow, utcnow())
    repeated = await payment_handlers.apply_payment(paid(placed.order_id, "79.80"), uow, utcnow())
    other_event = await payment_handlers.apply_payment(
        paid(placed.order_id, "79.80", event="evt_2"), uow, utcnow()
    )
    with pytest.raises(NotFoundError):
        await payment_handlers.apply_payment(paid(str(uuid.uuid4()), "79.80"), uow, utcnow())

    assert (applied, repeated, other_event) == (True, False, False)
    current = await order_handlers.get_order("shop-a", oid, uow)
    assert current.status == "paid"
    assert current.invoice is not None
    year = utcnow().year
    assert current.invoice.number == f"{year}-000001"
    document = await payment_handlers.invoice_document("shop-a", oid, uow)
    assert (document.total, document.seller.legal_name, document.customer_name) == (
        Decimal("79.80"),
        "shop-a",
        "Giulia",
    )
    assert document.lines[0].description == "Barolo - 75 cl"
    assert (await stock_of(uow))["BAR-75"] == 3  # reserved once, sold, never taken twice
    async with uow:
        ledger = await uow.stock.ledger("shop-a")
    assert ledger["BAR-75"] == 3
    paid_events = [e for e in await order_events(engine) if e.data.transition == "paid"]
    assert len(paid_events) == 1
    assert paid_events[0].data.order.invoice == current.invoice
    assert [line.category for line in paid_events[0].data.order.lines] == ["vino-rosso"]
    await assert_ledger_reconciles(uow)


async def test_another_tenant_can_neither_read_nor_change_nor_pay_an_order(
    uow: CatalogUnitOfWork,
) -> None:
    await seed(uow)
    await seed(uow, "shop-b")
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("OIL", 1)), uow)
    oid = uuid.UUID(placed.order_id)
    await payment_handlers.apply_payment(paid(placed.order_id, "12.50"), uow, utcnow())

    with pytest.raises(NotFoundError):
        await order_handlers.get_order("shop-b", oid, uow)
    with pytest.raises(NotFoundError):
        await order_handlers.transition_order("shop-b", oid, TransitionRequest(to="delivered"), uow)
    with pytest.raises(NotFoundError):
        await payment_handlers.invoice_document("shop-b", oid, uow)
    with pytest.raises(NotFoundError):
        await payment_handlers.apply_payment(
            paid(placed.order_id, "12.50", "evt_b", tenant="shop-b"), uow, utcnow()
        )
    assert await order_handlers.list_orders("shop-b", uow) == []
    # The same key in another tenant is another order.
    theirs, created = await order_handlers.place_order("shop-b", order("k1", ("OIL", 1)), uow)
    assert created
    assert theirs.order_id != placed.order_id
    assert theirs.number == "A-1001"


async def test_customers_find_only_their_own_orders(uow: CatalogUnitOfWork) -> None:
    await seed(uow)
    mine, _ = await order_handlers.place_order("shop-a", order("k1", ("OIL", 1)), uow)
    latest, _ = await order_handlers.place_order("shop-a", order("k2", ("OIL", 1)), uow)
    theirs, _ = await order_handlers.place_order(
        "shop-a", order("k3", ("OIL", 1), customer="393999"), uow
    )

    found = await order_handlers.get_order_by_number("shop-a", "#1001", "393331", uow)
    newest = await order_handlers.list_orders("shop-a", uow, customer_id="393331", limit=1)

    assert found.order_id == mine.order_id
    assert [o.order_id for o in newest] == [latest.order_id]
    with pytest.raises(NotFoundError):
        await order_handlers.get_order_by_number("shop-a", theirs.number, "393331", uow)


async def test_the_ledger_reconciles_after_a_mixed_workload(uow: CatalogUnitOfWork) -> None:
    await seed(uow)
    oil = await _product_id(uow, "OIL")
    wine = await _product_id(uow, "BAR")
    await handlers.adjust_stock("shop-a", oil, 7, uow)
    await handlers.adjust_stock("shop-a", oil, -2, uow)
    await handlers.update_product("shop-a", oil, ProductUpdate(stock=6), uow)
    variants = [
        {"sku": "BAR-75", "label": "75 cl", "stock": 9},
        {"sku": "BAR-37", "label": "37.5 cl", "price": "21.00", "stock": 4},
    ]
    await handlers.update_product(
        "shop-a", wine, ProductUpdate.model_validate({"variants": variants}), uow
    )  # BAR-150 removed (its stock written off), BAR-37 added, BAR-75 changed
    imported = {
        "products": [
            {**OIL, "stock": 10},
            {"sku": "VIN", "name": "Vinsanto", "category": "dolce", "price": "18", "stock": 2},
            {**WINE, "variants": [{"sku": "BAR-75", "label": "75 cl", "stock": 3}]},
        ]
    }
    await handlers.import_catalog("shop-a", parse_json(json.dumps(imported)), uow)
    a, _ = await order_handlers.place_order("shop-a", order("k1", ("OIL", 3), ("BAR-75", 1)), uow)
    b, _ = await order_handlers.place_order("shop-a", order("k2", ("VIN", 2)), uow)
    c, _ = await order_handlers.place_order("shop-a", order("k3", ("OIL", 1)), uow)
    await payment_handlers.apply_payment(paid(a.order_id, "77.40"), uow, utcnow())
    await order_handlers.transition_order(
        "shop-a", uuid.UUID(b.order_id), TransitionRequest(to="cancelled"), uow
    )
    await order_handlers.expire_reservations(uow, utcnow() + timedelta(hours=1))

    levels = await stock_of(uow)
    assert levels == {"BAR": 0, "OIL": 7, "VIN": 2, "BAR-75": 2}
    assert (await order_handlers.get_order("shop-a", uuid.UUID(c.order_id), uow)).status == (
        "cancelled"
    )
    await assert_ledger_reconciles(uow)
    async with uow:
        ledger = await uow.stock.ledger("shop-a")
    assert ledger.get("BAR-150", 0) == 0
    assert ledger.get("BAR-37", 0) == 0


async def _product_id(uow: CatalogUnitOfWork, sku: str) -> uuid.UUID:
    async with uow:
        return (await uow.catalog.products_by_sku("shop-a", [sku]))[sku].id


async def test_the_lifespan_sweeper_expires_a_due_reservation(
    uow: CatalogUnitOfWork, engine: AsyncEngine
) -> None:
    await seed(uow)
    placed, _ = await order_handlers.place_order("shop-a", order("k1", ("OIL", 3)), uow)
    oid = uuid.UUID(placed.order_id)
    async with uow:  # the reservation ran out a minute ago
        past = {"reserved_until": utcnow() - timedelta(minutes=1)}
        await uow.orders.change_status("shop-a", oid, ["pending"], past)
        await uow.commit()

    sweeper = asyncio.create_task(
        sweep_reservations(CatalogUnitOfWork(session_factory(engine)), 0.01)
    )
    try:
        for _ in range(500):
            if (await order_handlers.get_order("shop-a", oid, uow)).status == "cancelled":
                break
            await asyncio.sleep(0.01)
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper

    assert (await order_handlers.get_order("shop-a", oid, uow)).status == "cancelled"
    assert (await stock_of(uow))["OIL"] == 3
