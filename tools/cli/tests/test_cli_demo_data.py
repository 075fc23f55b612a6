"""The demo shop's import files follow the shared import format and tell a useful story."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "local" / "demo"
CATEGORIES = {
    "vino-rosso",
    "vino-bianco",
    "spumante",
    "olio",
    "pasta",
    "formaggi",
    "salumi",
    "dolci",
}
WINE_CATEGORIES = {"vino-rosso", "vino-bianco", "spumante"}
COLOURS = {"red", "white", "rose", "sparkling"}


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DEMO / "enoteca.json").read_text(encoding="utf-8"))
    return document


def test_products_follow_the_import_format(demo: dict[str, Any]) -> None:
    products = demo["products"]
    assert 30 <= len(products) <= 40
    assert len({p["sku"] for p in products}) == len(products)
    for product in products:
        assert product["category"] in CATEGORIES
        assert isinstance(product["price"], str)
        assert Decimal(product["price"]) > 0
        assert re.fullmatch(r"\d+\.\d{2}", product["price"])
        assert product["currency"] == "EUR"
        assert isinstance(product["stock"], int)
        assert product["stock"] >= 0
        assert all(isinstance(v, str) for v in product["attributes"].values())
        assert product["tags"]
        if product["category"] in WINE_CATEGORIES:
            assert product["attributes"]["colour"] in COLOURS


def test_every_category_is_stocked(demo: dict[str, Any]) -> None:
    assert {p["category"] for p in demo["products"]} == CATEGORIES


def test_red_wines_sit_on_both_sides_of_20_euros(demo: dict[str, Any]) -> None:
    reds = [p for p in demo["products"] if p["attributes"].get("colour") == "red" and p["active"]]
    cheap_in_stock = [p for p in reds if Decimal(p["price"]) <= 20 and p["stock"] > 0]
    dear = [p for p in reds if Decimal(p["price"]) > 20]

    assert len(cheap_in_stock) >= 3
    assert len(dear) >= 3
    assert any(p["stock"] == 0 for p in demo["products"])


def test_faqs_cover_the_questions_customers_ask(demo: dict[str, Any]) -> None:
    faqs = demo["faqs"]
    assert {f["key"] for f in faqs} == {
        "spedizione",
        "orari",
        "pagamenti",
        "resi",
        "confezione-regalo",
    }
    assert all(f["language"] == "it" and f["question"] and f["answer"] for f in faqs)


def test_offers_point_at_existing_products(demo: dict[str, Any]) -> None:
    skus = {p["sku"] for p in demo["products"]}
    assert 1 <= len(demo["offers"]) <= 2
    for offer in demo["offers"]:
        assert 0 < Decimal(offer["discount_percent"]) < 100
        assert set(offer["product_skus"]) <= skus


def test_csv_rows_match_the_json_products(demo: dict[str, Any]) -> None:
    by_sku = {p["sku"]: p for p in demo["products"]}
    with (DEMO / "enoteca-products.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert len(rows) >= 3
    for row in rows:
        product = by_sku[row["sku"]]
        assert row["name"] == product["name"]
        assert row["price"] == product["price"]
        assert int(row["stock"]) == product["stock"]
        assert row["tags"].split("|") == product["tags"]
        attributes = {k[5:]: v for k, v in row.items() if k.startswith("attr.") and v}
        assert attributes == {k: v for k, v in product["attributes"].items() if f"attr.{k}" in row}
