"""Turn catalog entities into index documents: the text to embed and the payload to filter on.

The payload carries everything search needs without a second lookup: the tenant (every
query filters on it), the structured facets Qdrant filters on (kind, category, colour,
price as a float for ranges, stock, active) and the folded keywords of the lexical score.
Prices stay exact in `price_text`; the float exists only for range filters and sorting.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from bancone_contracts.tenancy import is_tenant_id
from bancone_ingest.domain.catalog import CatalogEntity, Faq, Offer, Product, Service
from bancone_ingest.domain.keywords import COLOUR_WORDS, canonical_colour, fold, terms_of

Kind = Literal["product", "service", "faq", "offer", "document"]
KINDS: tuple[Kind, ...] = ("product", "service", "faq", "offer")
"""The catalog's kinds (what the catalog consumer indexes and `/stats` counts)."""
SEARCHABLE_KINDS: tuple[Kind, ...] = (*KINDS, "document")
"""Everything a search may ask for: the catalog's kinds and passages of uploaded documents."""
Payload = dict[str, Any]

_POINT_NAMESPACE = uuid.UUID("6f1d2c0e-8a57-5b0e-9d53-2b6c1a4e7f10")


class InvalidTenantError(ValueError):
    """A tenant id that is not a slug: refused before it reaches any query."""


def checked_tenant_id(tenant_id: str) -> str:
    """Return the tenant id if it is a valid slug, else raise InvalidTenantError."""
    if not is_tenant_id(tenant_id):
        raise InvalidTenantError(f"invalid tenant id: {tenant_id!r}")
    return tenant_id


def point_id(tenant_id: str, kind: Kind, entity_id: str) -> str:
    """Deterministic point id, so re-indexing the same entity overwrites it."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{tenant_id}\x1f{kind}\x1f{entity_id}"))


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """One searchable point: `text` is embedded, `payload` is stored and filtered on."""

    tenant_id: str
    kind: Kind
    entity_id: str
    text: str
    payload: Payload

    @property
    def point_id(self) -> str:
        return point_id(self.tenant_id, self.kind, self.entity_id)


@dataclass(frozen=True, slots=True)
class EmbeddedText:
    """A text and its vector, computed ahead of a write (outside any transaction); a write
    uses it only for a document whose text is this one."""

    text: str
    vector: list[float]


def build_document(tenant_id: str, entity: CatalogEntity) -> IndexDocument:
    """The index document for any catalog entity of a tenant."""
    checked_tenant_id(tenant_id)
    if isinstance(entity, Product):
        return _product_document(tenant_id, entity)
    if isinstance(entity, Service):
        return _service_document(tenant_id, entity)
    if isinstance(entity, Faq):
        return _faq_document(tenant_id, entity)
    return _offer_document(tenant_id, entity)


def stock_payload(stock: int | None, in_stock: bool | None = None) -> Payload:
    """The payload fields a stock change rewrites (no re-embedding needed)."""
    return {"stock": stock, "in_stock": _available(stock, in_stock)}


def _product_document(tenant_id: str, p: Product) -> IndexDocument:
    colour = canonical_colour(p.attributes["colour"]) if p.attributes.get("colour") else None
    category_words = p.category.replace("-", " ").replace("_", " ")
    details = ", ".join(v for k, v in p.attributes.items() if k != "colour" and v)
    text = _sentences(p.name, category_words, p.description, details)
    keyword_fields = [p.name, category_words, *p.attributes.values(), *p.tags]
    if colour:
        keyword_fields.extend(COLOUR_WORDS.get(colour, ()))
    payload = _base_payload(tenant_id, "product", p.id, p.name, p.description, p.active)
    payload.update(
        sku=p.sku,
        category=p.category or None,
        colour=colour,
        attributes=dict(p.attributes),
        facets={k: fold(v) for k, v in p.attributes.items()},
        tags=list(p.tags),
        **_price(p.price, p.currency),
        **stock_payload(p.stock, p.in_stock),
        keywords=_keywords(keyword_fields),
    )
    return IndexDocument(tenant_id, "product", p.id, text, payload)


def _service_document(tenant_id: str, s: Service) -> IndexDocument:
    payload = _base_payload(tenant_id, "service", s.id, s.name, s.description, s.active)
    payload.update(
        tags=list(s.tags),
        duration_minutes=s.duration_minutes,
        **_price(s.price, s.currency),
        keywords=_keywords([s.name, *s.tags]),
    )
    return IndexDocument(tenant_id, "service", s.id, _sentences(s.name, s.description), payload)


def _faq_document(tenant_id: str, f: Faq) -> IndexDocument:
    payload = _base_payload(tenant_id, "faq", f.id, f.question, f.answer, True)
    payload.update(
        language=f.language, tags=list(f.tags), keywords=_keywords([f.question, *f.tags])
    )
    return IndexDocument(tenant_id, "faq", f.id, f"{f.question} {f.answer}", payload)


def _offer_document(tenant_id: str, o: Offer) -> IndexDocument:
    payload = _base_payload(tenant_id, "offer", o.id, o.title, o.description, o.active)
    payload.update(
        discount_percent=None if o.discount_percent is None else str(o.discount_percent),
        product_ids=list(o.product_ids),
        valid_from=_utc_iso(o.valid_from),
        valid_until=_utc_iso(o.valid_until),
        keywords=_keywords([o.title]),
    )
    return IndexDocument(tenant_id, "offer", o.id, _sentences(o.title, o.description), payload)


def _base_payload(
    tenant_id: str, kind: Kind, entity_id: str, title: str, text: str, active: bool
) -> Payload:
    # Kinds without stock are always "in stock", so an in-stock filter only hides products.
    return {
        "tenant_id": tenant_id,
        "kind": kind,
        "entity_id": entity_id,
        "title": title,
        "text": text,
        "active": active,
        "in_stock": True,
    }


def _price(price: Decimal | None, currency: str) -> Payload:
    if price is None:
        return {"price": None, "price_text": None, "currency": None}
    return {"price": float(price), "price_text": str(price), "currency": currency}


def _available(stock: int | None, in_stock: bool | None) -> bool:
    if in_stock is not None:
        return in_stock
    return stock is None or stock > 0


def _utc_iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("offer validity must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _sentences(*parts: str) -> str:
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def _keywords(fields: Iterable[str]) -> list[str]:
    return sorted(terms_of(fields))
