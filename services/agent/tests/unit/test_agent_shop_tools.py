"""HttpShopTools: ingest finds, the catalog's prices and stock win, fallbacks keep answering,
and a tenant's tools only ever call that tenant's URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import ProductQuery, ToolError
from services.agent.tests.support.shop_api import FakeShopApi, catalog_faq, catalog_product

pytestmark = pytest.mark.unit

A, B = "enoteca-a", "bottega-b"
CATALOG, INGEST = "http://catalog.test", "http://ingest.test/"

CHIANTI = catalog_product(A, "CHI-1", "Chianti Classico", "14.50", tags=("vino",))
BAROLO = catalog_product(A, "BAR-1", "Barolo", "42.00", tags=("vino",))
NERO = catalog_product(A, "NER-1", "Nero d'Avola", "25.00", tags=("vino",))
VERMENTINO = catalog_product(A, "VER-1", "Vermentino", "12.00", colour="white")
SECRET = catalog_product(B, "SEC-1", "Amarone Riserva Segreta", "9.00", tags=("vino",))


@pytest.fixture
def shop() -> FakeShopApi:
    return FakeShopApi(
        products={A: [CHIANTI, BAROLO, NERO, VERMENTINO], B: [SECRET]},
        faqs={
            A: [catalog_faq(A, "ship", "Spedite all'estero?", "Sì, in tutta l'UE.")],
            B: [catalog_faq(B, "ship", "Spedite?", "Solo in Italia.")],
        },
    )


@pytest.fixture
async def http(shop: FakeShopApi) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shop.app())) as client:
        yield client


def tools_for(tenant_id: str, http: httpx.AsyncClient) -> HttpShopTools:
    return HttpShopTools(tenant_id, CATALOG, INGEST, http, attempts=2, retry_delay=0)


RED_UNDER_20 = ProductQuery(text="vino", colour="red", max_price=Decimal("20"))


async def test_prices_and_stock_come_from_the_catalog_not_from_ingest(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    shop.ingest_prices[CHIANTI["id"]] = "11.00"

    found = await tools_for(A, http).search_products(RED_UNDER_20)

    assert [(p.name, p.price) for p in found] == [("Chianti Classico", Decimal("14.50"))]
    assert any(path.endswith("/products:batchGet") for path in shop.paths())


async def test_a_product_ingest_still_thinks_cheap_is_dropped_when_the_catalog_price_is_over(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    shop.ingest_prices[NERO["id"]] = "18.00"

    found = await tools_for(A, http).search_products(RED_UNDER_20)

    assert [p.sku for p in found] == ["CHI-1"]


async def test_ingest_down_falls_back_to_catalog_search_after_one_retry(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    shop.down.add("ingest")

    found = await tools_for(A, http).search_products(RED_UNDER_20)

    assert [p.sku for p in found] == ["CHI-1"]
    assert [p for p in shop.paths() if p.endswith("/search")] == [f"/v1/tenants/{A}/search"] * 2
    [listed] = [r.query for r in shop.requests if r.path.endswith("/products")]
    assert {"colour=red", "max_price=20"} <= set(listed.split("&"))


async def test_ingest_finding_nothing_falls_back_to_catalog_search(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    shop.ingest_prices.update({CHIANTI["id"]: "99", NERO["id"]: "99", BAROLO["id"]: "99"})

    found = await tools_for(A, http).search_products(RED_UNDER_20)

    assert [p.sku for p in found] == ["CHI-1"]


async def test_catalog_down_is_a_tool_error(shop: FakeShopApi, http: httpx.AsyncClient) -> None:
    shop.down.update({"ingest", "catalog"})

    with pytest.raises(ToolError):
        await tools_for(A, http).search_products(RED_UNDER_20)


async def test_knowledge_comes_from_ingest_and_from_catalog_faqs_when_ingest_is_down(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    tools = tools_for(A, http)
    from_ingest = await tools.search_knowledge("spedite estero", ["faq"])
    shop.down.add("ingest")
    from_catalog = await tools.search_knowledge("spedite estero", ["faq"])

    assert [h.answer for h in from_ingest] == ["Sì, in tutta l'UE."]
    assert [h.answer for h in from_catalog] == ["Sì, in tutta l'UE."]
    assert from_catalog[0].language == "it"


async def test_tools_of_tenant_a_only_call_tenant_a_and_never_return_tenant_b_data(
    shop: FakeShopApi, http: httpx.AsyncClient
) -> None:
    # A misbehaving index hands tenant A a hit carrying tenant B's product id.
    shop.extra_hits[A] = [
        {"kind": "product", "entity_id": SECRET["id"], "score": 9.0, "payload": {}},
        {"kind": "product", "entity_id": SECRET["id"], "score": 9.0, "payload": {"tenant_id": B}},
    ]
    tools = tools_for(A, http)

    by_name = await tools.search_products(ProductQuery(text="Amarone Riserva Segreta"))
    by_budget = await tools.search_products(ProductQuery(text="vino", max_price=Decimal("10")))
    knowledge = await tools.search_knowledge("spedite", ["faq", "offer"])
    shop.down.add("ingest")
    fallback = await tools.search_products(ProductQuery(text="Amarone Segreta bottega-b"))

    assert SECRET["id"] not in {p.id for p in [*by_name, *by_budget, *fallback]}
    assert "Solo in Italia." not in {h.answer for h in knowledge}
    assert shop.requests, "the tools called the services"
    assert all(path.startswith(f"/v1/tenants/{A}/") for path in shop.paths())


@pytest.mark.parametrize("tenant_id", ["", "A", "a/../b", "a?x=1", "a:b", "a" * 64])
def test_tools_refuse_a_tenant_id_that_is_not_a_slug(
    tenant_id: str, http: httpx.AsyncClient
) -> None:
    with pytest.raises(ValueError, match="not a tenant id"):
        tools_for(tenant_id, http)
