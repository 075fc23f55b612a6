"""Stand-ins for the agent's tests: the catalog and ingest HTTP APIs serving fixed data.

`FakeShopApi` answers the routes `HttpShopTools` calls, in the real services' JSON shapes,
for any number of tenants, and records every request, so a test can assert which tenant's
URLs were called. Ingest's copy of a product can be made stale (`ingest_prices`), extra
hits injected (`extra_hits`), and either service switched to 503 (`down`). `serve` runs any
ASGI app on a free loopback port for tests that need a real socket.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

NOW = datetime(2025, 11, 1, tzinfo=UTC).isoformat()


def catalog_product(
    tenant_id: str,
    sku: str,
    name: str,
    price: str,
    *,
    stock: int = 5,
    category: str = "vino-rosso",
    colour: str | None = "red",
    tags: tuple[str, ...] = (),
    active: bool = True,
) -> dict[str, Any]:
    """A product as the catalog API returns it (`ProductPublic`)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{sku}")),
        "tenant_id": tenant_id,
        "sku": sku,
        "name": name,
        "description": "",
        "category": category,
        "price": f"{Decimal(price):.2f}",
        "currency": "EUR",
        "stock": stock,
        "active": active,
        "attributes": {"colour": colour} if colour else {},
        "tags": list(tags),
        "created_at": NOW,
        "updated_at": NOW,
    }


