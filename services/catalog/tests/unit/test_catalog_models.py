"""Product, FAQ and offer models reject bad values at the boundary and render money exactly."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bancone_catalog.domain.faqs import FaqCreate
from bancone_catalog.domain.offers import OfferCreate, OfferUpdate
from bancone_catalog.domain.products import ProductCreate, ProductUpdate

pytestmark = pytest.mark.unit


def make_product(**fields: Any) -> ProductCreate:
    base: dict[str, Any] = {"sku": "A-1", "name": "Olio", "category": "olio", "price": "9.9"}
    return ProductCreate.model_validate({**base, **fields})


def test_price_is_kept_to_the_cent_and_leaves_as_a_string() -> None:
    product = make_product(price=12.5)

    assert product.price == Decimal("12.50")
    assert json.loads(product.model_dump_json())["price"] == "12.50"


@pytest.mark.parametrize("price", ["0", "-3", "1.999", "abc", "1e20"])
def test_price_must_be_positive_with_at_most_two_decimals(price: str) -> None:
    with pytest.raises(ValidationError):
        make_product(price=price)


def test_currency_must_be_an_iso_4217_code() -> None:
    assert make_product(currency="chf").currency == "CHF"
    with pytest.raises(ValidationError, match="ISO 4217"):
        make_product(currency="EURO")
    with pytest.raises(ValidationError, match="ISO 4217"):
        make_product(currency="XYZ")


def test_stock_cannot_be_negative_and_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        make_product(stock=-1)
    with pytest.raises(ValidationError):
        make_product(colour="red")


def test_attributes_names_are_normalised_and_empty_values_dropped() -> None:
    product = make_product(attributes={" Colour ": "red", "region": " "})

    assert product.attributes == {"colour": "red"}


def test_update_keeps_only_given_fields_and_refuses_explicit_nulls() -> None:
    update = ProductUpdate.model_validate({"price": "7", "stock": 3})

    assert update.changes() == {"price": Decimal("7.00"), "stock": 3}
    with pytest.raises(ValidationError, match="cannot be null: name"):
        ProductUpdate.model_validate({"name": None})
    with pytest.raises(ValidationError):
        ProductUpdate.model_validate({"sku": "B-2"})


def test_offer_dates_in_order_and_update_may_clear_them() -> None:
    with pytest.raises(ValidationError, match="valid_until is before valid_from"):
        OfferCreate(
            code="X",
            title="x",
            discount_percent=Decimal(5),
            valid_from=date(2025, 12, 2),
            valid_until=date(2025, 12, 1),
        )
    assert OfferUpdate.model_validate({"valid_until": None}).changes() == {"valid_until": None}
    with pytest.raises(ValidationError):
        OfferUpdate.model_validate({"title": None})


def test_offer_is_valid_within_its_inclusive_period() -> None:
    offer = OfferCreate(
        code="X", title="x", discount_percent=Decimal(5), valid_until=date(2025, 12, 24)
    )

    assert offer.is_valid_on(date(2025, 12, 24))
    assert not offer.is_valid_on(date(2025, 12, 25))


def test_faq_language_is_normalised() -> None:
    faq = FaqCreate(key="hours", question="Hours?", answer="9-19", language="EN")

    assert faq.language == "en"
