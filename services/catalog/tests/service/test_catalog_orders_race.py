"""Concurrency: customers racing for the last units never get more than the stock, a retried
placement is one order, and concurrent payments number their invoices without gaps.

Every round runs its placements as concurrent tasks, each with its own unit of work (its own
connection), on both engines: PostgreSQL (row locks, READ COMMITTED) and SQLite (one writer).
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_catalog import handlers, order_handlers, payment_handlers
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import SoldOutError
from bancone_catalog.domain.orders import OrderPublic, PlaceOrder
from bancone_catalog.domain.payments import PaymentNotice
from bancone_catalog.domain.products import ProductCreate
from bancone_kit.clock import utcnow
from bancone_kit.db import session_factory

pytestmark = pytest.mark.service

CUSTOMERS = 8
ROUNDS = {"postgresql": 50, "sqlite": 10}


def placement(key: str, customer: str, sku: str, quantity: int = 1) -> PlaceOrder:
    return PlaceOrder.model_validate(
        {
            "idempotency_key": key,
            "customer_id": customer,
            "lines": [{"sku": sku, "quantity": quantity}],
            "fulfilment": {"method": "pickup", "name": customer},
        }
    )


async def add_product(uow: CatalogUnitOfWork, sku: str, stock: int) -> None:
    body = {"sku": sku, "name": sku, "category": "vino", "price": "10.00", "stock": stock}
    await handlers.create_product("shop-a", ProductCreate.model_validate(body), uow)


async def test_racing_customers_never_buy_more_than_the_stock(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    uow = CatalogUnitOfWork(sessions)
    rounds = ROUNDS[engine.dialect.name]
    attempts = sold = oversells = sold_out = 0
    for round_no in range(rounds):
        stock = 2 if round_no % 5 == 4 else 1
        sku = f"LAST-{round_no}"
        await add_product(uow, sku, stock)

        async def customer(n: int, sku: str = sku) -> OrderPublic:
            command = placement(f"{sku}-{n}", f"39{n}", sku)
            order, _ = await order_handlers.place_order(
                "shop-a", command, CatalogUnitOfWork(sessions)
            )
            return order

        results = await asyncio.gather(
            *(customer(n) for n in range(CUSTOMERS)), return_exceptions=True
        )
        winners = [r for r in results if isinstance(r, OrderPublic)]
        losers = [r for r in results if isinstance(r, SoldOutError)]
        assert len(winners) + len(losers) == CUSTOMERS, [
            r for r in results if not isinstance(r, OrderPublic | SoldOutError)
        ]
        assert all(loser.lines[0]["available"] == 0 for loser in losers)
        attempts += CUSTOMERS
        sold += len(winners)
        sold_out += len(losers)
        oversells += max(0, len(winners) - stock)
        assert len(winners) == stock
        async with uow:
            levels = await uow.stock.levels("shop-a")
            ledger = await uow.stock.ledger("shop-a")
        assert levels[sku] == 0
        assert ledger[sku] == 0
    print(  # the numbers the report quotes (`pytest -s`)
        f"\nrace[{engine.dialect.name}]: rounds={rounds} attempts={attempts} sold={sold} "
        f"sold_out={sold_out} oversells={oversells}"
    )
    assert oversells == 0


@pytest.mark.parametrize("stock", [5, 2])
async def test_a_placement_retried_concurrently_is_one_order(
    engine: AsyncEngine, stock: int
) -> None:
    """Also when the order takes the last units: a retry is answered with it, not sold_out."""
    sessions = session_factory(engine)
    await add_product(CatalogUnitOfWork(sessions), "RETRY", stock)

    async def attempt() -> tuple[OrderPublic, bool]:
        command = placement("wamid.same", "393331", "RETRY", 2)
        return await order_handlers.place_order("shop-a", command, CatalogUnitOfWork(sessions))

    results = await asyncio.gather(*(attempt() for _ in range(6)))

    assert len({order.order_id for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    uow = CatalogUnitOfWork(sessions)
    assert len(await order_handlers.list_orders("shop-a", uow)) == 1
    async with uow:
        assert (await uow.stock.levels("shop-a"))["RETRY"] == stock - 2


async def test_concurrent_payments_number_invoices_without_gaps(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    uow = CatalogUnitOfWork(sessions)
    await add_product(uow, "PAY", 40)
    orders = [
        (await order_handlers.place_order("shop-a", placement(f"k{n}", f"39{n}", "PAY"), uow))[0]
        for n in range(12)
    ]

    async def pay(order: OrderPublic, event: str) -> bool:
        notice = PaymentNotice(
            provider="test",
            event_id=event,
            link_id=f"pl_{order.order_id}",
            tenant_id="shop-a",
            order_id=order.order_id,
            status="paid",
            amount=Decimal("10.00"),
            currency="EUR",
        )
        return await payment_handlers.apply_payment(notice, CatalogUnitOfWork(sessions), utcnow())

    # Every order paid by two notices at once (a provider retrying): one applies.
    results = await asyncio.gather(
        *(pay(o, f"evt_{o.order_id}") for o in orders),
        *(pay(o, f"evt_{o.order_id}") for o in orders),
    )

    assert sum(results) == len(orders)
    year = utcnow().year
    numbers = []
    for order in orders:
        paid = await order_handlers.get_order("shop-a", uuid.UUID(order.order_id), uow)
        assert paid.status == "paid"
        assert paid.invoice is not None
        numbers.append(paid.invoice.number)
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, len(orders) + 1)]
