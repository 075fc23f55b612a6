"""The catalog HTTP contract over the real app (router and problem table) and a migrated database."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_kit.db import session_factory
from bancone_kit.testing.tokens import TenantBearer, TokenSigner, bearer

pytestmark = pytest.mark.service

OutboxReader = Callable[[], Awaitable[list[CatalogEntityChanged]]]
SIGNER = TokenSigner()
ADMIN = bearer(SIGNER.operator("demo", "admin"))
"""Writes carry an admin's token; every other request a viewer's of the path's tenant."""
DEMO = Path(__file__).parents[4] / "deploy" / "local" / "demo"
BAROLO = {
    "sku": "BAR-19",
    "name": "Barolo",
    "category": "vino-rosso",
    "price": "39.9",
    "stock": 5,
    "attributes": {"colour": "red"},
}


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = SIGNER.install(build_http_app(CatalogSettings(), []), "catalog")
    app.state.session_factory = session_factory(engine)
    transport = httpx.ASGITransport(app=app)
    viewer = TenantBearer(SIGNER, "viewer")
    async with httpx.AsyncClient(
        transport=transport, base_url="http://catalog", auth=viewer
    ) as http:
        yield http


async def test_product_lifecycle_over_http(
    client: httpx.AsyncClient, outbox_events: OutboxReader
) -> None:
    created = await client.post("/v1/tenants/demo/products", json=BAROLO, headers=ADMIN)
    assert created.status_code == 201
    product = created.json()
    assert (product["price"], product["currency"]) == ("39.90", "EUR")
    path = f"/v1/tenants/demo/products/{product['id']}"

    assert (await client.get(path)).json() == product
    patched = await client.patch(path, json={"price": "35"}, headers=ADMIN)
    assert patched.json()["price"] == "35.00"
    sold = await client.post(f"{path}/stock", json={"delta": -2}, headers=ADMIN)
    assert sold.json()["stock"] == 3
    oversold = await client.post(f"{path}/stock", json={"delta": -9}, headers=ADMIN)
    assert oversold.status_code == 409
    assert oversold.headers["content-type"] == "application/problem+json"
    assert (await client.delete(path, headers=ADMIN)).status_code == 204
    assert (await client.get(path)).status_code == 404
    ops = [event.data.op for event in await outbox_events()]
    assert ops == ["upserted", "upserted", "stock_changed", "deleted"]


async def test_writes_need_an_admin_of_the_tenant_and_change_nothing_otherwise(
    client: httpx.AsyncClient, outbox_events: OutboxReader
) -> None:
    url = "/v1/tenants/demo/products"
    as_viewer = await client.post(url, json=BAROLO)
    forged = await client.post(url, json=BAROLO, headers=bearer("nope"))
    as_agent = await client.post(url, json=BAROLO, headers=bearer(SIGNER.operator("demo", "agent")))
    as_service = await client.post(
        url, json=BAROLO, headers=bearer(SIGNER.service("demo", "catalog"))
    )
    other_owner = await client.post(url, json=BAROLO, headers=bearer(SIGNER.operator("b", "owner")))
    upload = await client.post("/v1/tenants/demo/import", content=b"{}")

    statuses = [
        r.status_code for r in (as_viewer, forged, as_agent, as_service, other_owner, upload)
    ]
    assert statuses == [403, 401, 403, 403, 404, 403]
    assert all(r.headers["content-type"] == "application/problem+json" for r in (forged, upload))
    assert (await client.get(url)).json() == {"items": []}
    assert await outbox_events() == []


async def test_reads_answer_only_a_token_for_the_tenant(client: httpx.AsyncClient) -> None:
    url = "/v1/tenants/demo/products"
    assert (await client.post(url, json=BAROLO, headers=ADMIN)).status_code == 201
    for path in ("/products", "/faqs", "/offers", "/products?q=barolo"):
        anonymous = await client.get(f"/v1/tenants/demo{path}", headers={"Authorization": ""})
        foreign = await client.get(
            f"/v1/tenants/demo{path}", headers=bearer(SIGNER.service("other", "catalog"))
        )
        agent = await client.get(
            f"/v1/tenants/demo{path}", headers=bearer(SIGNER.service("demo", "catalog"))
        )
        assert (anonymous.status_code, foreign.status_code, agent.status_code) == (401, 404, 200)


