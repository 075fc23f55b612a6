"""Route guards: the one place where a service says who may call each route.

Every route that touches tenant data declares a guard from this module, per router or per
route (`dependencies=[Viewer]`); the guard verifies the gateway's token locally (the service's
`TokenVerifier` on `app.state.token_verifier`, built by `install_token_verifier` from the
`jwks_url` setting) and checks the path's `tenant_id` against the token's. Refusals are RFC 9457
problems: missing/bad/expired/tampered token 401, another tenant 404, role too low 403.

The role table every service follows:
reads `Viewer` (or `ServiceOrViewer` where the agent reads for a customer), service-to-service
requests no operator may make `ServiceOnly` (the gateway's invoice links), conversation
actions `AgentRole`, catalogue writes and tenant configuration `AdminRole`, provisioning
tenants `Platform`. No static token acts on any tenant: the old `admin_token` is retired.

A route with no guard must be listed as public (`PUBLIC_PATHS` for the kit's own routes, the
service's own list for webhooks, login, JWKS): `unguarded_routes(app, public)` is what each
service's deny-by-default test asserts empty.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from pydantic import Field

from bancone_kit.auth.claims import DEFAULT_ISSUER, Role
from bancone_kit.auth.dependencies import (
    GUARD_ATTRIBUTE,
    require_platform,
    require_role,
    require_service,
)
from bancone_kit.auth.jwks import JWKS_PATH, HttpJwks, JwksCache
from bancone_kit.auth.verifier import TokenVerifier
from bancone_kit.settings import ServiceSettings

DEFAULT_JWKS_URL = f"http://127.0.0.1:8080{JWKS_PATH}"


class TokenAuthSettings(ServiceSettings):
    """`ServiceSettings` of a service whose routes are guarded by the gateway's tokens."""

    jwks_url: str = Field(
        default=DEFAULT_JWKS_URL,
        description="The gateway's JWKS (`<gateway>/.well-known/jwks.json`); tokens are "
        "verified locally with the keys fetched (and cached) from it.",
    )
    token_issuer: str = Field(default=DEFAULT_ISSUER, description="`iss` of every token.")
    jwks_max_age_seconds: float = Field(
        default=600.0, gt=0, description="Refresh the cached keys at least this often."
    )


def install_token_verifier(app: FastAPI, settings: TokenAuthSettings, service: str) -> None:
    """Put the service's verifier on the app, unless a test or the gateway already did."""
    if getattr(app.state, "token_verifier", None) is not None:
        return
    keys = JwksCache(HttpJwks(settings.jwks_url), max_age=settings.jwks_max_age_seconds)
    app.state.token_verifier = TokenVerifier(keys, service=service, issuer=settings.token_issuer)


def guard(min_role: Role, *, allow_service: bool = False, allow_platform: bool = False) -> Any:
    """`Depends` on an operator of the path's tenant with at least `min_role` (see
    `require_role`); for `dependencies=[...]` on a router or a route."""
    return Depends(
        require_role(min_role, allow_service=allow_service, allow_platform=allow_platform)
    )


Viewer = guard("viewer")
"""Reads of tenant data by operators."""
ServiceOrViewer = guard("viewer", allow_service=True)
"""Reads the agent also makes for a customer (catalogue, knowledge search)."""
AgentRole = guard("agent")
"""Conversation actions (take over, resolve)."""
AdminRole = guard("admin")
"""Catalogue writes, tenant configuration, operators and audit."""
OwnerRole = guard("owner")
PlatformOrAdmin = guard("admin", allow_platform=True)
"""Tenant setup the platform does at provisioning and the tenant's admins later (channels)."""
PlatformOrViewer = guard("viewer", allow_platform=True)
ServiceOnly = Depends(require_service())
"""Calls one service makes to another for a tenant, never an operator's (invoice links)."""
Platform = Depends(require_platform())
"""Deployment-wide actions: creating tenants and their first owner, key rotation."""

PUBLIC_PATHS: frozenset[str] = frozenset(
    {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
"""The kit's own routes that answer anyone: probes, metrics, the API's documentation."""


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


@dataclass(frozen=True)
class RouteInfo:
    """One route as served (prefixes and router dependencies applied)."""

    path: str
    methods: tuple[str, ...]
    guard: str | None
    """The guard's label (`viewer+service`, `platform`...), None when the route has none."""


def _guard_of(dependant: Dependant | None) -> str | None:
    if dependant is None:
        return None
    for call in _calls(dependant):
        label = getattr(call, GUARD_ATTRIBUTE, None)
        if isinstance(label, str):
            return label
    return None


def app_routes(app: FastAPI) -> list[RouteInfo]:
    """Every route of the app, included routers flattened (FastAPI's own route contexts)."""
    found: list[RouteInfo] = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        methods = tuple(sorted(context.methods or ())) or ("*",)
        dependant = getattr(context, "dependant", None)
        found.append(RouteInfo(path, methods, _guard_of(dependant)))
    return found


def unguarded_routes(app: FastAPI, public: Collection[str] = ()) -> list[str]:
    """`METHOD path` of every route that is neither guarded nor explicitly public."""
    allowed = PUBLIC_PATHS | set(public)
    return [
        f"{method} {route.path}"
        for route in app_routes(app)
        if route.guard is None and route.path not in allowed
        for method in route.methods
    ]


def route_table(app: FastAPI, public: Collection[str] = ()) -> list[tuple[str, str, str]]:
    """(method, path, who may call it) of every route: for docs and the closing note."""
    allowed = PUBLIC_PATHS | set(public)
    return [
        (method, route.path, route.guard or ("public" if route.path in allowed else "OPEN"))
        for route in app_routes(app)
        for method in route.methods
    ]
