"""Product search: the filter a caller sends and the folded text the database matches it on.

Matching is a case- and accent-insensitive substring match of each query word against
text folded in Python at write time, so SQLite and PostgreSQL return the same rows without
collations or extensions. A word found in the name weighs more than one found in the
category, tags or attributes, which weigh more than one found in the description; results
come by that relevance, then by price.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bancone_catalog.domain.fields import CategorySlug, fold
from bancone_catalog.domain.products import ProductBase

NAME_WEIGHT = 3
KEYWORD_WEIGHT = 2
DESCRIPTION_WEIGHT = 1
MAX_TERMS = 10
MAX_LIMIT = 100

_WORD = re.compile(r"[^\W_]+")
# Words too common to tell products apart, in the languages customers write in.
_STOPWORDS = frozenset(
    " ".join(
        (
            "a al alla alle allo ai agli con da dal dalla dei del della delle di e ed gli i il",
            "in la le lo per su un una uno o",
            "an and at for in of on or the to with",
            "de del el en es la las los para por un una unos unas y",
        )
    ).split()
)
_COLOURS = {
    "red": ("rosso", "rossa", "rossi", "rosse", "tinto", "tinta", "tintos", "rojo", "roja"),
    "white": ("bianco", "bianca", "bianchi", "bianche", "blanco", "blanca", "blancos"),
    "rose": ("rosato", "rosata", "rosati", "rosado", "rosada", "pink"),
    "sparkling": (
        "spumante",
        "spumanti",
        "bollicine",
        "frizzante",
        "espumoso",
        "espumante",
        "cava",
    ),
}
_COLOUR_ALIASES = {alias: canonical for canonical, aliases in _COLOURS.items() for alias in aliases}


def canonical_colour(value: str) -> str:
    """`Rosso`, `tinto` and `red` are one colour: the English canonical form products carry."""
    folded = fold(value.strip())
    return _COLOUR_ALIASES.get(folded, folded)


def search_terms(text: str) -> list[str]:
    """The folded, distinct, meaningful words of a query, at most `MAX_TERMS` of them."""
    terms: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if len(word) >= 2 and word not in _STOPWORDS:
            terms.setdefault(word, None)
    return list(terms)[:MAX_TERMS]


class FoldedProductText(BaseModel):
    """The three folded texts stored beside a product for search, one per relevance weight."""

    name: str
    keywords: str
    description: str

    @classmethod
    def of(cls, product: ProductBase) -> FoldedProductText:
        keywords = [product.sku, product.category.replace("-", " "), *product.tags]
        keywords.extend(product.attributes.values())
        return cls(
            name=fold(product.name),
            keywords=fold(" ".join(keywords)),
            description=fold(product.description),
        )


class ProductSearch(BaseModel):
    """What `GET /products` filters on; every field is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=200, examples=["barolo nebbiolo"])
    category: CategorySlug | None = Field(default=None, examples=["vino-rosso"])
    min_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    in_stock: bool = False
    colour: str | None = Field(default=None, max_length=40, examples=["red"])
    include_inactive: bool = False
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    @field_validator("q", "category", "colour", "min_price", "max_price", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("colour")
    @classmethod
    def _canonical_colour(cls, value: str | None) -> str | None:
        return None if value is None else canonical_colour(value)

    @model_validator(mode="after")
    def _price_range_in_order(self) -> Self:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price is above max_price")
        return self

    @property
    def terms(self) -> list[str]:
        """The words to match; empty when `q` has none worth matching (then all rows match)."""
        return search_terms(self.q) if self.q else []
