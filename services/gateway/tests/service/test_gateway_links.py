"""Signed invoice links through the real gateway (bootstrap, PostgreSQL, Kafka) and a small real
catalog over HTTP: a service mints a link for its tenant; the link serves that tenant's invoice
PDF, fetched with a credential the gateway signs for that tenant only; every tampered, expired,
foreign or other-kind link gets the same 404 and no PDF."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY
from pydantic import SecretStr
from structlog.testing import capture_logs

from bancone_gateway.adapters.link_signer import LinkSigner
from bancone_gateway.domain.links import LinkGrant
from bancone_kit.auth import HttpJwks, InvalidTokenError, JwksCache, TokenVerifier
from bancone_kit.auth.service_tokens import ServiceTokenClient
from bancone_kit.crypto import Keyring, generate_key

pytestmark = pytest.mark.service

SERVICE_SECRET = "agent-service-secret-" + "z" * 16
LINK_KEYRING = f"links-1:{generate_key()}"
PUBLIC = "https://shop.example"
PDF = b"%PDF-1.7\n% a tiny stand-in invoice\n%%EOF\n"


@dataclass
class FakeCatalog:
    """Serves one paid order's invoice for one tenant (and one unpaid order), 404 otherwise;
    checks the caller's bearer with the gateway's JWKS as the real catalog does."""

    paid: tuple[str, str] = ("", "")
    unpaid: tuple[str, str] = ("", "")
    verifier: TokenVerifier | None = None
    callers: list[tuple[str, str | None]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        async def tenant_of_token(request: Request, tenant_id: str) -> bool:
            assert self.verifier is not None
            _scheme, _, token = request.headers.get("authorization", "").partition(" ")
            try:
                principal = await self.verifier.verify(token)
            except InvalidTokenError:
                return False
            self.callers.append((principal.subject, principal.tenant_id))
            return principal.tenant_id == tenant_id

        @app.get("/v1/tenants/{tenant_id}/orders/{order_id}")
        async def order(request: Request, tenant_id: str, order_id: str) -> Response:
            if not await tenant_of_token(request, tenant_id):
                return Response(status_code=404)
            if (tenant_id, order_id) == self.paid:
                body = {"order_id": order_id, "invoice": {"number": "2026-000001"}}
            elif (tenant_id, order_id) == self.unpaid:
                body = {"order_id": order_id, "invoice": None}
            else:
                return Response(status_code=404)
            return Response(httpx.Response(200, json=body).content, media_type="application/json")

        @app.get("/v1/tenants/{tenant_id}/orders/{order_id}/invoice.pdf")
        async def invoice(request: Request, tenant_id: str, order_id: str) -> Response:
            if not await tenant_of_token(request, tenant_id) or (tenant_id, order_id) != self.paid:
                return Response(status_code=404)
            return Response(PDF, media_type="application/pdf")

        return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class World:
    gateway: Any
    catalog: FakeCatalog
    tenant: str
    rival: str
    order: str

    async def service_headers(self, tenant: str, callee: str = "gateway") -> dict[str, str]:
        client = ServiceTokenClient(
            "http://gateway", "agent", SecretStr(SERVICE_SECRET), client=self.gateway.client
        )
        return await client.headers(tenant, callee)

    async def mint(self, tenant: str, resource_id: str, **body: Any) -> httpx.Response:
        response: httpx.Response = await self.gateway.client.post(
            f"/v1/internal/tenants/{tenant}/links",
            json={"kind": "invoice", "resource_id": resource_id, **body},
            headers=await self.service_headers(tenant),
        )
        return response

    async def open(self, url: str) -> httpx.Response:
        assert url.startswith(PUBLIC + "/l/"), url
        response: httpx.Response = await self.gateway.client.get(url.removeprefix(PUBLIC))
        return response


@pytest.fixture
async def world(
    make_gateway: Callable[..., Any], unique: Callable[[str], str]
) -> AsyncIterator[World]:
    catalog = FakeCatalog()
    async with (
        serving(catalog.app()) as catalog_url,
        make_gateway(
            service_clients=f"agent:{SERVICE_SECRET}",
            link_keyring=LINK_KEYRING,
            link_base_url=PUBLIC,
            links_catalog_url=catalog_url,
        ) as gateway,
    ):
        jwks = HttpJwks("http://gateway/.well-known/jwks.json", client=gateway.client)
        catalog.verifier = TokenVerifier(JwksCache(jwks, min_refresh_interval=0), service="catalog")
        tenant, rival, order = unique("shop"), unique("rival"), unique("ord")
        for slug in (tenant, rival):
            created = await gateway.client.post(
                "/v1/tenants", json={"id": slug, "name": slug}, headers=gateway.admin
            )
            assert created.status_code == 201, created.text
        catalog.paid = (tenant, order)
        catalog.unpaid = (tenant, order + "-unpaid")
        yield World(gateway, catalog, tenant, rival, order)


def _refusals() -> float:
    labels = {"kind": "invoice", "outcome": "refused"}
    return REGISTRY.get_sample_value("bancone_gateway_links_total", labels) or 0.0


def _without_request_details(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return {k: v for k, v in body.items() if k not in {"instance", "request_id"}}


async def test_a_minted_link_serves_the_tenants_invoice_pdf(world: World) -> None:
    before = datetime.now(UTC)
    minted = await world.mint(world.tenant, world.order)

    assert minted.status_code == 201, minted.text
    expires_at = datetime.fromisoformat(minted.json()["expires_at"])
    assert before + timedelta(days=7) - timedelta(seconds=1) <= expires_at
    assert expires_at <= datetime.now(UTC) + timedelta(days=7)
    token = minted.json()["url"].rsplit("/", 1)[1]
    with capture_logs() as logged:
        opened = await world.open(minted.json()["url"])

    assert opened.status_code == 200, opened.text
    access = [line["path"] for line in logged if line["event"] == "http.request"]
    assert "/l/[redacted]" in access, access
    assert token not in repr(logged), "a working link must not reach the logs"
    assert opened.content == PDF
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"] == 'inline; filename="invoice-2026-000001.pdf"'
    assert opened.headers["cache-control"] == "no-store"
    assert set(world.catalog.callers) == {("service:gateway", world.tenant)}


async def test_every_refused_link_is_the_same_404_without_a_pdf(world: World) -> None:
    url = (await world.mint(world.tenant, world.order)).json()["url"]
    token = url.rsplit("/", 1)[1]
    keyring = Keyring.parse(LINK_KEYRING)
    now = datetime.now(UTC)
    signer = LinkSigner(keyring)
    key = keyring.keys[keyring.current_id]
    other_kind = jwt.encode(
        {
            "aud": "bancone-link",
            "sub": world.order,
            "tid": world.tenant,
            "kind": "receipt",
            "exp": int((now + timedelta(days=1)).timestamp()),
        },
        key,
        algorithm="HS256",
        headers={"kid": keyring.current_id},
    )
    forged_key = LinkSigner(Keyring.parse(f"{keyring.current_id}:{generate_key()}"))
    grant = LinkGrant(world.tenant, "invoice", world.order, now + timedelta(days=1))
    refused = {
        "tampered": token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "expired": signer.sign(
            LinkGrant(world.tenant, "invoice", world.order, now - timedelta(seconds=1))
        ),
        "other key": forged_key.sign(grant),
        "other kind": other_kind,
        "other tenant": (await world.mint(world.rival, world.order))
        .json()["url"]
        .rsplit("/", 1)[1],
        "no invoice": (await world.mint(world.tenant, world.order + "-unpaid"))
        .json()["url"]
        .rsplit("/", 1)[1],
        "unknown order": (await world.mint(world.tenant, "ord-nope"))
        .json()["url"]
        .rsplit("/", 1)[1],
        "garbage": "not-a-token",
    }
    bodies = []
    before = _refusals()
    for reason, bad in refused.items():
        response = await world.open(f"{PUBLIC}/l/{bad}")
        assert response.status_code == 404, reason
        assert not response.content.startswith(b"%PDF"), reason
        assert response.headers["content-type"] == "application/problem+json", reason
        bodies.append(_without_request_details(response))
    assert all(body == bodies[0] for body in bodies), bodies
    assert _refusals() - before == len(refused)
    assert (await world.open(url)).status_code == 200, "the genuine link still opens"


async def test_minting_takes_a_service_token_for_that_tenant_and_the_gateway(world: World) -> None:
    path = f"/v1/internal/tenants/{world.tenant}/links"
    body = {"kind": "invoice", "resource_id": world.order}
    client = world.gateway.client

    assert (await client.post(path, json=body)).status_code == 401
    other_tenant = await world.service_headers(world.rival)
    assert (await client.post(path, json=body, headers=other_tenant)).status_code == 404
    for_catalog = await world.service_headers(world.tenant, callee="catalog")
    assert (await client.post(path, json=body, headers=for_catalog)).status_code == 401
    assert (await client.post(path, json=body, headers=world.gateway.admin)).status_code == 403
    own = await world.service_headers(world.tenant)
    unknown_kind = {"kind": "receipt", "resource_id": world.order}
    assert (await client.post(path, json=unknown_kind, headers=own)).status_code == 422
    steering = {"kind": "invoice", "resource_id": "../../products"}
    assert (await client.post(path, json=steering, headers=own)).status_code == 422


async def test_a_catalog_that_cannot_answer_is_a_503_not_a_404(
    make_gateway: Callable[..., Any], closed_port: int, unique: Callable[[str], str]
) -> None:
    async with make_gateway(
        service_clients=f"agent:{SERVICE_SECRET}",
        link_keyring=LINK_KEYRING,
        link_base_url=PUBLIC,
        links_catalog_url=f"http://127.0.0.1:{closed_port}",
    ) as gateway:
        tenant = unique("shop")
        created = await gateway.client.post(
            "/v1/tenants", json={"id": tenant, "name": tenant}, headers=gateway.admin
        )
        assert created.status_code == 201, created.text
        world = World(gateway, FakeCatalog(), tenant, tenant, "ord-1")
        url = (await world.mint(tenant, "ord-1")).json()["url"]

        response = await world.open(url)

        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert not response.content.startswith(b"%PDF")
