"""Operator identity over HTTP: JWKS, login/refresh/logout, invites, passwords, audit, platform.

Routes that act for a tenant are guarded by the kit's `require_role` (the same dependency every
service uses), declared first so a refused caller touches nothing; login, refresh, invite acceptance and reset completion are public
by nature and protected by the credential they carry (and login by the throttle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_gateway.adapters.audit_log import Actor
from bancone_gateway.domain.identity import Role
from bancone_gateway.domain.tenants import TenantId, TenantName
from bancone_gateway.handlers import identity, platform, sessions, team
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_kit.auth.dependencies import require_platform, require_role
from bancone_kit.auth.principal import Principal
from bancone_kit.http.problems import Problem

TenantIdPath = Annotated[str, Path(pattern=TENANT_ID_PATTERN, examples=["demo"])]
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 409, 422)
}


async def identity_deps(request: Request) -> IdentityDeps:
    deps: IdentityDeps = request.app.state.identity
    return deps


IdentityDep = Annotated[IdentityDeps, Depends(identity_deps)]
AdminOfTenant = Annotated[Principal, Depends(require_role("admin"))]
OwnerOfTenant = Annotated[Principal, Depends(require_role("owner"))]
AnyOperator = Annotated[Principal, Depends(require_role("viewer"))]
OperatorIdPath = Annotated[str, Path(max_length=36)]
PlatformOperator = Annotated[Principal, Depends(require_platform())]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _actor(principal: Principal, request: Request) -> Actor:
    if principal.is_platform:
        return Actor("platform", principal.subject, _ip(request))
    return Actor("operator", principal.subject, _ip(request))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    email: str = Field(max_length=320, examples=["ada@enoteca.example"])
    password: SecretStr = Field(max_length=1024)
    tenant_id: TenantId | None = Field(
        default=None, description="Which tenant to act in; needed when the operator has several."
    )


class RefreshBody(_Body):
    refresh_token: SecretStr = Field(max_length=200)
    tenant_id: TenantId | None = Field(default=None, description="Switch to another tenant.")


class LogoutBody(_Body):
    refresh_token: SecretStr = Field(max_length=200)


class TokenPair(BaseModel):
    token_type: str = "Bearer"  # noqa: S105 (the scheme name)
    access_token: str
    expires_in: int
    refresh_token: str
    operator_id: str
    tenant_id: str | None
    role: str


def _pair(issued: sessions.IssuedSession) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        operator_id=issued.operator_id,
        tenant_id=issued.tenant_id,
        role=issued.role,
    )


class InviteBody(_Body):
    email: str = Field(max_length=320, examples=["luca@enoteca.example"])
    role: Role


class RoleBody(_Body):
    role: Role


class MemberPublic(BaseModel):
    operator_id: str
    email: str
    role: str
    joined_at: datetime


class MemberList(BaseModel):
    items: list[MemberPublic]


def _member(member: team.Member) -> MemberPublic:
    return MemberPublic(
        operator_id=member.operator_id,
        email=member.email,
        role=member.role,
        joined_at=member.joined_at,
    )


class LinkPublic(BaseModel):
    """A one-time link to hand over (no mail is sent); the token is also in the URL fragment."""

    id: str
    url: str
    token: str
    expires_at: datetime


def _link(link: identity.Link) -> LinkPublic:
    return LinkPublic(id=link.id, url=link.url, token=link.token, expires_at=link.expires_at)


class AcceptBody(_Body):
    token: str = Field(max_length=4096)
    password: SecretStr = Field(max_length=1024)


class JoinedPublic(BaseModel):
    operator_id: str
    tenant_id: str
    role: str
    email: str


class PasswordChangeBody(_Body):
    current_password: SecretStr = Field(max_length=1024)
    new_password: SecretStr = Field(max_length=1024)


class ServiceTokenBody(_Body):
    tenant_id: TenantId
    audience: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$", examples=["catalog"])


class ServiceTokenPublic(BaseModel):
    token_type: str = "Bearer"  # noqa: S105 (the scheme name)
    access_token: str
    expires_in: int


class AuditEntryPublic(BaseModel):
    id: str
    action: str
    actor_kind: str
    actor_id: str | None
    target: str | None
    role: str | None
    source_ip: str | None
    occurred_at: datetime


class TenantWithOwnerBody(_Body):
    id: TenantId = Field(examples=["demo"])
    name: TenantName = Field(examples=["Enoteca Bancone"])
    owner_email: str = Field(max_length=320, examples=["ada@enoteca.example"])


class ProvisionedTenantPublic(BaseModel):
    tenant_id: str
    name: str
    owner_invite: LinkPublic


class RotatedKeyPublic(BaseModel):
    kid: str


jwks_router = APIRouter(tags=["identity"])


@jwks_router.get("/.well-known/jwks.json")
async def jwks(deps: IdentityDep, response: Response) -> dict[str, Any]:
    """The public keys every service verifies tokens with (public, cacheable for a minute)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return dict(await deps.keys.jwks())


router = APIRouter(prefix="/v1", tags=["identity"], responses=_PROBLEMS)


@router.post("/auth/login", responses={429: {"model": Problem}})
async def login(body: LoginBody, request: Request, deps: IdentityDep) -> TokenPair:
    issued = await sessions.login(
        body.email, body.password.get_secret_value(), body.tenant_id, _ip(request), deps
    )
    return _pair(issued)


