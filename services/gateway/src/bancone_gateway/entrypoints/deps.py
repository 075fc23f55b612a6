"""FastAPI dependencies of the gateway's routes: the handler deps and the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bancone_gateway.handlers.deps import GatewayDeps
from bancone_gateway.settings import GatewaySettings


def get_deps(request: Request) -> GatewayDeps:
    deps: GatewayDeps = request.app.state.deps
    return deps


def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


DepsDep = Annotated[GatewayDeps, Depends(get_deps)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False, description="The platform admin token.")


def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Platform operators only, until operator accounts exist: `Bearer <admin_token>`."""
    expected = settings.admin_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials else b""
    if not (credentials and hmac.compare_digest(given, expected)):
        raise HTTPException(
            401,
            detail="a valid admin bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


AdminOnly = Depends(require_admin)
