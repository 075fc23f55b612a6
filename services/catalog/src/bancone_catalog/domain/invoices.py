"""An invoice as it is printed: a frozen copy of the order, the seller's data and the totals.

The invoice is issued once, when its order is paid, with the tenant's next number (no gaps:
numbers are allocated under a per-tenant counter row lock in the same transaction as the
payment). Prices in the catalogue include VAT (retail in the EU), so each line's net amount and
VAT are derived from the gross price and the rate; the gross total always equals the order's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

CENTS = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


class Seller(BaseModel):
    """The shop's invoicing data, from its invoice settings."""

    model_config = ConfigDict(frozen=True)

    legal_name: str = Field(min_length=1, max_length=200)
    vat_id: str = Field(default="", max_length=40, description="e.g. IT01234567890")
    address: str = Field(default="", max_length=500)
    email: str = Field(default="", max_length=200)


class InvoiceLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    quantity: int = Field(ge=1)
    unit_price: Decimal = Field(description="Gross (VAT included).")
    vat_rate: Decimal = Field(ge=0, le=100, description="Percent, e.g. 22.")

    @property
    def gross(self) -> Decimal:
        return cents(self.unit_price * self.quantity)

    @property
    def net(self) -> Decimal:
        return cents(self.gross * 100 / (100 + self.vat_rate))

    @property
    def vat(self) -> Decimal:
        return self.gross - self.net


class InvoiceDocument(BaseModel):
    """Everything the PDF shows; nothing is looked up while rendering."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    number: str = Field(examples=["2026-000012"])
    issued_at: datetime
    order_number: str
    seller: Seller
    customer_name: str
    customer_address: str = ""
    currency: str = "EUR"
    language: str = "it"
    lines: tuple[InvoiceLine, ...] = Field(min_length=1)

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def vat_total(self) -> Decimal:
        return sum((line.vat for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum((line.gross for line in self.lines), Decimal(0))
