"""Products: what a shop sells, with a price in a currency and the stock on hand."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator
from pydantic.json_schema import SkipJsonSchema

from bancone_catalog.domain.fields import (
    Attributes,
    CategorySlug,
    CurrencyCode,
    Name,
    PartialUpdate,
    Price,
    Sku,
    Stock,
    Tags,
    Text,
    Translations,
    check_translations,
)
from bancone_catalog.domain.variants import (
    MAX_VARIANTS,
    VariantIn,
    VariantPublic,
    check_variant_skus,
)

PRODUCT_TRANSLATABLE = frozenset({"name", "description"})


class ProductBase(BaseModel):
    """The fields an owner edits; `sku` is the natural key a re-import matches on."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku = Field(examples=["BAR-2019"])
    name: Name = Field(examples=["Barolo DOCG 2019"])
    description: Text = ""
    category: CategorySlug = Field(examples=["vino-rosso"])
    price: Price = Field(examples=["39.90"])
    currency: CurrencyCode = "EUR"
    stock: Stock = 0
    active: bool = True
    attributes: Attributes = Field(
        default_factory=dict, examples=[{"colour": "red", "region": "Piemonte"}]
    )
    tags: Tags = Field(default_factory=list, examples=[["nebbiolo", "regalo"]])
    translations: Translations = Field(default_factory=dict)
    """Per-language name and description: `{"en": {"description": "..."}}`."""

    @model_validator(mode="after")
    def _translatable(self) -> Self:
        check_translations(self.translations, PRODUCT_TRANSLATABLE)
        return self

    @field_serializer("price", when_used="json")
    def _price_as_string(self, price: Any) -> str:
        """Money leaves as a decimal string (`"39.90"`), never a float, in every mode."""
        return f"{price:.2f}"


class ProductCreate(ProductBase):
    """A new product, as posted to `POST /products` or read from one import row.

    `variants` (when given) are the product's whole set of variants; a re-import or an update
    that gives them replaces the set (matched by sku)."""

    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _variant_skus(self) -> Self:
        check_variant_skus(self.sku, self.variants)
        return self

    def fields(self) -> dict[str, Any]:
        """The product's own columns (without its variants)."""
        return self.model_dump(exclude={"variants"})


class ProductUpdate(PartialUpdate):
    """A partial change: only the fields present are changed; the sku never changes."""

    name: Name | SkipJsonSchema[None] = None
    description: Text | SkipJsonSchema[None] = None
    category: CategorySlug | SkipJsonSchema[None] = None
    price: Price | SkipJsonSchema[None] = None
    currency: CurrencyCode | SkipJsonSchema[None] = None
    stock: Stock | SkipJsonSchema[None] = None
    active: bool | SkipJsonSchema[None] = None
    attributes: Attributes | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    translations: Translations | SkipJsonSchema[None] = None
    variants: list[VariantIn] | SkipJsonSchema[None] = Field(default=None, max_length=MAX_VARIANTS)
    """The whole new set of variants (by sku: kept and changed, added, or removed)."""


class ProductPublic(ProductBase):
    """A stored product as the API and the catalog events show it."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID
    tenant_id: str
    variants: list[VariantPublic] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class StockAdjustment(BaseModel):
    """A relative stock change (a sale is negative, a delivery positive)."""

    model_config = ConfigDict(extra="forbid")

    delta: int = Field(ge=-1_000_000_000, le=1_000_000_000, examples=[-2])
