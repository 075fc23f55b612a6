"""Deny-by-default checks every service's route test makes alike.

`unguarded_routes` (in `bancone_kit.http.auth`) reads the routes' dependencies; the checks here
also call every guarded route without a token, with a garbage token and with a platform or
foreign-tenant token where that must fail, so a guard that exists but lets through is caught.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

import httpx
from fastapi import FastAPI

from bancone_kit.http.auth import PUBLIC_PATHS, app_routes

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
