"""The agent's catalog and ingest calls carry a service token for the tenant of the work in hand,
minted by the gateway once per (tenant, callee) and cached; the callee's real verifier accepts
it for that tenant only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import ProductQuery
from bancone_kit.auth import InvalidTokenError, Principal
from bancone_kit.auth.service_tokens import ServiceTokenClient
from bancone_kit.testing.tokens import TokenSigner
from services.agent.tests.support.shop_api import FakeShopApi, catalog_faq, catalog_product

pytestmark = pytest.mark.unit

A, B = "enoteca-a", "bottega-b"
CHIANTI = catalog_product(A, "CHI-1", "Chianti Classico", "14.50", tags=("vino",))


class Gateway:
    """Mints service tokens like the gateway: HTTP Basic client credentials, one tenant."""

    def __init__(self, signer: TokenSigner) -> None:
        self.app = FastAPI()
        self.minted: list[tuple[str, str]] = []

        @self.app.post("/v1/auth/service-token")
        async def mint(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.minted.append((body["tenant_id"], body["audience"]))
            token = signer.service(body["tenant_id"], body["audience"])
            return {"access_token": token, "expires_in": 300}


class Verified:
    """The shop API behind the callee's real token verification, recording who called."""

    def __init__(self, shop: FakeShopApi, signer: TokenSigner) -> None:
        self.app = shop.app()
        self.callers: list[tuple[str, Principal]] = []
        verifiers = {name: signer.verifier(name) for name in ("catalog", "ingest")}

        @self.app.middleware("http")
        async def verify(request: Request, call_next: Any) -> Any:
            callee = "catalog" if request.url.hostname == "catalog.test" else "ingest"
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                principal = await verifiers[callee].verify(token)
            except InvalidTokenError:
                return JSONResponse({"title": "Unauthorized"}, status_code=401)
            self.callers.append((callee, principal))
            return await call_next(request)


def by_host(apps: dict[str, Any]) -> Any:
    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        host = dict(scope.get("headers", [])).get(b"host", b"").decode().split(":")[0]
        await apps[host](scope, receive, send)

    return dispatch


@pytest.fixture
async def world() -> AsyncIterator[tuple[Gateway, Verified, httpx.AsyncClient]]:
    signer = TokenSigner()
    gateway = Gateway(signer)
    shop = Verified(
        FakeShopApi(products={A: [CHIANTI]}, faqs={A: [catalog_faq(A, "ship", "Spedite?", "Sì")]}),
        signer,
    )
    app = by_host({"gateway.test": gateway.app, "catalog.test": shop.app, "ingest.test": shop.app})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield gateway, shop, http


def tools(tenant_id: str, http: httpx.AsyncClient) -> HttpShopTools:
    credentials = ServiceTokenClient(
        "http://gateway.test", "agent", SecretStr("agent-secret"), client=http
    )
    return HttpShopTools(
        tenant_id,
        "http://catalog.test",
        "http://ingest.test",
        http,
        attempts=1,
        retry_delay=0,
        credentials=credentials,
    )


async def test_every_call_carries_a_service_token_for_the_bound_tenant_and_callee(
    world: tuple[Gateway, Verified, httpx.AsyncClient],
) -> None:
    gateway, shop, http = world
    bound = tools(A, http)

    found = await bound.search_products(ProductQuery(text="vino", max_price=Decimal("20")))
    await bound.search_knowledge("spedite?", ["faq"])
    await bound.search_products(ProductQuery(text="chianti"))

    assert [p.name for p in found] == ["Chianti Classico"]
    assert {callee for callee, _ in shop.callers} == {"catalog", "ingest"}
    assert all(p.is_service and p.tenant_id == A for _, p in shop.callers)
    assert all(p.subject == "service:agent" for _, p in shop.callers)
    assert sorted(gateway.minted) == [(A, "catalog"), (A, "ingest")], "one mint per callee"


async def test_a_token_minted_for_one_callee_is_refused_by_the_other() -> None:
    signer = TokenSigner()
    token = signer.service(A, "catalog")
    with pytest.raises(InvalidTokenError):
        await signer.verifier("ingest").verify(token)
    assert (await signer.verifier("catalog").verify(token)).tenant_id == A
