"""Reusable field types of the catalog, so every model validates a sku or a price the same way."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

CENTS = Decimal("0.01")


def fold(text: str) -> str:
    """Lower-case and strip accents, so `Rosé`, `rose` and `ROSE` compare equal in search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _currency_code(value: str) -> str:
    code = value.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def _lower_stripped(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS)


def _clean_tags(value: object) -> object:
    """Strip, drop empties and duplicates (keeping order): tags are a set a human typed."""
    if not isinstance(value, list | tuple):
        return value
    seen: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str):
            return value  # let pydantic report the wrong type
        tag = item.strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def _clean_attributes(value: object) -> object:
    """Attribute names are lower-case identifiers; empty values mean 'not set'."""
    if not isinstance(value, dict):
        return value
    cleaned: dict[object, object] = {}
    for key, item in value.items():
        name = key.strip().lower() if isinstance(key, str) else key
        if isinstance(item, str):
            item = item.strip()
            if not item:
                continue
        cleaned[name] = item
    return cleaned


Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"),
]
"""A shop's own product code: letters, digits and `. _ / -`, up to 64 characters."""
NaturalKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"),
]
"""The key of a FAQ or the code of an offer: what a re-import matches on."""
CategorySlug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Price = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2), AfterValidator(_to_cents)]
"""Money in a currency's major unit with at most two decimals, always rendered as `12.50`."""
Percent = Annotated[
    Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2), AfterValidator(_to_cents)
]
CurrencyCode = Annotated[str, AfterValidator(_currency_code)]
Stock = Annotated[int, Field(ge=0, le=1_000_000_000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], BeforeValidator(_clean_tags), Field(max_length=50)]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
AttributeValue = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Attributes = Annotated[
    dict[AttributeName, AttributeValue], BeforeValidator(_clean_attributes), Field(max_length=50)
]
LanguageCode = Annotated[
    str, BeforeValidator(_lower_stripped), StringConstraints(pattern=r"^[a-z]{2,3}(-[a-z]{2})?$")
]


class PartialUpdate(BaseModel):
    """Base of the `XUpdate` models: absent means unchanged, an explicit null is refused."""

    model_config = ConfigDict(extra="forbid")
    clearable: ClassVar[frozenset[str]] = frozenset()
    """Fields where an explicit null means "clear it"."""

    @model_validator(mode="after")
    def _no_explicit_nulls(self) -> Self:
        nulls = sorted(
            name for name in self.model_fields_set - self.clearable if getattr(self, name) is None
        )
        if nulls:
            raise ValueError(f"fields cannot be null: {', '.join(nulls)}")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the caller set, as python values ready to apply."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


Translations = Annotated[
    dict[LanguageCode, dict[str, Text]],
    Field(max_length=20, examples=[{"en": {"answer": "Free over 50 euros."}}]),
]
"""Per-language versions of an entity's texts: `{"en": {"answer": "..."}}`. Which fields may
be translated is the entity's (`check_translations`); the untranslated field is the original."""


def check_translations(translations: dict[str, dict[str, str]], allowed: frozenset[str]) -> None:
    """Refuse a translation of a field that is not translatable (or does not exist)."""
    for language, fields in translations.items():
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(
                f"translations.{language}: {', '.join(unknown)} cannot be translated; "
                f"expected {', '.join(sorted(allowed))}"
            )
