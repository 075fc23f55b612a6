"""The cart tools a model may call (`add_to_cart`, `remove_from_cart`, `view_cart`,
`set_fulfilment`, `request_order_confirmation`, `order_status`), over one turn's cart.

None of them places an order: `request_order_confirmation` only makes the reply the order
desk's summary with the confirmation buttons (`OrderDesk`); the order is placed when the
customer taps confirm, which the desk handles without any model. Every quote a tool returns
is kept, so the grounding guard checks the model's prices and totals against the catalog's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bancone_agent.domain.assistant import Reply, Turn
from bancone_agent.domain.cart import MAX_LINES, Cart, CartLine, Fulfilment, Quote
from bancone_agent.domain.order_port import OrderTools, OrderView
from bancone_agent.domain.ordering import OrderDesk

ORDER_TOOL_NAMES = (
    "add_to_cart",
    "remove_from_cart",
    "view_cart",
    "set_fulfilment",
    "request_order_confirmation",
    "order_status",
)

Sku = Field(min_length=1, max_length=64, description="A product's or variant's `sku`.")


class AddToCartArgs(BaseModel):
    """Put a product (or one of its variants) in the customer's cart, by the sku a search
    returned; only when the customer said they want it."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Sku
    quantity: int = Field(default=1, ge=1, le=MAX_LINES, description="How many to add.")


class RemoveFromCartArgs(BaseModel):
    """Remove a product from the cart, or set its quantity (0 removes it)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Sku
    quantity: int = Field(default=0, ge=0, le=MAX_LINES, description="The new quantity.")


class ViewCartArgs(BaseModel):
    """The cart as the catalog prices it now: lines, unit prices, total, problems."""

    model_config = ConfigDict(extra="forbid")


class SetFulfilmentArgs(BaseModel):
    """How the customer gets the order (pickup in store or delivery), their name, and the
    delivery address; only what the customer said."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["pickup", "delivery"] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=3, max_length=500)


class RequestOrderConfirmationArgs(BaseModel):
    """Send the customer the order summary with Confirm/Cancel buttons. The order is placed
    only if the customer taps Confirm; you cannot place it."""

    model_config = ConfigDict(extra="forbid")


class OrderStatusArgs(BaseModel):
    """The status of the customer's own order (by its number, or their latest)."""

    model_config = ConfigDict(extra="forbid")

    order_number: str | None = Field(default=None, max_length=40)


class CartSession:
    """One turn's cart for the model's tools; `reply` is what the turn ends with when the
    model asked for the confirmation (the desk's summary and buttons)."""

    def __init__(self, turn: Turn, orders: OrderTools, clock: Callable[[], datetime]) -> None:
        self.turn = turn
        self.orders = orders
        self.now = clock()
        cart = turn.memory.cart or Cart()
        self.cart = Cart(updated_at=self.now) if cart.expired(self.now) else cart
        self.changed = False
        self.quotes: list[Quote] = []
        self.orders_seen: list[OrderView] = []
        self.confirmation: Reply | None = None
        self._desk = OrderDesk(clock)

    async def add_to_cart(self, args: AddToCartArgs) -> tuple[Any, int]:
        quote = await self.orders.quote([CartLine(sku=args.sku, quantity=args.quantity)])
        if any(q.problem == "unknown_sku" for q in quote.lines):
            return {"error": f"no product with sku {args.sku!r}"}, 0
        self._set(self.cart.add(args.sku, args.quantity, self.now))
        return await self.view_cart(ViewCartArgs())

    async def remove_from_cart(self, args: RemoveFromCartArgs) -> tuple[Any, int]:
        if not self.cart.quantity_of(args.sku):
            return {"error": f"{args.sku!r} is not in the cart"}, 0
        self._set(self.cart.with_quantity(args.sku, args.quantity, self.now))
        return await self.view_cart(ViewCartArgs())

    async def view_cart(self, _: ViewCartArgs) -> tuple[Any, int]:
        if self.cart.empty:
            return {"lines": [], "note": "The cart is empty."}, 0
        quote = await self.orders.quote(self.cart.lines)
        self.quotes.append(quote)
        missing = self.cart.missing()
        view = {
            **quote.model_dump(mode="json"),
            "still_needed": missing.value if missing else None,
        }
        return view, len(quote.lines)

    async def set_fulfilment(self, args: SetFulfilmentArgs) -> tuple[Any, int]:
        method = Fulfilment(args.method) if args.method else None
        self._set(self.cart.fulfilled(self.now, method=method, name=args.name,
                                      address=args.address))  # fmt: skip
        missing = self.cart.missing()
        return {"ok": True, "still_needed": missing.value if missing else None}, 1

    async def request_order_confirmation(self, _: RequestOrderConfirmationArgs) -> tuple[Any, int]:
        missing = self.cart.missing()
        if self.cart.empty or missing is not None:
            needed = "items" if self.cart.empty else missing.value if missing else None
            return {"error": "the order is not complete", "still_needed": needed}, 0
        turn = self.turn.model_copy(update={"memory": self.turn.memory.model_copy(
            update={"cart": self.cart})})  # fmt: skip
        reply = await self._desk.respond_summary(turn, self.orders)
        self.confirmation = reply
        if reply.cart is not None:
            self.cart = reply.cart
            self.changed = True
        if reply.quote is not None:
            self.quotes.append(reply.quote)
        return {"ok": True, "note": "The summary with Confirm/Cancel buttons will be sent."}, 1

    async def order_status(self, args: OrderStatusArgs) -> tuple[Any, int]:
        customer = self.turn.customer_id
        number = args.order_number
        order = await (
            self.orders.by_number(number.upper(), customer)
            if number
            else self.orders.latest(customer)
        )
        if order is None:
            return {"order": None, "note": "No such order of this customer."}, 0
        self.orders_seen.append(order)
        return {"order": order.model_dump(mode="json")}, 1

    def facts(self) -> list[str]:
        """Every figure the tools returned this turn, as text for the grounding guard."""
        texts = [fact for quote in self.quotes for fact in quote.facts()]
        texts += [f"{o.number}: {o.status} {o.total} {o.currency}" for o in self.orders_seen]
        return texts

    def _set(self, cart: Cart) -> None:
        self.cart = cart
        self.changed = True
