"""Bulk import: one transaction, upsert by natural key, idempotent, nothing left by a failure."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bancone_catalog import handlers
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import InvalidImportError
from bancone_catalog.domain.imports import ParsedCatalog, parse_catalog, parse_csv, parse_json
from bancone_catalog.domain.search import ProductSearch
from bancone_contracts.events.catalog import CatalogEntityChanged

pytestmark = pytest.mark.service

OutboxReader = Callable[[], Awaitable[list[CatalogEntityChanged]]]
DEMO = Path(__file__).parents[4] / "deploy" / "local" / "demo" / "enoteca.json"
EVERYTHING = ProductSearch(limit=100, include_inactive=True)

CATALOG = {
    "products": [
        {"sku": "BAR-19", "name": "Barolo", "category": "vino-rosso", "price": "39.90", "stock": 4},
        {"sku": "OLI-1", "name": "Olio EVO", "category": "olio", "price": "12", "stock": 10},
    ],
    "faqs": [{"key": "hours", "question": "Orari?", "answer": "9-19"}],
    "offers": [
        {"code": "XMAS", "title": "Natale", "discount_percent": "10", "product_skus": ["BAR-19"]}
    ],
}


def catalog_file(**sections: object) -> ParsedCatalog:
    return parse_json(json.dumps({**CATALOG, **sections}))


async def test_import_creates_everything_with_one_event_per_row_and_reports_progress(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    seen: list[tuple[int, int]] = []

    report = await handlers.import_catalog(
        "demo", catalog_file(), uow, lambda done, total: seen.append((done, total))
    )

    assert (report.products.created, report.faqs.created, report.offers.created) == (2, 1, 1)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    events = await outbox_events()
    assert [e.data.entity_kind for e in events] == ["product", "product", "faq", "offer"]
    products = await handlers.search_products("demo", EVERYTHING, uow)
    barolo = next(p for p in products if p.sku == "BAR-19")
    offer_snapshot = events[-1].data.snapshot
    assert offer_snapshot is not None
    assert offer_snapshot.kind == "offer"
    assert offer_snapshot.product_ids == (str(barolo.id),)


async def test_reimporting_the_same_file_changes_and_publishes_nothing(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    first = await handlers.import_catalog("demo", catalog_file(), uow)
    before = await handlers.search_products("demo", EVERYTHING, uow)

    again = await handlers.import_catalog("demo", catalog_file(), uow)

    assert first.changed == 4
    assert again.changed == 0
    assert again.products.unchanged == 2
    assert await handlers.search_products("demo", EVERYTHING, uow) == before
    assert len(await outbox_events()) == 4


async def test_reimport_updates_by_sku_and_keeps_fields_the_file_leaves_out(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    await handlers.import_catalog("demo", catalog_file(), uow)
    csv = "sku,name,category,price\nBAR-19,Barolo 2019,vino-rosso,35\nNEW-1,Novello,vino-rosso,8\n"

    report = await handlers.import_catalog("demo", parse_csv(csv, "product"), uow)

    assert (report.products.created, report.products.updated) == (1, 1)
    products = {p.sku: p for p in await handlers.search_products("demo", EVERYTHING, uow)}
    assert len(products) == 3
    assert (products["BAR-19"].name, products["BAR-19"].price) == ("Barolo 2019", Decimal("35.00"))
    assert products["BAR-19"].stock == 4  # no stock column: the stored stock stays
    assert len(await outbox_events()) == 6


async def test_offer_naming_an_unknown_sku_rejects_the_whole_import(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    offers = [{"code": "X", "title": "x", "discount_percent": "5", "product_skus": ["NOPE"]}]

    with pytest.raises(InvalidImportError) as caught:
        await handlers.import_catalog("demo", catalog_file(offers=offers), uow)

    [issue] = caught.value.issues
    assert issue.path == "offers[0].product_skus"
    assert await handlers.search_products("demo", EVERYTHING, uow) == []
    assert await outbox_events() == []


async def test_an_import_failing_half_way_leaves_no_row_and_no_event(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    def fail_on_third_row(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await handlers.import_catalog("demo", catalog_file(), uow, fail_on_third_row)

    assert await handlers.search_products("demo", EVERYTHING, uow) == []
    assert await handlers.list_faqs("demo", uow) == []
    assert await outbox_events() == []


async def test_demo_catalogue_imports_once_and_reimports_as_unchanged(
    uow: CatalogUnitOfWork, outbox_events: OutboxReader
) -> None:
    assert DEMO.exists(), "the demo catalogue belongs in the repository"
    parsed = parse_catalog(DEMO.read_bytes(), filename=DEMO.name)

    first = await handlers.import_catalog("demo", parsed, uow)
    again = await handlers.import_catalog("demo", parsed, uow)

    assert first.changed == parsed.total
    assert again.changed == 0
    assert len(await outbox_events()) == parsed.total
    assert len(await handlers.search_products("demo", EVERYTHING, uow)) == len(parsed.products)


async def test_translations_import_from_json_and_csv_and_are_stored_per_language(
    uow: CatalogUnitOfWork,
) -> None:
    faq = {
        **CATALOG["faqs"][0],  # type: ignore[index]
        "translations": {"en": {"answer": "9am-7pm"}, "es": {"question": "¿Horario?"}},
    }
    await handlers.import_catalog("demo", catalog_file(faqs=[faq]), uow)
    csv = "code;title;discount_percent;title.en;description.es\nXMAS;Natale;10;Christmas;Navidad\n"
    await handlers.import_catalog("demo", parse_csv(csv, "offer"), uow)

    (stored,) = await handlers.list_faqs("demo", uow)
    (offer,) = await handlers.list_offers("demo", uow)
    assert stored.translations == {"en": {"answer": "9am-7pm"}, "es": {"question": "¿Horario?"}}
    assert offer.translations == {"en": {"title": "Christmas"}, "es": {"description": "Navidad"}}
    again = await handlers.import_catalog("demo", catalog_file(faqs=[faq]), uow)
    assert again.faqs.unchanged == 1


def test_a_field_that_is_not_translatable_is_refused_with_its_column() -> None:
    with pytest.raises(InvalidImportError) as raised:
        parse_csv("key;question;answer;key.en\nh;Orari?;9-19;hours\n", "faq")
    assert "key.en" in str(raised.value.issues) or "key.en" in str(raised.value)
    with pytest.raises(InvalidImportError):
        catalog_file(faqs=[{**CATALOG["faqs"][0], "translations": {"en": {"key": "x"}}}])  # type: ignore[index]
