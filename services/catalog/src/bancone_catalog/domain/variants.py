"""Variants: one product sold in several forms (size, colour, vintage), each its own SKU,
price and stock. A product without variants is sold by its own SKU."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from bancone_catalog.domain.fields import Attributes, CurrencyCode, Name, Price, Sku, Stock

MAX_VARIANTS = 100


class VariantIn(BaseModel):
    """A variant as an owner writes it; a missing price or currency is the product's."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku = Field(examples=["BAR-2019-75CL"])
    label: Name = Field(examples=["75 cl"])
    attributes: Attributes = Field(default_factory=dict, examples=[{"size": "75 cl"}])
    price: Price | None = Field(default=None, examples=["39.90"])
    currency: CurrencyCode | None = None
    stock: Stock = 0
    active: bool = True


class VariantPublic(BaseModel):
    """A stored variant, as products, search results and the catalog events carry it."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID
    sku: str
    label: str
    attributes: dict[str, str] = Field(default_factory=dict)
    price: Decimal
    currency: str
    stock: int
    active: bool

    @field_serializer("price", when_used="json")
    def _price_as_string(self, price: Any) -> str:
        return f"{price:.2f}"


def check_variant_skus(product_sku: str, variants: list[VariantIn]) -> None:
    """Within one product: no variant repeats a sku or reuses the product's own."""
    seen = {product_sku}
    for variant in variants:
        if variant.sku in seen:
            raise ValueError(f"variant sku {variant.sku!r} is used twice in this product")
        seen.add(variant.sku)
