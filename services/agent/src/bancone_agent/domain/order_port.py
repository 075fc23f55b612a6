"""The catalog's order API as the agent needs it (`OrderTools`): quote a cart, place an
order, read a customer's orders. Bound to one tenant by whoever builds it (the HTTP adapter,
`adapters/orders_api.py`; tests use the spec's stand-in)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

from bancone_agent.domain.assistant import ToolError
from bancone_agent.domain.cart import CartLine, Fulfilment, Quote
from bancone_agent.domain.run import ToolCallRecord

T = TypeVar("T")


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: int
    expected_unit_price: Decimal


class NewOrder(BaseModel):
    """`POST /orders`'s body, as the desk fills it."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    customer_id: str
    phone_number_id: str
    conversation_id: str
    language: str
    lines: tuple[OrderLine, ...]
    method: Fulfilment
    name: str
    address: str | None = None


class OrderView(BaseModel):
    """An order as the catalog returns it (`OrderPublic`), the fields the desk speaks of."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: str = ""
    number: str
    status: str
    total: Decimal
    currency: str = "EUR"
    payment_url: str | None = None
    reserved_until: datetime | None = None
    tracking_code: str | None = None

    @field_validator("total", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        """The snapshot's `total` is `{"amount", "currency"}`; a bare decimal is accepted."""
        return value.get("amount") if isinstance(value, dict) else value

    @classmethod
    def of(cls, body: dict[str, Any]) -> OrderView:
        total = body.get("total")
        currency = total.get("currency") if isinstance(total, dict) else body.get("currency")
        return cls.model_validate({**body, "currency": currency or "EUR"})


class OrderProblemError(Exception):
    """The catalog refused the order; `code` says why (`price_changed`, `sold_out`, or
    anything else, e.g. a 422)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class OrderTools(Protocol):
    """The catalog's cart and order API, bound to one tenant by whoever builds it."""

    async def quote(self, lines: Sequence[CartLine]) -> Quote: ...

    async def place(self, order: NewOrder) -> OrderView:
        """Raises `OrderProblemError` when the catalog refuses, `ToolError` when down."""
        ...

    async def by_number(self, number: str, customer_id: str) -> OrderView | None:
        """That customer's order with that number; None when it is not theirs (or unknown)."""
        ...

    async def latest(self, customer_id: str) -> OrderView | None: ...


class RecordedOrders:
    """`OrderTools` that note each call for the run log (name, arguments, items, error)."""

    def __init__(self, orders: OrderTools) -> None:
        self._orders = orders
        self.records: list[ToolCallRecord] = []

    async def quote(self, lines: Sequence[CartLine]) -> Quote:
        arguments = {"lines": [line.model_dump() for line in lines]}
        quote = await self._call("quote_cart", arguments, self._orders.quote(lines))
        self._note(len(quote.lines))
        return quote

    async def place(self, order: NewOrder) -> OrderView:
        arguments = {"idempotency_key": order.idempotency_key, "lines": len(order.lines)}
        placed = await self._call("place_order", arguments, self._orders.place(order))
        self._note(1)
        return placed

    async def by_number(self, number: str, customer_id: str) -> OrderView | None:
        found = await self._call(
            "order_status", {"number": number}, self._orders.by_number(number, customer_id)
        )
        self._note(int(found is not None))
        return found

    async def latest(self, customer_id: str) -> OrderView | None:
        found = await self._call("order_status", {}, self._orders.latest(customer_id))
        self._note(int(found is not None))
        return found

    async def _call(self, name: str, arguments: dict[str, Any], call: Awaitable[T]) -> T:
        self.records.append(ToolCallRecord(name=name, arguments=arguments))
        try:
            return await call
        except (ToolError, OrderProblemError) as error:
            self.records[-1] = self.records[-1].model_copy(update={"error": str(error)[:500]})
            raise

    def _note(self, items: int) -> None:
        self.records[-1] = self.records[-1].model_copy(update={"result_items": items})
