"""Search and reads: text, filters and order on both engines, and never across tenants."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from bancone_catalog import handlers
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.errors import NotFoundError
from bancone_catalog.domain.imports import parse_json
from bancone_catalog.domain.products import ProductUpdate
from bancone_catalog.domain.search import ProductSearch

pytestmark = pytest.mark.service


def wine(sku: str, name: str, price: str, colour: str, **fields: object) -> dict[str, object]:
    category = {"red": "vino-rosso", "white": "vino-bianco", "rose": "vino-rosato"}[colour]
    return {
        "sku": sku,
        "name": name,
        "category": category,
        "price": price,
        "stock": 6,
        "attributes": {"colour": colour},
        **fields,
    }


SHOP_A: dict[str, list[dict[str, Any]]] = {
    "products": [
        wine("BAR", "Barolo", "42.00", "red", description="Nebbiolo delle Langhe"),
        wine("CHI", "Chianti Classico", "16.90", "red", tags=["toscana"]),
        wine("MON", "Montepulciano d'Abruzzo", "8.90", "red", description="Rosso morbido"),
        wine("BAR-OUT", "Barbera d'Asti", "12.50", "red", stock=0),
        wine("ROS", "Chiaretto Rosé", "11.00", "rose", description="100% fresco_frutta"),
        wine("VER", "Vermentino", "13.00", "white", active=False),
        {"sku": "OLI", "name": "Olio EVO", "category": "olio", "price": "15.00", "stock": 3},
    ],
    "faqs": [{"key": "hours", "question": "Orari?", "answer": "9-19"}],
    "offers": [{"code": "XMAS", "title": "Natale", "discount_percent": "10"}],
}
SHOP_B = {"products": [wine("B-1", "Nero d'Avola", "9.50", "red")]}


@pytest.fixture
async def shops(uow: CatalogUnitOfWork) -> None:
    await handlers.import_catalog("shop-a", parse_json(json.dumps(SHOP_A)), uow)
    await handlers.import_catalog("shop-b", parse_json(json.dumps(SHOP_B)), uow)


async def skus(uow: CatalogUnitOfWork, tenant_id: str = "shop-a", **filters: object) -> list[str]:
    search = ProductSearch.model_validate(filters)
    return [p.sku for p in await handlers.search_products(tenant_id, search, uow)]


@pytest.mark.usefixtures("shops")
async def test_without_filters_active_products_come_cheapest_first(uow: CatalogUnitOfWork) -> None:
    assert await skus(uow) == ["MON", "ROS", "BAR-OUT", "OLI", "CHI", "BAR"]
    assert "VER" in await skus(uow, include_inactive=True)


@pytest.mark.usefixtures("shops")
async def test_text_match_ignores_case_and_accents_in_name_tags_and_description(
    uow: CatalogUnitOfWork,
) -> None:
    assert await skus(uow, q="ROSE") == ["ROS"]
    assert await skus(uow, q="rosé") == ["ROS"]
    assert await skus(uow, q="Toscana") == ["CHI"]
    assert await skus(uow, q="nebbiolo") == ["BAR"]
    assert await skus(uow, q="d'abruzzo") == ["MON"]


@pytest.mark.usefixtures("shops")
async def test_relevance_orders_before_price(uow: CatalogUnitOfWork) -> None:
    # "rosso" is in every red's category (weight 2), "barolo" in one name (weight 3): BAR
    # leads although it is the dearest, the other reds tie and follow by price.
    assert await skus(uow, q="barolo rosso") == ["BAR", "MON", "BAR-OUT", "CHI"]


@pytest.mark.usefixtures("shops")
async def test_punctuation_in_the_query_only_separates_words(uow: CatalogUnitOfWork) -> None:
    assert await skus(uow, q="100%") == ["ROS"]
    assert await skus(uow, q="fresco_frutta!") == ["ROS"]
    assert await skus(uow, q="%_%") == await skus(uow)


@pytest.mark.usefixtures("shops")
async def test_filters_combine_category_price_stock_and_colour(uow: CatalogUnitOfWork) -> None:
    assert await skus(uow, category="vino-rosso", max_price="20") == ["MON", "BAR-OUT", "CHI"]
    assert await skus(uow, colour="rosso", max_price="20", in_stock="true") == ["MON", "CHI"]
    assert await skus(uow, min_price="12.50", max_price="15") == ["BAR-OUT", "OLI"]
    assert await skus(uow, colour="rosato") == ["ROS"]
    assert await skus(uow, limit="2") == ["MON", "ROS"]


@pytest.mark.usefixtures("shops")
async def test_a_colour_stored_in_another_language_is_found_by_the_canonical_one(
    uow: CatalogUnitOfWork,
) -> None:
    [olio] = await handlers.search_products("shop-a", ProductSearch(q="olio"), uow)
    await handlers.update_product(
        "shop-a", olio.id, ProductUpdate(attributes={"colour": "Verde"}), uow
    )

    assert await skus(uow, colour="verde") == ["OLI"]


@pytest.mark.usefixtures("shops")
async def test_tenant_b_never_sees_tenant_a_products_faqs_or_offers(
    uow: CatalogUnitOfWork,
) -> None:
    a_products = await handlers.search_products("shop-a", ProductSearch(), uow)
    a_ids = [p.id for p in a_products]

    assert await skus(uow, "shop-b") == ["B-1"]
    assert await skus(uow, "shop-b", q="barolo") == []
    assert await handlers.get_products("shop-b", a_ids, uow) == []
    for product_id in a_ids:
        with pytest.raises(NotFoundError):
            await handlers.get_product("shop-b", product_id, uow)
    with pytest.raises(NotFoundError):
        await handlers.update_product("shop-b", a_ids[0], ProductUpdate(price=Decimal(1)), uow)
    with pytest.raises(NotFoundError):
        await handlers.delete_product("shop-b", a_ids[0], uow)
    with pytest.raises(NotFoundError):
        await handlers.adjust_stock("shop-b", a_ids[0], 1, uow)
    assert await handlers.list_faqs("shop-b", uow) == []
    assert await handlers.list_offers("shop-b", uow) == []
    assert [p.id for p in await handlers.search_products("shop-a", ProductSearch(), uow)] == a_ids


@pytest.mark.usefixtures("shops")
async def test_the_same_sku_may_exist_in_two_tenants(uow: CatalogUnitOfWork) -> None:
    report = await handlers.import_catalog("shop-b", parse_json(json.dumps(SHOP_A)), uow)

    assert report.products.created == len(SHOP_A["products"])
    assert len(await skus(uow, "shop-a", include_inactive=True)) == 7


@pytest.mark.usefixtures("shops")
async def test_batch_get_keeps_the_order_asked_and_skips_unknown_ids(
    uow: CatalogUnitOfWork,
) -> None:
    products = await handlers.search_products("shop-a", ProductSearch(), uow)
    wanted = [products[2].id, products[0].id, products[2].id]

    found = await handlers.get_products("shop-a", wanted, uow)

    assert [p.id for p in found] == [products[2].id, products[0].id]
