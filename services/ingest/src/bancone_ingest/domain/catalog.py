"""The catalog entities ingest indexes, as the catalog publishes them.

Plain frozen dataclasses mirroring the snapshots of `bancone.catalog.v1`: the consumer
translates events into these, so the indexing rules never depend on the wire format.
`id` is always the catalog's entity id (the event's `entity_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Product:
    """A sellable item. Unknown stock (`stock` None, `in_stock` None) counts as available."""

    id: str
    name: str
    price: Decimal | None = None
    description: str = ""
    category: str = ""
    currency: str = "EUR"
    stock: int | None = None
    in_stock: bool | None = None
    active: bool = True
    attributes: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    """Something the shop does rather than sells off the shelf (a tasting, gift wrapping)."""

    id: str
    name: str
    description: str = ""
    price: Decimal | None = None
    currency: str = "EUR"
    duration_minutes: int | None = None
    active: bool = True
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Faq:
    """A question the shop answers, in the language it was written in."""

    id: str
    question: str
    answer: str
    language: str = "it"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Offer:
    """A promotion, current between its tz-aware validity bounds when they are set."""

    id: str
    title: str
    description: str = ""
    discount_percent: Decimal | None = None
    product_ids: tuple[str, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True


CatalogEntity = Product | Service | Faq | Offer
