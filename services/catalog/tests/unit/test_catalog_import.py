"""Import files are validated whole: every bad row reported where it is, or everything parsed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bancone_catalog.domain.errors import InvalidImportError
from bancone_catalog.domain.imports import (
    ImportIssue,
    ParsedCatalog,
    parse_catalog,
    parse_csv,
    parse_json,
)

pytestmark = pytest.mark.unit

DEMO_DIR = Path(__file__).parents[4] / "deploy" / "local" / "demo"
DEMO_FILE = DEMO_DIR / "enoteca.json"
DEMO_CSV = DEMO_DIR / "enoteca-products.csv"


def product(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Vino {sku}", "category": "vino-rosso", "price": "12.50", **fields}


def issues_of(call: Any, *args: Any, **kwargs: Any) -> list[ImportIssue]:
    with pytest.raises(InvalidImportError) as caught:
        call(*args, **kwargs)
    return caught.value.issues


def test_json_catalog_parses_every_kind_with_defaults() -> None:
    document = {
        "products": [product("BAR-19", attributes={"colour": "red"}, tags=["nebbiolo", " ", "x"])],
        "faqs": [{"key": "shipping", "question": "Spedite?", "answer": "Sì, in 48 ore."}],
        "offers": [{"code": "NATALE", "title": "Natale", "discount_percent": 10}],
    }

    parsed = parse_json(json.dumps(document))

    assert parsed.total == 3
    item = parsed.products[0].item
    assert (item.price, item.currency, item.stock, item.active) == (
        Decimal("12.50"),
        "EUR",
        0,
        True,
    )
    assert item.tags == ["nebbiolo", "x"]
    assert parsed.faqs[0].item.language == "it"
    assert parsed.offers[0].item.discount_percent == Decimal("10.00")


def test_json_reports_every_bad_row_by_path_and_index() -> None:
    document = {
        "products": [
            product("A"),
            product("B", price="0"),
            product("C"),
            product("D", price="abc", currency="EURO"),
        ],
        "faqs": [{"key": "hours", "question": "Orari?"}],
    }

    issues = issues_of(parse_json, json.dumps(document))

    assert sorted(issue.path for issue in issues) == [
        "faqs[0].answer",
        "products[1].price",
        "products[3].currency",
        "products[3].price",
    ]
    assert {issue.index for issue in issues if issue.kind == "product"} == {1, 3}
    assert all(issue.line is None for issue in issues)


def test_json_duplicate_sku_is_an_error_pointing_at_both_rows() -> None:
    document = {"products": [product("A"), product("B"), product("A")]}

    [issue] = issues_of(parse_json, json.dumps(document))

    assert issue.path == "products[2].sku"
    assert "first at index 0" in issue.message


def test_json_syntax_error_reports_its_line() -> None:
    [issue] = issues_of(parse_json, '{\n  "products": [\n    {"sku": "A",,}\n  ]\n}')

    assert issue.line == 3
    assert "not valid JSON" in issue.message


def test_json_unknown_section_and_non_list_section_are_errors() -> None:
    issues = issues_of(parse_json, json.dumps({"product": [], "faqs": {"key": "x"}}))

    assert {issue.path for issue in issues} == {"$.product", "faqs"}


def test_json_nested_field_errors_keep_their_path() -> None:
    document = {"products": [product("A", attributes={"colour": ""}, tags=["ok", 5])]}

    [issue] = issues_of(parse_json, json.dumps(document))

    assert issue.path == "products[0].tags[1]"


PRODUCTS_CSV = """\
sku,name,category,price,stock,attr.colour,attr.region,tags
BAR-19,Barolo 2019,vino-rosso,39.90,12,red,Piemonte,nebbiolo|regalo
VER-23,Vermentino,vino-bianco,14.5,0,white,,
"""


def test_csv_products_map_attribute_columns_lists_and_empty_cells() -> None:
    parsed = parse_csv(PRODUCTS_CSV, "product")

    barolo, vermentino = (row.item for row in parsed.products)
    assert barolo.attributes == {"colour": "red", "region": "Piemonte"}
    assert barolo.tags == ["nebbiolo", "regalo"]
    assert (barolo.price, barolo.stock) == (Decimal("39.90"), 12)
    assert vermentino.attributes == {"colour": "white"}
    assert vermentino.tags == []
    assert [row.ref.line for row in parsed.products] == [2, 3]


def test_csv_reports_every_bad_row_by_its_file_line() -> None:
    text = (
        "sku,name,category,price,description\n"  # line 1
        "A,Uno,vino-rosso,10,ok\n"  # line 2
        "\n"  # line 3: blank, skipped
        'B,Due,vino-rosso,-1,"two\nlines"\n'  # lines 4-5
        "C,Tre,Vino Rosso,10,ok\n"  # line 6: bad category
        "D,,vino-rosso,10.999,ok\n"  # line 7: no name, three decimals
    )

    issues = issues_of(parse_csv, text, "product")

    assert sorted((issue.line, issue.field) for issue in issues) == [
        (4, "price"),
        (6, "category"),
        (7, "name"),
        (7, "price"),
    ]
    assert str(next(i for i in issues if i.line == 6)).startswith("line 6, category:")


def test_csv_row_issues_are_all_reported_even_after_many_good_rows() -> None:
    good = "".join(f"S{n},Nome,olio,9.90\n" for n in range(200))
    text = "sku,name,category,price\n" + good + "BAD,Nome,olio,free\n" + good.replace("S", "T")

    [issue] = issues_of(parse_csv, text, "product")

    assert issue.line == 202


def test_csv_duplicate_sku_points_at_the_first_line() -> None:
    text = "sku,name,category,price\nA,x,olio,1\nB,y,olio,1\nA,z,olio,1\n"

    [issue] = issues_of(parse_csv, text, "product")

    assert (issue.line, issue.field) == (4, "sku")
    assert "first at line 2" in issue.message


def test_csv_header_problems_are_reported_on_line_one() -> None:
    issues = issues_of(parse_csv, "name,prize,name\nx,1,y\n", "product")

    assert all(issue.line == 1 for issue in issues)
    messages = " ".join(issue.message for issue in issues)
    assert "unknown column 'prize'" in messages
    assert "'name' appears twice" in messages
    assert "missing the 'sku' column" in messages


def test_csv_with_more_cells_than_columns_is_an_error() -> None:
    [issue] = issues_of(parse_csv, "key,question,answer\nk,q?,a,extra\n", "faq")

    assert issue.line == 2
    assert "4 cells" in issue.message


def test_csv_accepts_semicolons_and_a_byte_order_mark() -> None:
    raw = "\ufeffcode;title;discount_percent;product_skus;valid_from;valid_until\n"
    raw += "XMAS;Natale;15;BAR-19|VER-23;2025-12-01;2025-12-24\n"

    parsed = parse_csv(raw.encode(), "offer")

    offer = parsed.offers[0].item
    assert offer.product_skus == ["BAR-19", "VER-23"]
    assert offer.valid_until is not None
    assert offer.valid_until.day == 24


def test_csv_offer_period_out_of_order_is_an_error() -> None:
    text = "code,title,discount_percent,valid_from,valid_until\nX,x,5,2025-12-24,2025-12-01\n"

    [issue] = issues_of(parse_csv, text, "offer")

    assert issue.line == 2
    assert "valid_until is before valid_from" in issue.message


def test_csv_that_is_not_utf8_is_rejected_with_the_line() -> None:
    raw = "key,question,answer\nk,Perché?,Così\n".encode("latin-1")

    [issue] = issues_of(parse_csv, raw, "faq")

    assert issue.line == 2
    assert "UTF-8" in issue.message


def test_parse_catalog_picks_format_and_kind_from_name_or_content_type() -> None:
    faqs = "key,question,answer\nhours,Orari?,9-19\n"

    assert parse_catalog(faqs, filename="data/FAQS.csv").faqs[0].item.key == "hours"
    assert parse_catalog(faqs.encode(), content_type="text/csv", kind="faq").total == 1
    as_json = json.dumps({"products": [product("A")]}).encode()
    assert parse_catalog(as_json, content_type="application/json; charset=utf-8").total == 1
    assert parse_catalog(b"  " + as_json).total == 1
    assert parse_catalog(faqs, filename="enoteca-faqs.csv").total == 1
    [issue] = issues_of(parse_catalog, faqs, filename="export.csv")
    assert "needs a kind" in issue.message
    [issue] = issues_of(parse_catalog, faqs, filename="faqs-and-offers.csv")
    assert "needs a kind" in issue.message


def test_demo_file_imports_cleanly() -> None:
    assert DEMO_FILE.exists(), "the demo catalogue belongs in the repository"

    parsed: ParsedCatalog = parse_catalog(DEMO_FILE.read_bytes(), filename=DEMO_FILE.name)

    assert len(parsed.products) >= 25
    assert parsed.faqs
    assert parsed.offers
    wines = [r.item for r in parsed.products if r.item.category.startswith(("vino", "spumante"))]
    assert wines
    assert all(
        wine.attributes.get("colour") in {"red", "white", "rose", "sparkling"} for wine in wines
    )


def test_demo_products_csv_imports_cleanly_with_its_kind_from_the_name() -> None:
    assert DEMO_CSV.exists(), "the demo CSV belongs in the repository"

    parsed = parse_catalog(DEMO_CSV.read_bytes(), filename=DEMO_CSV.name)

    assert parsed.products
    assert not parsed.faqs
    assert all(
        row.item.attributes.get("colour") for row in parsed.products if "vino" in row.item.category
    )