async def test_search_parameters_filter_and_bad_ones_are_422(client: httpx.AsyncClient) -> None:
    cheap = {**BAROLO, "sku": "MON", "name": "Montepulciano", "price": "8.90"}
    for body in (BAROLO, cheap):
        assert (
            await client.post("/v1/tenants/demo/products", json=body, headers=ADMIN)
        ).status_code == 201

    found = await client.get(
        "/v1/tenants/demo/products",
        params={"q": "MONTEPULCIANO", "colour": "rosso", "max_price": "20", "in_stock": "true"},
    )
    too_many = await client.get("/v1/tenants/demo/products", params={"limit": "101"})
    bad_range = await client.get(
        "/v1/tenants/demo/products", params={"min_price": "30", "max_price": "10"}
    )

    assert [p["sku"] for p in found.json()["items"]] == ["MON"]
    assert (too_many.status_code, bad_range.status_code) == (422, 422)
    assert (await client.get("/v1/tenants/Not_A_Slug/products")).status_code == 422


async def test_batch_get_returns_found_in_order_and_lists_missing(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/tenants/demo/products", json=BAROLO, headers=ADMIN)
    known, unknown = created.json()["id"], str(uuid.uuid4())

    batch = await client.get(
        "/v1/tenants/demo/products:batchGet", params={"ids": f"{unknown},{known}"}
    )
    elsewhere = await client.get("/v1/tenants/other/products:batchGet", params={"ids": known})
    malformed = await client.get("/v1/tenants/demo/products:batchGet", params={"ids": "x"})

    assert [p["id"] for p in batch.json()["items"]] == [known]
    assert batch.json()["missing"] == [unknown]
    assert elsewhere.json() == {"items": [], "missing": [known]}
    assert malformed.status_code == 422


async def test_faqs_and_offers_round_trip(client: httpx.AsyncClient) -> None:
    await client.post("/v1/tenants/demo/products", json=BAROLO, headers=ADMIN)
    faq = {"key": "hours", "question": "Orari?", "answer": "9-19"}
    offer = {"code": "X", "title": "Natale", "discount_percent": "10", "product_skus": ["BAR-19"]}

    assert (await client.post("/v1/tenants/demo/faqs", json=faq, headers=ADMIN)).status_code == 201
    again = await client.post("/v1/tenants/demo/faqs", json=faq, headers=ADMIN)
    made = await client.post("/v1/tenants/demo/offers", json=offer, headers=ADMIN)
    unknown = await client.post(
        "/v1/tenants/demo/offers",
        json={**offer, "code": "Y", "product_skus": ["NO"]},
        headers=ADMIN,
    )

    assert again.status_code == 409
    assert made.json()["discount_percent"] == "10.00"
    assert (unknown.status_code, unknown.json()["skus"]) == (422, ["NO"])
    assert [f["key"] for f in (await client.get("/v1/tenants/demo/faqs")).json()["items"]] == [
        "hours"
    ]
    assert (await client.get("/v1/tenants/demo/offers")).json()["items"][0]["code"] == "X"


async def test_import_of_a_bad_csv_lists_every_issue_and_imports_nothing(
    client: httpx.AsyncClient, outbox_events: OutboxReader
) -> None:
    csv = "sku,name,category,price\nA,Uno,olio,10\nB,Due,olio,-1\nC,,olio,5\n"

    response = await client.post(
        "/v1/tenants/demo/import",
        content=csv.encode(),
        params={"kind": "product"},
        headers={**ADMIN, "Content-Type": "text/csv"},
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Import rejected"
    assert [(i["line"], i["field"]) for i in problem["issues"]] == [(3, "price"), (4, "name")]
    assert (await client.get("/v1/tenants/demo/products")).json() == {"items": []}
    assert await outbox_events() == []


async def test_import_of_the_demo_files_like_the_cli_sends_them(
    client: httpx.AsyncClient,
) -> None:
    assert (DEMO / "enoteca.json").exists(), "the demo catalogue belongs in the repository"
    as_json = (DEMO / "enoteca.json").read_bytes()
    as_csv = (DEMO / "enoteca-products.csv").read_bytes()

    first = await client.post(
        "/v1/tenants/demo/import",
        content=as_json,
        params={"filename": "enoteca.json"},
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    csv = await client.post(
        "/v1/tenants/demo/import",
        content=as_csv,
        params={"filename": "enoteca-products.csv", "kind": "product"},
        headers={**ADMIN, "Content-Type": "text/csv; charset=utf-8"},
    )

    assert first.status_code == 200
    products = len(json.loads(as_json)["products"])
    assert first.json()["products"] == {"created": products, "updated": 0, "unchanged": 0}
    assert csv.json()["products"]["created"] == 0
    listed = await client.get(
        "/v1/tenants/demo/products", params={"include_inactive": "true", "limit": "100"}
    )
    assert len(listed.json()["items"]) == products


async def test_an_oversized_import_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/tenants/demo/import",
        content=b" " * (20 * 1024 * 1024 + 1),
        headers={**ADMIN, "Content-Type": "application/json"},
    )

    assert response.status_code == 413
