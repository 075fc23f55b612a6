"""The kit's route guards: one place to declare who may call a route, and the deny-by-default
enumeration every service's route test uses."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from bancone_kit.http.app import create_app
from bancone_kit.http.auth import (
    AdminRole,
    PlatformOrAdmin,
    ServiceOnly,
    ServiceOrViewer,
    TokenAuthSettings,
    install_token_verifier,
    route_table,
    unguarded_routes,
)
from bancone_kit.settings import ServiceSettings
from bancone_kit.testing.tokens import TokenSigner, bearer

pytestmark = pytest.mark.unit


def build(signer: TokenSigner) -> FastAPI:
    app = create_app("test", ServiceSettings(service_name="test"))
    router = APIRouter(prefix="/v1/tenants/{tenant_id}", dependencies=[ServiceOrViewer])

    @router.get("/things")
    async def things(tenant_id: str) -> dict[str, str]:
        return {"tenant": tenant_id}

    @app.post("/v1/tenants/{tenant_id}/things", dependencies=[AdminRole])
    async def write(tenant_id: str) -> dict[str, str]:
        return {"tenant": tenant_id}

    @app.put("/v1/tenants/{tenant_id}/setup", dependencies=[PlatformOrAdmin])
    async def setup(tenant_id: str) -> dict[str, str]:
        return {"tenant": tenant_id}

    @app.post("/v1/internal/tenants/{tenant_id}/jobs", dependencies=[ServiceOnly])
    async def job(tenant_id: str) -> dict[str, str]:
        return {"tenant": tenant_id}

    @app.get("/hooks")
    async def hook() -> dict[str, str]:
        return {}

    app.include_router(router)
    return signer.install(app, "test")


async def call(app: FastAPI, method: str, path: str, token: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.request(method, path, headers=bearer(token))).status_code


def test_an_unguarded_route_is_found_unless_named_public() -> None:
    app = build(TokenSigner())
    assert unguarded_routes(app) == ["GET /hooks"]
    assert unguarded_routes(app, public={"/hooks"}) == []


def test_the_route_table_names_each_guard_through_included_routers() -> None:
    table = {(m, p): who for m, p, who in route_table(build(TokenSigner()), public={"/hooks"})}
    assert table[("GET", "/v1/tenants/{tenant_id}/things")] == "viewer+service"
    assert table[("POST", "/v1/tenants/{tenant_id}/things")] == "admin"
    assert table[("PUT", "/v1/tenants/{tenant_id}/setup")] == "admin+platform"
    assert table[("GET", "/hooks")] == "public"
    assert table[("GET", "/healthz")] == "public"


async def test_the_platform_passes_only_where_the_guard_allows_it() -> None:
    signer = TokenSigner()
    app = build(signer)
    platform = signer.platform()
    assert await call(app, "PUT", "/v1/tenants/shop-a/setup", platform) == 200
    assert await call(app, "POST", "/v1/tenants/shop-a/things", platform) == 403
    assert await call(app, "GET", "/v1/tenants/shop-a/things", platform) == 403


async def test_a_service_token_reads_only_its_tenant() -> None:
    signer = TokenSigner()
    app = build(signer)
    token = signer.service("shop-a", "test")
    assert await call(app, "GET", "/v1/tenants/shop-a/things", token) == 200
    assert await call(app, "GET", "/v1/tenants/shop-b/things", token) == 404
    assert await call(app, "POST", "/v1/tenants/shop-a/things", token) == 403


async def test_a_service_only_route_takes_a_service_token_of_its_tenant_only() -> None:
    signer = TokenSigner()
    app = build(signer)
    path = "/v1/internal/tenants/shop-a/jobs"

    assert await call(app, "POST", path, signer.service("shop-a", "test")) == 200
    assert await call(app, "POST", path, signer.service("shop-b", "test")) == 404
    assert await call(app, "POST", path, signer.service("shop-a", "catalog")) == 401
    assert await call(app, "POST", path, signer.operator("shop-a", "owner")) == 403
    assert await call(app, "POST", path, signer.operator("shop-b", "owner")) == 404
    assert await call(app, "POST", path, signer.platform()) == 403


def test_the_verifier_is_built_from_the_jwks_url_unless_one_is_installed() -> None:
    settings = TokenAuthSettings(service_name="test", jwks_url="http://gw:8080/jwks")
    app = create_app("test", settings)
    install_token_verifier(app, settings, "test")
    built = app.state.token_verifier
    install_token_verifier(app, settings, "test")
    assert app.state.token_verifier is built
