"""A stand-in for the catalog's cart and order API (issue 12 spec: `POST /carts/quote`,
`POST /orders` with its idempotency key, `GET /orders/by-number/{n}?customer_id=`,
`GET /orders?customer_id=&limit=`), per tenant, with prices and stock a test edits.

Written against the shared spec while the catalog's own implementation is built in another
branch: `app()` serves it over real HTTP (service tests, `HttpOrderTools`), `tools(tenant)`
answers in process (dialog unit tests). Both go through the same `quote`/`place` logic.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bancone_agent.domain.cart import CartLine, Quote
from bancone_agent.domain.order_port import NewOrder, OrderProblemError, OrderView

MAX_PER_LINE = 20


@dataclass
class Item:
    sku: str
    name: str
    price: Decimal
    stock: int
    variant: str | None = None
    product_id: str = "p-1"
    active: bool = True


@dataclass
class OrdersStandIn:
    items: dict[str, dict[str, Item]] = field(default_factory=dict)
    """tenant → sku → item."""
    orders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """tenant → orders placed (newest last)."""
    keys: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    placements: list[dict[str, Any]] = field(default_factory=list)
    """Every `POST /orders` body received, replays included."""
    payment_base: str = "http://pay.example/payments/pay"
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1042))

    def stock(self, tenant_id: str, *items: Item) -> None:
        for item in items:
            self.items.setdefault(tenant_id, {})[item.sku] = item

    # -- the logic ---------------------------------------------------------------------------

    def quote_body(self, tenant_id: str, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
        known = self.items.get(tenant_id, {})
        out, total, ok = [], Decimal(0), True
        for line in lines:
            sku, quantity = str(line["sku"]), int(line["quantity"])
            item = known.get(sku)
            problem = None
            if item is None:
                problem = "unknown_sku"
            elif not item.active:
                problem = "inactive"
            elif item.stock <= 0:
                problem = "out_of_stock"
            elif quantity > item.stock:
                problem = "insufficient_stock"
            elif quantity > MAX_PER_LINE:
                problem = "quantity_over_limit"
            ok = ok and problem is None
            line_total = item.price * quantity if item is not None else None
            if item is not None and problem is None and line_total is not None:
                total += line_total
            out.append(
                {
                    "sku": sku,
                    "product_id": item.product_id if item else None,
                    "name": item.name if item else None,
                    "variant": item.variant if item else None,
                    "quantity": quantity,
                    "unit_price": str(item.price) if item else None,
                    "currency": "EUR",
                    "line_total": str(line_total) if line_total is not None else None,
                    "available": item.stock if item else None,
                    "problem": problem,
                }
            )
        return {"lines": out, "total": str(total), "currency": "EUR", "ok": ok}

    def place_body(self, tenant_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.placements.append(body)
        seen = self.keys.get((tenant_id, body["idempotency_key"]))
        if seen is not None:
            return 200, seen
        known = self.items.get(tenant_id, {})
        changed = [
            {"sku": x["sku"], "unit_price": str(known[x["sku"]].price)}
            for x in body["lines"]
            if x["sku"] in known and known[x["sku"]].price != Decimal(x["expected_unit_price"])
        ]
        if changed:
            return 409, _problem("Price changed", "price_changed", changed)
        short = [
            {"sku": x["sku"], "available": known[x["sku"]].stock}
            for x in body["lines"]
            if x["sku"] in known and known[x["sku"]].stock < x["quantity"]
        ]
        if short:
            return 409, _problem("Sold out", "sold_out", short)
        for x in body["lines"]:
            known[x["sku"]].stock -= x["quantity"]
        number = f"A-{next(self._numbers)}"
        total = sum(known[x["sku"]].price * x["quantity"] for x in body["lines"])
        order = {
            "order_id": f"ord-{number}",
            "number": number,
            "customer_id": body["customer_id"],
            "status": "pending",
            "lines": body["lines"],
            "total": {"amount": str(total), "currency": "EUR"},
            "fulfilment": body["fulfilment"],
            "payment_url": f"{self.payment_base}/pl_{number}",
            "reserved_until": (datetime.now(UTC) + timedelta(minutes=30)).isoformat(),
            "tracking_code": None,
            "created_at": datetime.now(UTC).isoformat(),
        }
        self.orders.setdefault(tenant_id, []).append(order)
        self.keys[(tenant_id, body["idempotency_key"])] = order
        return 201, order

    def find(self, tenant_id: str, customer_id: str, number: str | None) -> dict[str, Any] | None:
        mine = [o for o in self.orders.get(tenant_id, []) if o["customer_id"] == customer_id]
        if number is not None:
            mine = [o for o in mine if o["number"] == number]
        return mine[-1] if mine else None

    # -- over HTTP ---------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/tenants/{tenant_id}/carts/quote")
        async def quote(tenant_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            return JSONResponse(self.quote_body(tenant_id, body["lines"]))

        @app.post("/v1/tenants/{tenant_id}/orders")
        async def place(tenant_id: str, request: Request) -> JSONResponse:
            status, body = self.place_body(tenant_id, await request.json())
            media = "application/problem+json" if status >= 400 else "application/json"
            return JSONResponse(body, status_code=status, media_type=media)

        @app.get("/v1/tenants/{tenant_id}/orders/by-number/{number}")
        async def by_number(tenant_id: str, number: str, customer_id: str) -> JSONResponse:
            found = self.find(tenant_id, customer_id, number)
            if found is None:
                return JSONResponse({"title": "Not found"}, status_code=404)
            return JSONResponse(found)

        @app.get("/v1/tenants/{tenant_id}/orders")
        async def listed(tenant_id: str, customer_id: str, limit: int = 20) -> JSONResponse:
            found = self.find(tenant_id, customer_id, None)
            return JSONResponse({"items": [found] if found else []})

        return app

    # -- in process --------------------------------------------------------------------------

    def tools(self, tenant_id: str) -> InProcessOrders:
        return InProcessOrders(self, tenant_id)


@dataclass
class InProcessOrders:
    """`OrderTools` straight on the stand-in (no HTTP)."""

    api: OrdersStandIn
    tenant_id: str

    async def quote(self, lines: Sequence[CartLine]) -> Quote:
        body = [{"sku": x.sku, "quantity": x.quantity} for x in lines]
        return Quote.model_validate(self.api.quote_body(self.tenant_id, body))

    async def place(self, order: NewOrder) -> OrderView:
        body = {
            "idempotency_key": order.idempotency_key,
            "customer_id": order.customer_id,
            "lines": [
                {"sku": x.sku, "quantity": x.quantity, "expected_unit_price": x.expected_unit_price}
                for x in order.lines
            ],
            "fulfilment": {"method": order.method.value, "name": order.name},
        }
        status, answer = self.api.place_body(self.tenant_id, body)
        if status >= 400:
            raise OrderProblemError(str(answer["code"]))
        return OrderView.of(answer)

    async def by_number(self, number: str, customer_id: str) -> OrderView | None:
        found = self.api.find(self.tenant_id, customer_id, number)
        return OrderView.of(found) if found else None

    async def latest(self, customer_id: str) -> OrderView | None:
        found = self.api.find(self.tenant_id, customer_id, None)
        return OrderView.of(found) if found else None


def _problem(title: str, code: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """An RFC 9457 problem as the catalog's error table writes it (`code`, `lines`)."""
    return {"type": "about:blank", "title": title, "status": 409, "code": code, "lines": lines}
