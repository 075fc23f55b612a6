"""Deny-by-default checks every service's route test makes alike.

`unguarded_routes` (in `bancone_kit.http.auth`) reads the routes' dependencies; the checks here
also call every guarded route without a token, with a garbage token and with a platform or
foreign-tenant token where that must fail, so a guard that exists but lets through is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI

from bancone_kit.http.auth import PUBLIC_PATHS, app_routes, unguarded_routes
from bancone_kit.testing.tokens import TokenSigner, bearer

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_SAMPLES: Mapping[str, str] = {"tenant_id": "shop-a"}
_UUID = "00000000-0000-4000-8000-000000000001"


def guarded_routes(app: FastAPI, public: Collection[str] = ()) -> list[tuple[str, str, str]]:
    """(method, path, guard label) of every guarded route."""
    allowed = PUBLIC_PATHS | set(public)
    return [
        (method, route.path, route.guard)
        for route in app_routes(app)
        if route.guard is not None and route.path not in allowed
        for method in route.methods
    ]


def concrete_path(path: str, tenant_id: str = "shop-a") -> str:
    """The path with its parameters filled (the tenant, and a well-formed id elsewhere)."""
    return _PARAM.sub(
        lambda m: tenant_id if m.group(1) == "tenant_id" else _SAMPLES.get(m.group(1), _UUID),
        path,
    )


async def statuses(
    app: FastAPI,
    routes: Collection[tuple[str, str, str]],
    headers: Mapping[str, str],
    tenant_id: str = "shop-a",
) -> dict[str, int]:
    """`METHOD path` → the status each route answers with `headers` (and an empty JSON body)."""
    found: dict[str, int] = {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://guarded") as client:
        for method, path, _ in routes:
            kwargs: dict[str, Any] = {} if method in ("GET", "DELETE") else {"json": {}}
            response = await client.request(
                method, concrete_path(path, tenant_id), headers=dict(headers), **kwargs
            )
            found[f"{method} {path}"] = response.status_code
    return found


def security_schemes(app: FastAPI) -> dict[str, Any]:
    schemes: dict[str, Any] = app.openapi().get("components", {}).get("securitySchemes", {})
    return schemes


class ServiceRouteGuardChecks:
    """Deny by default, the same four checks for every service: each route is public by name or
    guarded; each guarded route answers 401 to no token, a garbage token and a forged one (same
    `kid`, another key); another tenant's owner gets 404 (403 on platform-only routes); the
    OpenAPI document names the bearer scheme. Bound per service by `route_guard_checks`."""

    service: ClassVar[str]
    public: ClassVar[frozenset[str]]
    factory: ClassVar[Callable[[], FastAPI]]

    def app(self, signer: TokenSigner | None = None) -> FastAPI:
        built = type(self).factory()
        if signer is not None:
            signer.install(built, self.service)
        return built

    @pytest.mark.unit
    def test_every_route_is_public_by_name_or_guarded(self) -> None:
        assert unguarded_routes(self.app(), self.public) == []

    @pytest.mark.unit
    async def test_every_guarded_route_refuses_a_missing_or_forged_token(self) -> None:
        signer = TokenSigner()
        routes = guarded_routes(self.app(), self.public)
        forged = TokenSigner("k").token(tid="shop-a", role="owner")  # same kid, another key
        for headers in ({}, bearer("not-a-jwt"), bearer(forged)):
            answered = await statuses(self.app(signer), routes, headers)
            assert set(answered.values()) <= {401}, answered

    @pytest.mark.unit
    async def test_another_tenants_owner_gets_404_on_every_tenant_route(self) -> None:
        """404 as if the tenant did not exist; platform-only routes refuse every owner (403)."""
        signer = TokenSigner()
        routes = [r for r in guarded_routes(self.app(), self.public) if "{tenant_id}" in r[1]]
        owner_of_b = bearer(signer.operator("shop-b", "owner"))
        answered = await statuses(self.app(signer), routes, owner_of_b)
        expected = {f"{m} {p}": 403 if guard == "platform" else 404 for m, p, guard in routes}
        assert answered == expected

    @pytest.mark.unit
    def test_openapi_documents_the_bearer_scheme(self) -> None:
        schemes = security_schemes(self.app())
        if guarded_routes(self.app(), self.public):
            assert schemes["BanconeToken"] == {
                "type": "http",
                "scheme": "bearer",
                "description": schemes["BanconeToken"]["description"],
            }


def route_guard_checks(
    service: str, factory: Callable[[], FastAPI], public: Collection[str] = ()
) -> type[ServiceRouteGuardChecks]:
    """The deny-by-default checks of one service's app (`factory` builds it with default
    settings; `public` names its routes anyone may call)."""
    attributes: dict[str, Any] = {
        "service": service,
        "public": frozenset(public),
        "factory": staticmethod(factory),
    }
    return type(f"Test{service.capitalize()}RouteGuards", (ServiceRouteGuardChecks,), attributes)
