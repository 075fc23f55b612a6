from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from bancone_kit.http.app import create_app
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.settings import ServiceSettings

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


class CatalogError(Exception):
    """A plain domain exception: nothing HTTP about it."""


class ProductNotFoundError(CatalogError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product {sku}")
        self.sku = sku


class TeapotError(CatalogError):
    pass


class ConflictError(CatalogError):
    pass


ERRORS: ErrorProblems = {
    ProductNotFoundError: ErrorProblem(
        404,
        "Product not found",
        type_="https://bancone.dev/problems/product-not-found",
        extensions=lambda error: {"sku": error.sku},
    ),
    TeapotError: ErrorProblem(418, lambda error: f"Short and {error}", detail=lambda _: None),
    CatalogError: ErrorProblem(409),
}


class Order(BaseModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)


def build() -> FastAPI:
    app = create_app("test", ServiceSettings(service_name="test"), errors=ERRORS)

    @app.post("/orders")
    async def place(order: Order, channel: int) -> dict[str, str]:
        return {"sku": order.sku}

    @app.get("/products/{sku}")
    async def product(sku: str) -> dict[str, str]:
        raise ProductNotFoundError(sku)

    @app.get("/teapot")
    async def teapot() -> None:
        raise TeapotError("stout")

    @app.get("/conflict")
    async def conflict() -> None:
        raise ConflictError()

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise HTTPException(403, "not your tenant", headers={"X-Reason": "tenant"})

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("connection string postgres://u:hunter2@db")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build())
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_invalid_body_is_a_422_problem_with_one_entry_per_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/orders?channel=x", json={"sku": "", "quantity": 0})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422
    assert body["title"] == "Request validation failed"
    fields = {(e["location"], e["field"]): e for e in body["errors"]}
    assert set(fields) == {("body", "sku"), ("body", "quantity"), ("query", "channel")}
    assert fields["body", "quantity"]["pointer"] == "#/quantity"
    assert fields["body", "quantity"]["type"] == "greater_than"
    assert "input" not in fields["body", "sku"]


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"
    assert body["instance"] == "/nowhere"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_domain_error_maps_to_its_own_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/products/sku-1")

    assert response.status_code == 404
    assert response.json() == {
        "type": "https://bancone.dev/problems/product-not-found",
        "title": "Product not found",
        "status": 404,
        "detail": "no product sku-1",
        "instance": "/products/sku-1",
        "request_id": response.headers["x-request-id"],
        "sku": "sku-1",
    }


async def test_a_title_may_be_read_off_the_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/teapot")
    assert response.status_code == 418
    assert response.json()["title"] == "Short and stout"
    assert "detail" not in response.json()


async def test_an_unlisted_subclass_takes_its_bases_row_and_the_status_phrase(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Conflict"
    assert "detail" not in response.json()


async def test_http_exception_keeps_its_detail_and_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/forbidden")

    assert response.status_code == 403
    assert response.headers["x-reason"] == "tenant"
    assert response.json()["detail"] == "not your tenant"


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/teapot")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM


async def test_unhandled_error_is_a_500_problem_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/crash")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["title"] == "Internal Server Error"
    assert "detail" not in body
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
