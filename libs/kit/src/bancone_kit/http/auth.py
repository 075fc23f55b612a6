"""Request authentication, one FastAPI dependency for every service's protected routes.

Today the only credential is the platform's static admin token (`admin_token` on the
service's settings, which `create_app` puts on `app.state`): `Authorization: Bearer <token>`.
The dependency returns the `Principal` it authenticated, so operator JWTs (roles, a tenant)
can later be one more way to produce a `Principal` without changing a route.

Semantics: fail closed — without a configured, non-empty token nothing passes (and that is
logged); the token is compared in constant time; a refusal is a 401 problem response with
`WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from bancone_kit.logging import get_logger

log = get_logger(__name__)

_bearer = HTTPBearer(auto_error=False, description="The platform admin token.")


@dataclass(frozen=True)
class Principal:
    """Who a request acts as; `admin` (the platform operator) is the only one so far."""

    subject: str


ADMIN = Principal("admin")


def unauthorized(detail: str = "a valid admin bearer token is required") -> HTTPException:
    """The 401 every refused credential gets (a problem response, with the scheme to use)."""
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _configured_admin_token(request: Request) -> bytes:
    settings: Any = getattr(request.app.state, "settings", None)
    token = getattr(settings, "admin_token", None)
    secret = token.get_secret_value() if isinstance(token, SecretStr) else ""
    if not secret:
        log.error("http.admin_token_missing", path=request.url.path)
    return secret.encode()


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Pass only `Authorization: Bearer <admin token>`; anything else is a 401."""
    expected = _configured_admin_token(request)
    given = credentials.credentials.encode() if credentials is not None else b""
    if not (expected and given and hmac.compare_digest(given, expected)):
        raise unauthorized()
    return ADMIN


AdminOnly = Depends(require_admin)
"""For `dependencies=[AdminOnly]` on a route or router."""

Admin = Annotated[Principal, Depends(require_admin)]
"""For a route that wants to know who called it: `def route(caller: Admin)`."""
