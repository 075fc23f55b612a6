"""The search API over an in-memory index: the tenant comes from the path, refusals are 422
problems, index internals stay out of the answer, stats count per kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bancone_ingest.bootstrap import build_app
from bancone_ingest.domain import Hit, Product, SearchQuery, build_document
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.tokens import TenantBearer, TokenSigner
from services.ingest.tests.support import FakeIndex

pytestmark = pytest.mark.unit


class RecordingIndex(FakeIndex):
    """The fake index, remembering the tenant and query of every search."""

    def __init__(self) -> None:
        super().__init__()
        self.searches: list[tuple[str, SearchQuery]] = []

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]:
        self.searches.append((tenant_id, query))
        return await super().search(tenant_id, query)


@pytest.fixture
async def index() -> RecordingIndex:
    fake = RecordingIndex()
    for tenant, name in (("shop-a", "Barolo"), ("shop-b", "Rioja")):
        await fake.upsert(build_document(tenant, Product(id=f"p-{name}", name=name)))
    return fake


@pytest.fixture
async def client(index: RecordingIndex, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IngestSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite'}",
        qdrant_path=tmp_path / "qdrant",
        search_default_limit=7,
    )
    app = build_app(settings)
    app.state.index = index  # no lifespan: the real index is never opened
    signer = TokenSigner()
    signer.install(app, "ingest")
    transport = httpx.ASGITransport(app=app)
    auth = TenantBearer(signer, service="ingest")  # the agent's service token for the path's tenant
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest", auth=auth) as http:
        yield http


async def test_search_is_scoped_to_the_tenant_in_the_path(
    client: httpx.AsyncClient, index: RecordingIndex
) -> None:
    body: dict[str, Any] = {
        "text": "un rosso sotto i 20 euro",
        "kinds": ["product"],
        "category": "vino-rosso",
        "attributes": {"colour": "rosso"},
        "min_price": "5",
        "max_price": "20.00",
        "in_stock_only": True,
        "limit": 3,
    }
    response = await client.post("/v1/tenants/shop-a/search", json=body)

    assert response.status_code == 200
    [hit] = response.json()["hits"]
    assert (hit["kind"], hit["entity_id"], hit["title"]) == ("product", "p-Barolo", "Barolo")
    assert hit["payload"]["tenant_id"] == "shop-a"
    assert "keywords" not in hit["payload"], "index internals stay out of the answer"
    [(tenant, query)] = index.searches
    assert tenant == "shop-a"
    assert query.colour == "red"
    assert (query.limit, query.in_stock_only, str(query.max_price)) == (3, True, "20.00")


async def test_search_takes_the_default_limit_from_settings(
    client: httpx.AsyncClient, index: RecordingIndex
) -> None:
    response = await client.post("/v1/tenants/shop-b/search", json={"text": "vino"})

    assert response.status_code == 200
    assert [h["entity_id"] for h in response.json()["hits"]] == ["p-Rioja"]
    assert index.searches[-1][1].limit == 7


@pytest.mark.parametrize(
    ("path", "body", "title"),
    [
        ("/v1/tenants/Shop_A/search", {"text": "x"}, "Invalid tenant id"),
        ("/v1/tenants/shop-a/search", {"text": "x", "limit": 0}, "Invalid search query"),
        ("/v1/tenants/shop-a/search", {"text": "x", "limit": 51}, "Invalid search query"),
        (
            "/v1/tenants/shop-a/search",
            {"min_price": "30", "max_price": "20"},
            "Invalid search query",
        ),
        ("/v1/tenants/shop-a/search", {"kinds": ["wine"]}, "Request validation failed"),
        ("/v1/tenants/shop-a/search", {"tenant_id": "shop-b"}, "Request validation failed"),
        ("/v1/tenants/shop-a/search", {"max_price": "-1"}, "Request validation failed"),
    ],
)
async def test_invalid_searches_are_422_problems(
    client: httpx.AsyncClient, index: RecordingIndex, path: str, body: dict[str, Any], title: str
) -> None:
    response = await client.post(path, json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == title
    assert index.searches == []


async def test_stats_count_the_tenants_documents_per_kind(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/tenants/shop-a/stats")

    assert response.status_code == 200
    assert response.json() == {
        "tenant_id": "shop-a",
        "documents": {"product": 1, "service": 0, "faq": 0, "offer": 0},
        "total": 1,
    }
    assert (await client.get("/v1/tenants/-bad/stats")).status_code == 422


async def test_an_index_not_open_yet_answers_503(tmp_path: Path) -> None:
    settings = IngestSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite'}",
        qdrant_path=tmp_path / "qdrant",
    )
    app = build_app(settings)
    signer = TokenSigner()
    signer.install(app, "ingest")
    transport = httpx.ASGITransport(app=app)
    auth = TenantBearer(signer, "viewer")
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest", auth=auth) as http:
        response = await http.post("/v1/tenants/shop-a/search", json={"text": "x"})

    assert response.status_code == 503
    assert response.json()["title"] == "Index not ready"
    assert not (tmp_path / "qdrant").exists(), "building the app never opens the index"
