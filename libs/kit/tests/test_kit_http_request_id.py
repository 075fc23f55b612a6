from __future__ import annotations

import httpx
import pytest
import structlog

from bancone_kit.http.app import create_app
from bancone_kit.http.request_id import current_request_id, loggable_path
from bancone_kit.settings import ServiceSettings

pytestmark = pytest.mark.unit


@pytest.fixture
async def client() -> httpx.AsyncClient:
    app = create_app("test", ServiceSettings(service_name="test"))

    @app.get("/whoami")
    async def whoami() -> dict[str, str | None]:
        bound = structlog.contextvars.get_contextvars().get("request_id")
        return {"current": current_request_id(), "bound": bound}

    @app.get("/sync")
    def sync_whoami() -> dict[str, str | None]:
        return {"current": current_request_id()}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_incoming_request_id_is_echoed_and_bound(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers={"X-Request-ID": "req-42.a"})

    assert response.headers["x-request-id"] == "req-42.a"
    assert response.json() == {"current": "req-42.a", "bound": "req-42.a"}


async def test_missing_request_id_is_generated(client: httpx.AsyncClient) -> None:
    first = await client.get("/whoami")
    second = await client.get("/whoami")

    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.json()["bound"] == first.headers["x-request-id"]


@pytest.mark.parametrize("bad", ["has spaces", "x" * 129, "<script>"])
async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/whoami", headers={"X-Request-ID": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


async def test_sync_endpoints_see_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/sync", headers={"X-Request-ID": "sync-1"})
    assert response.json() == {"current": "sync-1"}


async def test_request_id_is_unset_after_the_request(client: httpx.AsyncClient) -> None:
    await client.get("/whoami", headers={"X-Request-ID": "gone-1"})
    assert current_request_id() is None
    assert "request_id" not in structlog.contextvars.get_contextvars()


def test_a_signed_links_token_never_reaches_the_access_log() -> None:
    assert loggable_path("/l/eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl") == "/l/[redacted]"
    assert loggable_path("/v1/tenants/demo/products") == "/v1/tenants/demo/products"
    assert loggable_path("/list") == "/list"
