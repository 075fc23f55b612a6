"""The search filter parses what an HTTP query string gives it, and folds text for matching."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bancone_catalog.domain.products import ProductCreate
from bancone_catalog.domain.search import (
    MAX_LIMIT,
    FoldedProductText,
    ProductSearch,
    canonical_colour,
    search_terms,
)

pytestmark = pytest.mark.unit


def test_query_string_values_parse_into_typed_filters() -> None:
    search = ProductSearch.model_validate(
        {"q": "Barolo", "min_price": "5", "max_price": "20.5", "in_stock": "true", "limit": "7"}
    )

    assert (search.min_price, search.max_price) == (Decimal("5"), Decimal("20.5"))
    assert search.in_stock is True
    assert search.limit == 7


def test_blank_parameters_mean_no_filter() -> None:
    search = ProductSearch.model_validate({"q": " ", "category": "", "colour": "", "max_price": ""})

    assert (search.q, search.category, search.colour, search.max_price) == (None, None, None, None)
    assert search.terms == []


def test_limit_is_capped_at_one_hundred() -> None:
    assert ProductSearch(limit=MAX_LIMIT).limit == 100
    with pytest.raises(ValidationError):
        ProductSearch(limit=MAX_LIMIT + 1)
    with pytest.raises(ValidationError):
        ProductSearch(limit=0)


def test_price_range_must_be_in_order_and_not_negative() -> None:
    with pytest.raises(ValidationError, match="min_price is above max_price"):
        ProductSearch(min_price=Decimal(30), max_price=Decimal(20))
    with pytest.raises(ValidationError):
        ProductSearch(min_price=Decimal(-1))


def test_unknown_parameters_and_bad_category_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ProductSearch.model_validate({"colour": "red", "color": "red"})
    with pytest.raises(ValidationError):
        ProductSearch.model_validate({"category": "Vino Rosso"})


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("Rosso", "red"), ("tinto", "red"), ("RED", "red"), ("Rosé", "rose"), ("bianco", "white")],
)
def test_colour_words_in_any_language_map_to_the_canonical_colour(
    written: str, canonical: str
) -> None:
    assert canonical_colour(written) == canonical
    assert ProductSearch(colour=written).colour == canonical


def test_search_terms_are_folded_distinct_and_skip_stopwords() -> None:
    assert search_terms("Un VINO rosé del Piemonte, vino!") == ["vino", "rose", "piemonte"]
    assert search_terms("the red wine for a gift") == ["red", "wine", "gift"]
    assert search_terms("% _") == []


def test_folded_product_text_splits_name_keywords_and_description() -> None:
    product = ProductCreate(
        sku="CAF-1",
        name="Caffè Espresso",
        description="Tostatura MEDIA",
        category="caffe-grani",
        price=Decimal("9.90"),
        attributes={"origin": "Brasil"},
        tags=["Mokà"],
    )

    folded = FoldedProductText.of(product)

    assert folded.name == "caffe espresso"
    assert folded.keywords == "caf-1 caffe grani moka brasil"
    assert folded.description == "tostatura media"
