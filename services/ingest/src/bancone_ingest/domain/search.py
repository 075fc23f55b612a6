"""Hybrid ranking: Qdrant applies the structured filters, this module fuses the scores.

Fusion is a convex combination of two scores already on a 0..1 scale, so no per-query
min-max normalisation is needed (which would inflate a lone weak candidate to 1.0):

    score = VECTOR_WEIGHT * max(cosine, 0) + (1 - VECTOR_WEIGHT) * keyword

`keyword` is the idf-weighted share of the query's folded terms found in the document's
name/category/tags/attribute keywords (see `keywords.py`); the idf is taken over the
candidates, so a word every candidate shares ("vino" among wines) adds nothing. The weight
was chosen on the retrieval set in `services/ingest/bench/` (docs/embeddings.md).

Vectors do not understand price, so price questions use filters and a price order: the
candidates scoring at least PRICE_ORDER_FLOOR of the best one are sorted by price, which
keeps an unrelated cheap item from jumping ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bancone_ingest.domain.documents import SEARCHABLE_KINDS, Kind, Payload
from bancone_ingest.domain.keywords import (
    canonical_colour,
    fold,
    keyword_score,
    term_weights,
    terms,
)

Order = Literal["relevance", "price_asc", "price_desc"]

VECTOR_WEIGHT = 0.6
PRICE_ORDER_FLOOR = 0.5
MAX_LIMIT = 50


class InvalidQueryError(ValueError):
    """A search request that cannot be answered as asked (bad limit, kind or price range)."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a caller asks for; `attributes` may hold `colour` in any supported language."""

    text: str = ""
    kinds: tuple[Kind, ...] = ()
    category: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock_only: bool = False
    limit: int = 5
    order: Order = "relevance"

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidQueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if unknown := set(self.kinds) - set(SEARCHABLE_KINDS):
            raise InvalidQueryError(f"unknown kinds: {sorted(unknown)}")
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise InvalidQueryError("min_price is above max_price")

    @property
    def colour(self) -> str | None:
        """The requested colour in the catalog's canonical form (rosso, tinto → red)."""
        value = self.attributes.get("colour")
        return canonical_colour(value) if value else None

    @property
    def facets(self) -> dict[str, str]:
        """Requested attributes other than colour, folded as the payload stores them."""
        return {k: fold(v) for k, v in self.attributes.items() if k != "colour" and v}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A point Qdrant returned for the query, with its cosine similarity."""

    payload: Payload
    vector_score: float


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked result, shaped like the search endpoint's response items."""

    kind: Kind
    entity_id: str
    score: float
    title: str
    text: str
    payload: Payload


def fuse(vector_score: float, keyword: float, vector_weight: float = VECTOR_WEIGHT) -> float:
    """The hybrid score of one document (see the module docstring)."""
    return vector_weight * max(vector_score, 0.0) + (1.0 - vector_weight) * keyword


def is_current(payload: Payload, now: datetime) -> bool:
    """False for an inactive entity or an offer outside its validity bounds."""
    if not payload.get("active", True):
        return False
    start, end = payload.get("valid_from"), payload.get("valid_until")
    if start and datetime.fromisoformat(start) > now:
        return False
    return not (end and datetime.fromisoformat(end) < now)


def rank(
    tenant_id: str,
    query: SearchQuery,
    candidates: Iterable[Candidate],
    *,
    now: datetime,
    vector_weight: float = VECTOR_WEIGHT,
) -> list[Hit]:
    """Fuse, order and cut the candidates; drops any not of `tenant_id` as a last guard."""
    best: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        if c.payload.get("tenant_id") != tenant_id or not is_current(c.payload, now):
            continue
        key = (c.payload["kind"], c.payload["entity_id"])
        if key not in best or best[key].vector_score < c.vector_score:
            best[key] = c
    query_terms = terms(query.text)
    weights = term_weights(query_terms, [c.payload.get("keywords", ()) for c in best.values()])
    hits = [
        _hit(
            c,
            fuse(
                c.vector_score,
                keyword_score(query_terms, c.payload.get("keywords", ()), weights),
                vector_weight,
            ),
        )
        for c in best.values()
    ]
    hits.sort(key=lambda h: (-h.score, h.title))
    if query.order != "relevance" and hits:
        floor = PRICE_ORDER_FLOOR * hits[0].score
        hits = sorted((h for h in hits if h.score >= floor), key=_price_key(query.order))
    return hits[: query.limit]


def _price_key(order: Order) -> Callable[[Hit], tuple[bool, float, float]]:
    sign = 1.0 if order == "price_asc" else -1.0

    def key(h: Hit) -> tuple[bool, float, float]:
        price = h.payload.get("price")
        return (price is None, sign * float(price or 0.0), -h.score)

    return key


def _hit(c: Candidate, score: float) -> Hit:
    p = c.payload
    return Hit(
        kind=p["kind"],
        entity_id=p["entity_id"],
        score=round(score, 6),
        title=p.get("title", ""),
        text=p.get("text", ""),
        payload=p,
    )
