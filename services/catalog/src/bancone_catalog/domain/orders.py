"""Orders, pure: the lifecycle, what a cart costs (a quote), and the requests that place and
change an order. Stock and prices are read by the handlers and passed in; nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from bancone_catalog.domain.errors import InvalidTransitionError
from bancone_catalog.domain.fields import Sku
from bancone_contracts.events.order import Fulfilment, OrderSnapshot, OrderStatus, OrderTransition

MAX_LINES = 50
QuoteProblem = Literal[
    "unknown_sku", "inactive", "out_of_stock", "insufficient_stock", "quantity_over_limit"
]
OperatorTarget = Literal["confirmed", "shipped", "delivered", "cancelled", "refunded"]

_NEXT: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    "pending": frozenset({"confirmed", "paid", "cancelled"}),
    "confirmed": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "delivered", "refunded"}),
    "shipped": frozenset({"delivered", "refunded"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
_TRANSITION_TO: Mapping[OrderStatus, OrderTransition] = {
    "confirmed": "confirmed",
    "paid": "paid",
    "shipped": "shipped",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
HOLDS_RESERVATION: frozenset[OrderStatus] = frozenset({"pending", "confirmed"})
"""Statuses whose stock is reserved (released when cancelled, sold when paid)."""


def check_transition(
    order: OrderSnapshot, to: OrderStatus, tracking_code: str | None = None
) -> OrderTransition:
    """The transition that takes `order` to `to`, or `InvalidTransitionError`.

    A delivery order ships with a tracking code; `paid → delivered` is only for pickup."""
    current = order.status
    if to not in _NEXT[current]:
        raise InvalidTransitionError(current, to, f"a {current} order cannot become {to}")
    method = order.fulfilment.method if order.fulfilment else "pickup"
    if to == "shipped" and method == "delivery" and not (tracking_code or "").strip():
        raise InvalidTransitionError(current, to, "shipping a delivery needs a tracking code")
    if current == "paid" and to == "delivered" and method == "delivery":
        raise InvalidTransitionError(current, to, "a delivery is shipped before it is delivered")
    return _TRANSITION_TO[to]


# -- quotes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sellable:
    """What one sku sells: a product without variants, or one variant of a product."""

    sku: str
    product_id: uuid.UUID
    name: str
    variant: str | None
    unit_price: Decimal
    currency: str
    stock: int
    active: bool
    variant_id: uuid.UUID | None = None


class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=100_000, examples=[2])


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CartLineIn] = Field(min_length=1, max_length=MAX_LINES)


class _Money(BaseModel):
    @field_serializer("unit_price", "line_total", "total", when_used="json", check_fields=False)
    def _as_string(self, value: Any) -> str | None:
        return None if value is None else f"{value:.2f}"


class QuoteLine(_Money):
    sku: str
    product_id: uuid.UUID | None = None
    name: str | None = None
    variant: str | None = None
    quantity: int
    unit_price: Decimal | None = None
    currency: str | None = None
    line_total: Decimal | None = None
    available: int = 0
    problem: QuoteProblem | None = None


class Quote(_Money):
    lines: list[QuoteLine]
    total: Decimal
    currency: str | None
    ok: bool


def merge_lines(lines: list[CartLineIn]) -> list[CartLineIn]:
    """One line per sku, quantities added, in first-seen order."""
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return [CartLineIn(sku=sku, quantity=quantity) for sku, quantity in merged.items()]


def quote(lines: list[CartLineIn], items: Mapping[str, Sellable], max_quantity: int) -> Quote:
    """Price every line from `items` (the catalogue now) and name what stops it selling."""
    out: list[QuoteLine] = []
    for line in merge_lines(lines):
        item = items.get(line.sku)
        if item is None:
            out.append(QuoteLine(sku=line.sku, quantity=line.quantity, problem="unknown_sku"))
            continue
        out.append(
            QuoteLine(
                sku=item.sku,
                product_id=item.product_id,
                name=item.name,
                variant=item.variant,
                quantity=line.quantity,
                unit_price=item.unit_price,
                currency=item.currency,
                line_total=item.unit_price * line.quantity,
                available=max(item.stock, 0) if item.active else 0,
                problem=_problem(item, line.quantity, max_quantity),
            )
        )
    priced = [line for line in out if line.line_total is not None]
    total = sum((line.line_total or Decimal(0) for line in priced), Decimal("0.00"))
    currency = priced[0].currency if priced else None
    return Quote(
        lines=out, total=total, currency=currency, ok=all(line.problem is None for line in out)
    )


def _problem(item: Sellable, quantity: int, max_quantity: int) -> QuoteProblem | None:
    if not item.active:
        return "inactive"
    if quantity > max_quantity:
        return "quantity_over_limit"
    if item.stock <= 0:
        return "out_of_stock"
    if item.stock < quantity:
        return "insufficient_stock"
    return None


# -- placing and changing -------------------------------------------------------------------


class OrderLineIn(CartLineIn):
    expected_unit_price: Decimal | None = Field(
        default=None, gt=0, description="The price the customer was shown; a change is a 409."
    )


class OrderFulfilment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["delivery", "pickup"]
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _address_for_delivery(self) -> Self:
        if self.method == "delivery" and not (self.address or "").strip():
            raise ValueError("a delivery needs an address")
        return self


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    customer_id: str = Field(min_length=1, max_length=100)
    phone_number_id: str | None = Field(default=None, max_length=100)
    conversation_id: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=10)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    fulfilment: OrderFulfilment | None = None

    @model_validator(mode="after")
    def _one_line_per_sku(self) -> Self:
        skus = [line.sku for line in self.lines]
        if len(set(skus)) != len(skus):
            raise ValueError("each sku may appear in one line only")
        return self

    def contract_fulfilment(self) -> Fulfilment | None:
        if self.fulfilment is None:
            return None
        return Fulfilment.model_validate(self.fulfilment.model_dump())


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: OperatorTarget
    tracking_code: str | None = Field(default=None, max_length=100)


class OrderPublic(OrderSnapshot):
    """An order as the API shows it: the event's snapshot and the tenant."""

    tenant_id: str
    updated_at: datetime
