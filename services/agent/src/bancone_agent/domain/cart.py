"""A conversation's cart: what the customer wants to buy, how they get it, and the quote last
shown to them.

The cart holds SKUs and quantities only; names, prices and totals come from the catalog's
quote (`Quote`), asked again every time the cart is shown. The confirmation buttons carry the
`fingerprint` of the cart as summarised (lines, quoted prices, total, fulfilment): a tap on
buttons of an older summary no longer matches and places nothing.

It lives in the conversation's memory (`Memory.cart`), so it is scoped to one tenant and one
conversation like the rest of it, and it expires `CART_TTL` after its last change.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

CART_TTL = timedelta(hours=24)
"""A cart untouched this long is expired: a confirmation tap on it places nothing."""
MAX_LINES = 20
CONFIRM_PREFIX = "order:confirm:"
CANCEL_ID = "order:cancel"


class Fulfilment(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"


class Question(StrEnum):
    """What the cart still needs from the customer, asked one at a time."""

    METHOD = "method"
    NAME = "name"
    ADDRESS = "address"


class CartLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: int = Field(ge=1)


class QuotedLine(BaseModel):
    """One line as the catalog priced it (`POST /carts/quote`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sku: str
    product_id: str | None = None
    name: str | None = None
    variant: str | None = None
    quantity: int
    unit_price: Decimal | None = None
    currency: str = "EUR"
    line_total: Decimal | None = None
    available: int | None = None
    problem: str | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        """An unknown SKU's line has no currency: the shop's default stands in."""
        return value or "EUR"

    @property
    def label(self) -> str:
        """ "Barolo 2019 — 1,5 l": the product and its variant, as the catalog names them."""
        name = self.name or self.sku
        return f"{name} — {self.variant}" if self.variant else name


class Quote(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    lines: tuple[QuotedLine, ...] = ()
    total: Decimal = Decimal(0)
    currency: str = "EUR"
    ok: bool = True

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        """A quote of unknown SKUs only has no currency."""
        return value or "EUR"

    def facts(self) -> tuple[str, ...]:
        """The quote's figures, one text per line and the total: what a reply may state."""
        lines = (
            f"{q.label} [{q.sku}]: {q.quantity} x {q.unit_price} = {q.line_total} {q.currency}"
            f", available {q.available}"
            for q in self.lines
        )
        return (*lines, f"total {self.total} {self.currency}")


class Cart(BaseModel):
    """The cart as remembered between turns."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[CartLine, ...] = ()
    method: Fulfilment | None = None
    name: str | None = None
    address: str | None = None
    asking: Question | None = None
    """The question last asked: the next message may be its answer."""
    quote: Quote | None = None
    """The quote the last summary (with buttons) showed; `expected_unit_price` comes from it."""
    fingerprint: str | None = None
    """The fingerprint the last confirmation buttons carry; None: no buttons out."""
    placed: tuple[str, str] | None = None
    """(fingerprint, order number) of the order its last confirmation placed."""
    attempt: tuple[str, str] | None = None
    """(fingerprint, idempotency key) of a placement whose outcome is unknown (the catalog
    could not be reached): the next tap on the same summary reuses the key, so it finds
    the order if the first call did place it, instead of placing a second one."""
    updated_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.lines

    def expired(self, now: datetime) -> bool:
        return self.updated_at is not None and now - self.updated_at >= CART_TTL

    def quantity_of(self, sku: str) -> int:
        return next((line.quantity for line in self.lines if line.sku == sku), 0)

    def add(self, sku: str, quantity: int, now: datetime) -> Cart:
        """`quantity` more of `sku` (a new line at the end, or more on its line)."""
        return self.with_quantity(sku, self.quantity_of(sku) + quantity, now)

    def with_quantity(self, sku: str, quantity: int, now: datetime) -> Cart:
        """`sku`'s line set to `quantity` (0 removes it)."""
        lines = [line for line in self.lines if line.sku != sku]
        if quantity > 0:
            at = next((n for n, line in enumerate(self.lines) if line.sku == sku), len(lines))
            lines.insert(at, CartLine(sku=sku, quantity=quantity))
        return self._changed(lines=tuple(lines[:MAX_LINES]), now=now)

    def replaced(self, lines: tuple[CartLine, ...], now: datetime) -> Cart:
        return self._changed(lines=lines[:MAX_LINES], now=now)

    def without(self, skus: set[str], now: datetime) -> Cart:
        return self._changed(lines=tuple(x for x in self.lines if x.sku not in skus), now=now)

    def cleared(self, now: datetime) -> Cart:
        """Empty, keeping who the customer is and how they collect (asked once is enough)."""
        return Cart(method=self.method, name=self.name, address=self.address, updated_at=now)

    def fulfilled(
        self,
        now: datetime,
        *,
        method: Fulfilment | None = None,
        name: str | None = None,
        address: str | None = None,
    ) -> Cart:
        return self.model_copy(
            update={
                "method": method or self.method,
                "name": name or self.name,
                "address": address or self.address,
                "asking": None,
                "fingerprint": None,
                "updated_at": now,
            }
        )

    def missing(self) -> Question | None:
        """The next thing to ask: pickup or delivery, then the name, then (delivery) the
        address; None when the cart can be summarised."""
        if self.method is None:
            return Question.METHOD
        if not self.name:
            return Question.NAME
        if self.method is Fulfilment.DELIVERY and not self.address:
            return Question.ADDRESS
        return None

    def asking_for(self, question: Question | None, now: datetime) -> Cart:
        return self.model_copy(update={"asking": question, "updated_at": now})

    def summarised(self, quote: Quote, now: datetime) -> Cart:
        """The cart once `quote` was shown with confirmation buttons."""
        return self.model_copy(
            update={
                "quote": quote,
                "fingerprint": fingerprint(self, quote),
                "asking": None,
                "updated_at": now,
            }
        )

    def placed_as(self, number: str, now: datetime) -> Cart:
        emptied = self.cleared(now)
        return emptied.model_copy(update={"placed": (self.fingerprint or "", number)})

    def _changed(self, *, lines: tuple[CartLine, ...], now: datetime) -> Cart:
        """Any change to the lines withdraws the buttons out there (their fingerprint)."""
        return self.model_copy(
            update={
                "lines": lines,
                "fingerprint": None,
                "quote": None,
                "attempt": None,
                "updated_at": now,
            }
        )

    def attempting(self, key: str, now: datetime) -> Cart:
        return self.model_copy(update={"attempt": (self.fingerprint or "", key), "updated_at": now})

    def key_for(self, fingerprint: str, fresh_key: str) -> str:
        """The idempotency key to place the summary `fingerprint` with: an unfinished
        attempt's, else `fresh_key` (the tap's wamid)."""
        if self.attempt is not None and self.attempt[0] == fingerprint:
            return self.attempt[1]
        return fresh_key


def fingerprint(cart: Cart, quote: Quote) -> str:
    """What the buttons of a summary stand for: the lines, the prices quoted, the total and
    how the order is fulfilled. Any of them changing makes a new fingerprint."""
    parts = [f"{q.sku}*{q.quantity}@{q.unit_price}" for q in quote.lines]
    parts += [
        f"total={quote.total} {quote.currency}",
        f"method={cart.method}",
        f"name={cart.name}",
        f"address={cart.address}",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def confirmed_fingerprint(button_id: str | None) -> str | None:
    """The fingerprint a confirmation tap names; None for any other button."""
    if button_id and button_id.startswith(CONFIRM_PREFIX):
        return button_id[len(CONFIRM_PREFIX) :] or None
    return None
