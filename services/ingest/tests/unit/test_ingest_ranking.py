"""Hybrid ranking: vector and keyword scores fused, price ordering, last-line tenant guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bancone_ingest.domain import (
    Candidate,
    InvalidQueryError,
    Offer,
    Product,
    SearchQuery,
    build_document,
    fuse,
    rank,
)
from bancone_ingest.domain.search import VECTOR_WEIGHT

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def wine(entity_id: str, name: str, price: str, colour: str = "red", tenant: str = "demo") -> dict:
    product = Product(
        id=entity_id,
        name=name,
        price=Decimal(price),
        category=f"vino-{'rosso' if colour == 'red' else 'bianco'}",
        attributes={"colour": colour},
    )
    return build_document(tenant, product).payload


BAROLO = wine("p-barolo", "Barolo DOCG", "42.00")
CHIANTI = wine("p-chianti", "Chianti Classico", "16.50")
MONTEPULCIANO = wine("p-montepulciano", "Montepulciano d'Abruzzo", "8.90")
SPAGHETTI = build_document(
    "demo",
    Product(
        id="p-spaghetti", name="Spaghetti di Gragnano", price=Decimal("3.20"), category="pasta"
    ),
).payload


def test_fusion_is_a_convex_combination_of_cosine_and_keyword_scores() -> None:
    assert fuse(1.0, 1.0) == pytest.approx(1.0)
    assert fuse(0.5, 0.0) == pytest.approx(VECTOR_WEIGHT * 0.5)
    assert fuse(0.0, 1.0) == pytest.approx(1 - VECTOR_WEIGHT)
    assert fuse(-0.3, 0.0) == 0.0


def test_exact_name_lifts_a_product_the_vectors_ranked_lower() -> None:
    candidates = [Candidate(CHIANTI, 0.55), Candidate(BAROLO, 0.45)]

    hits = rank("demo", SearchQuery(text="Avete il Barolo?"), candidates, now=NOW)

    assert [h.entity_id for h in hits] == ["p-barolo", "p-chianti"]


def test_vectors_decide_when_no_keyword_matches() -> None:
    candidates = [Candidate(CHIANTI, 0.40), Candidate(BAROLO, 0.62)]

    hits = rank("demo", SearchQuery(text="something to go with braised beef"), candidates, now=NOW)

    assert [h.entity_id for h in hits] == ["p-barolo", "p-chianti"]


def test_other_tenants_candidates_are_dropped() -> None:
    intruder = wine("p-barolo", "Barolo DOCG", "42.00", tenant="other-shop")

    hits = rank("demo", SearchQuery(text="Barolo"), [Candidate(intruder, 0.99)], now=NOW)

    assert hits == []


def test_inactive_and_expired_entities_are_dropped() -> None:
    retired = {**BAROLO, "active": False}
    expired = build_document(
        "demo", Offer(id="o-1", title="Barolo -10%", valid_until=NOW - timedelta(days=1))
    ).payload
    upcoming = build_document(
        "demo", Offer(id="o-2", title="Barolo -20%", valid_from=NOW + timedelta(days=1))
    ).payload
    current = build_document(
        "demo", Offer(id="o-3", title="Barolo -5%", valid_until=NOW + timedelta(days=1))
    ).payload
    candidates = [Candidate(p, 0.9) for p in (retired, expired, upcoming, current)]

    hits = rank("demo", SearchQuery(text="Barolo"), candidates, now=NOW)

    assert [h.entity_id for h in hits] == ["o-3"]


def test_cheap_red_wine_with_price_order_puts_the_cheaper_red_first() -> None:
    # Vectors alone rank the famous Barolo above the cheaper reds.
    candidates = [Candidate(BAROLO, 0.62), Candidate(CHIANTI, 0.55), Candidate(MONTEPULCIANO, 0.50)]
    query = SearchQuery(text="a cheap red wine", attributes={"colour": "red"}, order="price_asc")

    hits = rank("demo", query, candidates, now=NOW)

    assert [h.entity_id for h in hits] == ["p-montepulciano", "p-chianti", "p-barolo"]


def test_price_order_leaves_out_unrelated_cheap_items() -> None:
    candidates = [Candidate(BAROLO, 0.62), Candidate(CHIANTI, 0.58), Candidate(SPAGHETTI, 0.05)]

    hits = rank("demo", SearchQuery(text="red wine", order="price_asc"), candidates, now=NOW)

    assert [h.entity_id for h in hits] == ["p-chianti", "p-barolo"]


def test_price_descending_puts_the_dearest_first() -> None:
    candidates = [Candidate(CHIANTI, 0.6), Candidate(BAROLO, 0.6)]

    hits = rank("demo", SearchQuery(text="vino", order="price_desc"), candidates, now=NOW)

    assert hits[0].entity_id == "p-barolo"


def test_duplicate_candidates_collapse_and_limit_cuts() -> None:
    candidates = [Candidate(CHIANTI, 0.3), Candidate(CHIANTI, 0.5), Candidate(BAROLO, 0.4)]

    hits = rank("demo", SearchQuery(text="vino", limit=1), candidates, now=NOW)

    assert len(hits) == 1
    assert hits[0].entity_id == "p-chianti"
    assert hits[0].title == "Chianti Classico"
    assert hits[0].payload["price_text"] == "16.50"


def test_query_colour_is_canonical_whatever_the_language() -> None:
    assert SearchQuery(attributes={"colour": "tinto"}).colour == "red"
    assert SearchQuery(attributes={"colour": "Rosso", "region": "Piemonte"}).facets == {
        "region": "piemonte"
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: SearchQuery(limit=0),
        lambda: SearchQuery(limit=51),
        lambda: SearchQuery(kinds=("recipe",)),  # type: ignore[arg-type]
        lambda: SearchQuery(min_price=Decimal("20"), max_price=Decimal("10")),
    ],
)
def test_unanswerable_queries_are_refused(make: object) -> None:
    with pytest.raises(InvalidQueryError):
        make()  # type: ignore[operator]
