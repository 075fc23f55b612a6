"""Offers: a discount on some products for a period, which the assistant may mention."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator
from pydantic.json_schema import SkipJsonSchema

from bancone_catalog.domain.fields import (
    Name,
    NaturalKey,
    PartialUpdate,
    Percent,
    Sku,
    Text,
    Translations,
    check_translations,
)

OFFER_TRANSLATABLE = frozenset({"title", "description"})


def _check_period(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")


class OfferBase(BaseModel):
    """`code` is the natural key a re-import matches on; the period is inclusive."""

    model_config = ConfigDict(extra="forbid")

    code: NaturalKey = Field(examples=["NATALE10"])
    title: Name = Field(examples=["Natale: 10% sui rossi piemontesi"])
    description: Text = ""
    discount_percent: Percent = Field(examples=["10.00"])
    product_skus: list[Sku] = Field(default_factory=list, max_length=1000)
    valid_from: date | None = None
    valid_until: date | None = None
    translations: Translations = Field(default_factory=dict)
    """Per-language title and description: `{"en": {...}}`."""

    @model_validator(mode="after")
    def _translatable(self) -> Self:
        check_translations(self.translations, OFFER_TRANSLATABLE)
        return self

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        _check_period(self.valid_from, self.valid_until)
        return self

    @field_serializer("discount_percent", when_used="json")
    def _percent_as_string(self, value: Any) -> str:
        return f"{value:.2f}"

    def is_valid_on(self, day: date) -> bool:
        """Whether the offer applies on `day` (open ends apply forever)."""
        starts_ok = self.valid_from is None or self.valid_from <= day
        return starts_ok and (self.valid_until is None or day <= self.valid_until)


class OfferCreate(OfferBase):
    """A new offer, as posted to `POST /offers` or read from one import row."""


class OfferUpdate(PartialUpdate):
    """A partial change; the code never changes; a null date clears it (an open end)."""

    clearable: ClassVar[frozenset[str]] = frozenset({"valid_from", "valid_until"})

    title: Name | SkipJsonSchema[None] = None
    description: Text | SkipJsonSchema[None] = None
    discount_percent: Percent | SkipJsonSchema[None] = None
    product_skus: list[Sku] | SkipJsonSchema[None] = Field(default=None, max_length=1000)
    translations: Translations | SkipJsonSchema[None] = None
    valid_from: date | None = None
    valid_until: date | None = None


class OfferPublic(OfferBase):
    """A stored offer as the API and the catalog events show it."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID
    tenant_id: str
    created_at: datetime
    updated_at: datetime
