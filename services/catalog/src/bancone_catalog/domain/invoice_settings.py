"""A shop's selling settings: its invoicing data and the limits of its orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from bancone_catalog.domain.invoices import Seller


class InvoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    legal_name: str = Field(default="", max_length=200, examples=["Enoteca Demo S.r.l."])
    vat_id: str = Field(default="", max_length=40, examples=["IT01234567890"])
    address: str = Field(default="", max_length=500)
    email: str = Field(default="", max_length=200)
    vat_rate: Decimal = Field(default=Decimal("22"), ge=0, le=100, decimal_places=2)
    reservation_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    max_line_quantity: int = Field(default=20, ge=1, le=100_000)

    @field_serializer("vat_rate", when_used="json")
    def _rate(self, value: Any) -> str:
        return f"{value:.2f}"

    def seller(self, fallback_name: str) -> Seller:
        """The seller printed on invoices (the tenant's id until a legal name is set)."""
        return Seller(
            legal_name=self.legal_name or fallback_name,
            vat_id=self.vat_id,
            address=self.address,
            email=self.email,
        )