def catalog_faq(
    tenant_id: str, key: str, question: str, answer: str, language: str = "it"
) -> dict[str, Any]:
    """A FAQ as the catalog API returns it (`FaqPublic`)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/faq/{key}")),
        "tenant_id": tenant_id,
        "key": key,
        "question": question,
        "answer": answer,
        "language": language,
        "tags": [],
        "created_at": NOW,
        "updated_at": NOW,
    }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    body: dict[str, Any] | None


@dataclass
class FakeShopApi:
    """Catalog + ingest for several tenants; the data is plain JSON a test edits freely."""

    products: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faqs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    offers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ingest_prices: dict[str, str] = field(default_factory=dict)
    """Product id → the (stale) price ingest has indexed instead of the catalog's."""
    extra_hits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Tenant → hits ingest returns first whatever the query (a misbehaving index)."""
    down: set[str] = field(default_factory=set)
    """`catalog` and/or `ingest`: answer 503 to everything."""
    hang: set[str] = field(default_factory=set)
    """`catalog` and/or `ingest`: never answer (until the server stops)."""
    requests: list[RecordedRequest] = field(default_factory=list)
    _never: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Any:
            raw = await request.body()
            body = await request.json() if raw else None
            self.requests.append(
                RecordedRequest(request.method, request.url.path, request.url.query, body)
            )
            service = "ingest" if request.url.path.endswith("/search") else "catalog"
            if service in self.down:
                return JSONResponse({"title": "down"}, status_code=503)
            if service in self.hang:
                await self._never.wait()
            return await call_next(request)

        @app.post("/v1/auth/service-token")
        async def service_token(request: Request) -> dict[str, Any]:
            """The gateway's mint, for tests that point the agent's `gateway_url` here."""
            body = await request.json()
            return {
                "access_token": f"svc.{body['tenant_id']}.{body['audience']}",
                "expires_in": 300,
            }

        @app.post("/v1/tenants/{tenant_id}/search")
        async def search(tenant_id: str, request: Request) -> dict[str, Any]:
            return {"hits": self._search(tenant_id, await request.json())}

        @app.get("/v1/tenants/{tenant_id}/products")
        async def list_products(tenant_id: str, request: Request) -> dict[str, Any]:
            return {"items": self._list(tenant_id, dict(request.query_params))}

        @app.get("/v1/tenants/{tenant_id}/products:batchGet")
        async def batch_get(tenant_id: str, ids: str) -> dict[str, Any]:
            own = {p["id"]: p for p in self.products.get(tenant_id, [])}
            wanted = [i for i in ids.split(",") if i]
            return {
                "items": [own[i] for i in wanted if i in own],
                "missing": [i for i in wanted if i not in own],
            }

        @app.get("/v1/tenants/{tenant_id}/products/{product_id}")
        async def get_product(tenant_id: str, product_id: str) -> JSONResponse:
            for p in self.products.get(tenant_id, []):
                if p["id"] == product_id:
                    return JSONResponse(p)
            return JSONResponse({"title": "product not found", "status": 404}, status_code=404)

        @app.get("/v1/tenants/{tenant_id}/faqs")
        async def list_faqs(tenant_id: str) -> dict[str, Any]:
            return {"items": self.faqs.get(tenant_id, [])}

        @app.post("/v1/tenants/{tenant_id}/faqs")
        async def create_faq(tenant_id: str, request: Request) -> JSONResponse:
            """Like the catalog's: 201, or 409 when the key exists (the caller's token is
            recorded by the middleware, checked by the test)."""
            body = await request.json()
            faqs = self.faqs.setdefault(tenant_id, [])
            if any(f["key"] == body["key"] for f in faqs):
                return JSONResponse({"title": "Faq already exists", "status": 409}, status_code=409)
            faq = catalog_faq(
                tenant_id, body["key"], body["question"], body["answer"], body["language"]
            )
            faqs.append(faq)
            return JSONResponse(faq, status_code=201)

        @app.get("/v1/tenants/{tenant_id}/offers")
        async def list_offers(tenant_id: str) -> dict[str, Any]:
            return {"items": self.offers.get(tenant_id, [])}

        return app

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _search(self, tenant_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        kinds = body.get("kinds") or ["product", "faq", "offer"]
        words = _words(body.get("text", ""))
        hits = list(self.extra_hits.get(tenant_id, []))
        if "product" in kinds:
            for p in self.products.get(tenant_id, []):
                price = Decimal(self.ingest_prices.get(p["id"], p["price"]))
                if _fits(p, price, body):
                    hits.append(_product_hit(p, price, _overlap(words, p)))
        if "faq" in kinds:
            for f in self.faqs.get(tenant_id, []):
                hits.append(_faq_hit(f, _overlap(words, f)))
        hits.sort(key=lambda h: -float(h["score"]))
        return hits[: int(body.get("limit", 5))]

    def _list(self, tenant_id: str, params: dict[str, str]) -> list[dict[str, Any]]:
        words = _words(params.get("q", ""))
        found = []
        for p in self.products.get(tenant_id, []):
            if not p["active"] or not _fits(p, Decimal(p["price"]), _filters(params)):
                continue
            if words and not _overlap(words, p):
                continue
            found.append(p)
        found.sort(key=lambda p: (-_overlap(words, p), Decimal(p["price"])))
        return found[: int(params.get("limit", 20))]


def _filters(params: dict[str, str]) -> dict[str, Any]:
    return {
        "category": params.get("category"),
        "attributes": {"colour": params["colour"]} if params.get("colour") else None,
        "min_price": params.get("min_price"),
        "max_price": params.get("max_price"),
        "in_stock_only": params.get("in_stock") == "true",
    }


def _fits(p: dict[str, Any], price: Decimal, body: dict[str, Any]) -> bool:
    colour = (body.get("attributes") or {}).get("colour")
    if colour and p["attributes"].get("colour") != colour:
        return False
    if body.get("category") and p["category"] != body["category"]:
        return False
    if body.get("min_price") is not None and price < Decimal(str(body["min_price"])):
        return False
    if body.get("max_price") is not None and price > Decimal(str(body["max_price"])):
        return False
    return not (body.get("in_stock_only") and p["stock"] <= 0)


def _words(text: str) -> set[str]:
    return {w for w in text.casefold().split() if len(w) > 2}


def _overlap(words: set[str], item: dict[str, Any]) -> int:
    text = " ".join(str(v) for v in item.values() if isinstance(v, str | list)).casefold()
    return sum(1 for w in words if w in text)


def _product_hit(p: dict[str, Any], price: Decimal, overlap: int) -> dict[str, Any]:
    return {
        "kind": "product",
        "entity_id": p["id"],
        "score": 0.5 + 0.1 * overlap,
        "title": p["name"],
        "text": p["description"],
        "payload": {
            "tenant_id": p["tenant_id"],
            "kind": "product",
            "entity_id": p["id"],
            "title": p["name"],
            "price": float(price),
            "price_text": str(price),
            "currency": p["currency"],
            "stock": p["stock"],
        },
    }


def _faq_hit(f: dict[str, Any], overlap: int) -> dict[str, Any]:
    return {
        "kind": "faq",
        "entity_id": f["id"],
        "score": 0.2 + 0.2 * overlap,
        "title": f["question"],
        "text": f["answer"],
        "payload": {"tenant_id": f["tenant_id"], "kind": "faq", "language": f["language"]},
    }


@asynccontextmanager
async def serve(app: FastAPI, *, start_timeout: float = 10.0) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a free 127.0.0.1 port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(start_timeout):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
