"""FastAPI dependencies that guard routes with the gateway's tokens (RFC 9457 problems).

Bad, expired or tampered token: 401. A valid token for another tenant than the path's
`tenant_id`: 404, as if the tenant did not exist (no existence leak). Right tenant, role too
low: 403. The app's bootstrap puts its `TokenVerifier` on `app.state.token_verifier`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bancone_kit.auth.claims import Role, role_allows
from bancone_kit.auth.principal import Principal
from bancone_kit.auth.verifier import InvalidTokenError, TokenVerifier

GUARD_ATTRIBUTE = "bancone_guard"
"""Set on every guard dependency (its label, e.g. `viewer+service`), so a test can tell a
guarded route from an open one (`bancone_kit.http.auth.unguarded_routes`)."""

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BanconeToken",
    description="An operator access token or a service token signed by the gateway.",
)


def not_authenticated(detail: str = "a valid bearer token is required") -> HTTPException:
    """401 with the `WWW-Authenticate` challenge (the kit's handler keeps the header)."""
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> HTTPException:
    return HTTPException(403, detail=detail)


def tenant_not_visible() -> HTTPException:
    """The token is for another tenant: answered exactly like an unknown tenant."""
    return HTTPException(404, detail="no such resource")


async def token_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def current_principal(
    verifier: Annotated[TokenVerifier, Depends(token_verifier)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise not_authenticated()
    try:
        return await verifier.verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise not_authenticated("the bearer token is invalid or expired") from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def _path_tenant(request: Request) -> str | None:
    value = request.path_params.get("tenant_id")
    return value if isinstance(value, str) else None


def require_role(
    min_role: Role, *, allow_service: bool = False, allow_platform: bool = False
) -> Callable[..., Awaitable[Principal]]:
    """An operator of the path's tenant holding at least `min_role` (or, with `allow_service`,
    a service token for that tenant; with `allow_platform`, a platform operator, who acts on
    every tenant). Routes without `{tenant_id}` only check the role."""

    async def dependency(request: Request, principal: CurrentPrincipal) -> Principal:
        tenant = _path_tenant(request)
        if principal.is_service and not allow_service:
            raise forbidden("operators only")
        if principal.is_platform:
            if allow_platform:
                return principal
            raise forbidden("a tenant role is required")
        if tenant is not None and principal.tenant_id != tenant:
            raise tenant_not_visible()
        if not principal.is_service and not role_allows(principal.role or "", min_role):
            raise forbidden(f"requires the {min_role} role or higher")
        return principal

    label = (
        min_role + ("+service" if allow_service else "") + ("+platform" if allow_platform else "")
    )
    setattr(dependency, GUARD_ATTRIBUTE, label)
    return dependency


def require_service() -> Callable[..., Awaitable[Principal]]:
    """A service token for the path's tenant: what one service asks another to do for a tenant
    (the agent asking the gateway for an invoice link). Operators of another tenant get 404
    like everywhere, the tenant's own operators and the platform 403."""

    async def dependency(request: Request, principal: CurrentPrincipal) -> Principal:
        tenant = _path_tenant(request)
        if principal.is_platform:
            raise forbidden("services only")
        if tenant is not None and principal.tenant_id != tenant:
            raise tenant_not_visible()
        if not principal.is_service:
            raise forbidden("services only")
        return principal

    setattr(dependency, GUARD_ATTRIBUTE, "service")
    return dependency


def require_platform() -> Callable[..., Awaitable[Principal]]:
    """A platform operator (the people who run the deployment)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.is_platform:
            raise forbidden("platform operators only")
        return principal

    setattr(dependency, GUARD_ATTRIBUTE, "platform")
    return dependency