@router.post("/auth/refresh")
async def refresh(body: RefreshBody, request: Request, deps: IdentityDep) -> TokenPair:
    issued = await sessions.refresh(
        body.refresh_token.get_secret_value(), body.tenant_id, _ip(request), deps
    )
    return _pair(issued)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: LogoutBody, request: Request, deps: IdentityDep) -> Response:
    await sessions.logout(body.refresh_token.get_secret_value(), _ip(request), deps)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    principal: AnyOperator, body: PasswordChangeBody, request: Request, deps: IdentityDep
) -> Response:
    await identity.change_password(
        principal.subject,
        principal.tenant_id,
        body.current_password.get_secret_value(),
        body.new_password.get_secret_value(),
        _actor(principal, request),
        deps,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/invites/accept", status_code=status.HTTP_201_CREATED)
async def accept_invite(body: AcceptBody, request: Request, deps: IdentityDep) -> JoinedPublic:
    joined = await identity.accept_invite(
        body.token, body.password.get_secret_value(), _ip(request), deps
    )
    return JoinedPublic(
        operator_id=joined.operator_id,
        tenant_id=joined.tenant_id,
        role=joined.role,
        email=joined.email,
    )


@router.post("/auth/password-resets/complete", status_code=status.HTTP_204_NO_CONTENT)
async def complete_reset(body: AcceptBody, request: Request, deps: IdentityDep) -> Response:
    await identity.complete_reset(body.token, body.password.get_secret_value(), _ip(request), deps)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_basic = HTTPBasic(auto_error=False, description="A service's client id and secret.")


@router.post("/auth/service-token")
async def service_token(
    body: ServiceTokenBody,
    deps: IdentityDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> ServiceTokenPublic:
    """A short-lived token for a service to call `audience` about `tenant_id` only."""
    token, expires_in = await sessions.service_token(
        credentials.username if credentials else "",
        credentials.password if credentials else "",
        body.tenant_id,
        body.audience,
        deps,
    )
    return ServiceTokenPublic(access_token=token, expires_in=expires_in)


@router.post("/tenants/{tenant_id}/invites", status_code=status.HTTP_201_CREATED)
async def invite_operator(
    principal: AdminOfTenant,
    tenant_id: TenantIdPath,
    body: InviteBody,
    request: Request,
    deps: IdentityDep,
) -> LinkPublic:
    """Invite someone with a role; returns the one-time link (owners: any role, admins: not
    owner)."""
    link = await identity.invite(
        tenant_id, body.email, body.role, principal.role, _actor(principal, request), deps
    )
    return _link(link)


@router.post(
    "/tenants/{tenant_id}/operators/{operator_id}/password-reset",
    status_code=status.HTTP_201_CREATED,
)
async def issue_password_reset(
    principal: AdminOfTenant,
    tenant_id: TenantIdPath,
    operator_id: Annotated[str, Path(max_length=36)],
    request: Request,
    deps: IdentityDep,
) -> LinkPublic:
    link = await identity.issue_reset(
        tenant_id, operator_id, principal.role, _actor(principal, request), deps
    )
    return _link(link)


@router.get("/tenants/{tenant_id}/operators")
async def list_operators(
    _: AdminOfTenant, tenant_id: TenantIdPath, deps: IdentityDep
) -> MemberList:
    """The tenant's team with their roles (owners and admins; owners first)."""
    return MemberList(items=[_member(m) for m in await team.members(tenant_id, deps)])


@router.patch("/tenants/{tenant_id}/operators/{operator_id}")
async def change_operator_role(
    principal: OwnerOfTenant,
    tenant_id: TenantIdPath,
    operator_id: OperatorIdPath,
    body: RoleBody,
    request: Request,
    deps: IdentityDep,
) -> MemberPublic:
    """Give a member another role (owners only; 409 when it would leave no owner)."""
    changed = await team.change_role(
        tenant_id, operator_id, body.role, _actor(principal, request), deps
    )
    return _member(changed)


@router.delete(
    "/tenants/{tenant_id}/operators/{operator_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_operator(
    principal: OwnerOfTenant,
    tenant_id: TenantIdPath,
    operator_id: OperatorIdPath,
    request: Request,
    deps: IdentityDep,
) -> Response:
    """Take a member out of the tenant and revoke their refresh tokens for it (owners only)."""
    await team.remove(tenant_id, operator_id, _actor(principal, request), deps)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tenants/{tenant_id}/audit")
async def read_audit(
    _: AdminOfTenant,
    tenant_id: TenantIdPath,
    deps: IdentityDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: datetime | None = None,
) -> list[AuditEntryPublic]:
    """The tenant's audit log, newest first (owners and admins)."""
    rows = await identity.audit_entries(tenant_id, limit, before, deps)
    return [AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]


@router.post("/platform/tenants", status_code=status.HTTP_201_CREATED)
async def create_tenant_with_owner(
    principal: PlatformOperator, body: TenantWithOwnerBody, request: Request, deps: IdentityDep
) -> ProvisionedTenantPublic:
    provisioned = await platform.create_tenant_with_owner(
        body.id, body.name, body.owner_email, _actor(principal, request), deps
    )
    return ProvisionedTenantPublic(
        tenant_id=provisioned.tenant_id,
        name=provisioned.name,
        owner_invite=_link(provisioned.owner_invite),
    )


@router.post("/platform/signing-keys/rotate", status_code=status.HTTP_201_CREATED)
async def rotate_signing_key(
    principal: PlatformOperator, request: Request, deps: IdentityDep
) -> RotatedKeyPublic:
    return RotatedKeyPublic(kid=await platform.rotate_signing_key(_actor(principal, request), deps))
