"""Deny by default: every route of the gateway's app is public by name or carries a kit guard,
and every guarded route refuses a request without a valid token (401 problem)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from bancone_gateway.entrypoints.http import PUBLIC_PATHS, build_http_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.http.auth import unguarded_routes
from bancone_kit.testing.route_guards import guarded_routes, security_schemes, statuses
from bancone_kit.testing.tokens import TokenSigner, bearer

pytestmark = pytest.mark.unit


def app(signer: TokenSigner | None = None) -> FastAPI:
    built = build_http_app(GatewaySettings(), [])
    if signer is not None:
        signer.install(built, "gateway")
    return built


def test_every_route_is_public_by_name_or_guarded() -> None:
    assert unguarded_routes(app(), PUBLIC_PATHS) == []


async def test_every_guarded_route_refuses_a_missing_or_forged_token() -> None:
    signer = TokenSigner()
    routes = guarded_routes(app(), PUBLIC_PATHS)
    forged = TokenSigner("k").token(tid="shop-a", role="owner")  # same kid, another key
    for headers in ({}, bearer("not-a-jwt"), bearer(forged)):
        answered = await statuses(app(signer), routes, headers)
        assert set(answered.values()) <= {401}, answered


async def test_another_tenants_owner_gets_404_on_every_tenant_route() -> None:
    """404 as if the tenant did not exist; platform-only routes refuse every owner (403)."""
    signer = TokenSigner()
    routes = [r for r in guarded_routes(app(), PUBLIC_PATHS) if "{tenant_id}" in r[1]]
    answered = await statuses(app(signer), routes, bearer(signer.operator("shop-b", "owner")))
    expected = {f"{m} {p}": 403 if guard == "platform" else 404 for m, p, guard in routes}
    assert answered == expected


def test_openapi_documents_the_bearer_scheme() -> None:
    schemes = security_schemes(app())
    if guarded_routes(app(), PUBLIC_PATHS):
        assert schemes["BanconeToken"] == {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["BanconeToken"]["description"],
        }
