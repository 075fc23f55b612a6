"""Catalog entities become index documents: the text to embed and a filterable payload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bancone_ingest.domain import (
    Faq,
    InvalidTenantError,
    Offer,
    Product,
    Service,
    build_document,
    point_id,
    stock_payload,
)

pytestmark = pytest.mark.unit

GEWURZ = Product(
    id="p-7",
    sku="VB-GEWURZ-23",
    name="Gewürztraminer Alto Adige 2023",
    description="Bianco aromatico, litchi e petali di rosa.",
    category="vino-bianco",
    price=Decimal("19.90"),
    stock=4,
    attributes={"colour": "Bianco", "region": "Alto Adige"},
    tags=("aromatico",),
)


def test_product_payload_carries_tenant_and_structured_facets() -> None:
    doc = build_document("demo", GEWURZ)

    assert (doc.tenant_id, doc.kind, doc.entity_id) == ("demo", "product", "p-7")
    p = doc.payload
    assert p["tenant_id"] == "demo"
    assert p["kind"] == "product"
    assert p["category"] == "vino-bianco"
    assert p["colour"] == "white"
    assert p["facets"] == {"colour": "bianco", "region": "alto adige"}
    assert p["stock"] == 4
    assert p["in_stock"] is True
    assert p["active"] is True


def test_product_price_is_exact_text_and_a_float_for_ranges() -> None:
    payload = build_document("demo", GEWURZ).payload

    assert payload["price_text"] == "19.90"
    assert payload["price"] == pytest.approx(19.9)
    assert payload["currency"] == "EUR"


def test_product_text_names_it_and_its_category_for_the_embedder() -> None:
    text = build_document("demo", GEWURZ).text

    assert text.startswith("Gewürztraminer Alto Adige 2023. vino bianco. Bianco aromatico")
    assert "Alto Adige" in text


def test_product_keywords_are_folded_and_include_colour_words_in_three_languages() -> None:
    keywords = build_document("demo", GEWURZ).payload["keywords"]

    assert "gewurztraminer" in keywords
    assert {"whit", "bianc", "blanc"} <= set(keywords)
    assert "2023" not in keywords


def test_inactive_product_is_indexed_as_inactive() -> None:
    retired = Product(id="p-1", name="Vecchio Barolo", price=Decimal("30"), active=False)

    assert build_document("demo", retired).payload["active"] is False


@pytest.mark.parametrize(
    ("stock", "flag", "expected"),
    [(None, None, True), (0, None, False), (3, None, True), (3, False, False)],
)
def test_availability_follows_the_flag_else_the_quantity(
    stock: int | None, flag: bool | None, expected: bool
) -> None:
    assert stock_payload(stock, flag) == {"stock": stock, "in_stock": expected}


def test_faq_title_is_the_question_and_text_the_answer() -> None:
    faq = Faq(
        id="faq-1", question="Spedite all'estero?", answer="Sì, in tutta l'UE.", language="it"
    )

    doc = build_document("demo", faq)

    assert doc.kind == "faq"
    assert doc.payload["title"] == "Spedite all'estero?"
    assert doc.payload["text"] == "Sì, in tutta l'UE."
    assert doc.text == "Spedite all'estero? Sì, in tutta l'UE."


def test_offer_validity_is_stored_in_utc() -> None:
    rome = timezone(timedelta(hours=1))
    offer = Offer(
        id="o-1",
        title="Natale -15%",
        discount_percent=Decimal("15"),
        product_ids=("p-1",),
        valid_until=datetime(2026, 12, 31, 23, 0, tzinfo=rome),
    )

    payload = build_document("demo", offer).payload

    assert payload["valid_until"] == "2026-12-31T22:00:00+00:00"
    assert payload["discount_percent"] == "15"
    assert payload["product_ids"] == ["p-1"]


def test_offer_with_naive_validity_is_refused() -> None:
    offer = Offer(id="o-1", title="Natale", valid_from=datetime(2026, 12, 1))

    with pytest.raises(ValueError, match="timezone-aware"):
        build_document("demo", offer)


def test_service_is_indexed_with_its_price() -> None:
    tasting = Service(id="s-1", name="Degustazione guidata", price=Decimal("25.00"))

    doc = build_document("demo", tasting)

    assert doc.kind == "service"
    assert doc.payload["price_text"] == "25.00"
    assert doc.payload["in_stock"] is True


def test_point_id_is_deterministic_and_distinct_per_tenant_and_kind() -> None:
    first = build_document("demo", GEWURZ).point_id

    assert first == point_id("demo", "product", "p-7")
    assert first != point_id("other-shop", "product", "p-7")
    assert first != point_id("demo", "faq", "p-7")


@pytest.mark.parametrize("tenant", ["", "Demo", "a", "demo shop", "x" * 70])
def test_tenant_id_that_is_not_a_slug_is_refused(tenant: str) -> None:
    with pytest.raises(InvalidTenantError):
        build_document(tenant, GEWURZ)


def test_validity_bounds_keep_their_instant() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    payload = build_document("demo", Offer(id="o", title="t", valid_from=now)).payload

    assert datetime.fromisoformat(payload["valid_from"]) == now
