"""Login, refresh (rotating, reuse revokes the family), logout, service tokens.

An access token carries one selected tenant and the role held there (see
`bancone_kit.auth.claims`); a refresh token is bound to that tenant and may switch to another
of the operator's tenants while rotating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.audit import PLATFORM_TENANT
from bancone_gateway.adapters import audit_log
from bancone_gateway.adapters import identity_store as store
from bancone_gateway.adapters.audit_log import Actor
from bancone_gateway.adapters.identity_tables import OperatorRecord
from bancone_gateway.adapters.tables import TenantRecord
from bancone_gateway.domain.identity import (
    InvalidCredentialsError,
    InvalidEmailError,
    NotFoundError,
    RefreshState,
    RefreshVerdict,
    TenantChoiceRequiredError,
    judge_refresh,
    normalise_email,
)
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_kit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    operator_id: str
    tenant_id: str | None
    role: str
    access_token: str
    expires_in: int
    refresh_token: str


async def _select_role(
    session: AsyncSession, operator: OperatorRecord, tenant_id: str | None
) -> tuple[str | None, str]:
    """The (tenant, role) the session acts as; a platform operator without tenant is platform."""
    if tenant_id is None and operator.is_platform:
        return None, "platform"
    memberships = await store.memberships_of(session, operator.id)
    if tenant_id is not None:
        chosen = [m for m in memberships if m.tenant_id == tenant_id]
        if not chosen:
            raise InvalidCredentialsError("no access to that tenant")
        return tenant_id, chosen[0].role
    if len(memberships) == 1:
        return memberships[0].tenant_id, memberships[0].role
    if not memberships:
        raise InvalidCredentialsError("the operator belongs to no tenant")
    raise TenantChoiceRequiredError([m.tenant_id for m in memberships])


def _actor(operator: OperatorRecord, role: str, ip: str | None) -> Actor:
    return Actor("platform" if role == "platform" else "operator", operator.id, ip)


async def login(
    email: str, password: str, tenant_id: str | None, ip: str | None, deps: IdentityDeps
) -> IssuedSession:
    try:
        email = normalise_email(email)
    except InvalidEmailError as exc:
        raise InvalidCredentialsError("wrong email or password") from exc
    await deps.throttle.check(email, ip)
    async with deps.sessions() as session:
        operator = await store.operator_by_email(session, email)
    ok = await deps.hashing.verify(operator.password_hash if operator else None, password)
    if operator is None or not ok:
        await deps.throttle.failed(email, ip)
        log.info("auth.login_failed", ip=ip)
        raise InvalidCredentialsError("wrong email or password")
    await deps.throttle.succeeded(email)
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        operator = await session.get(OperatorRecord, operator.id)
        if operator is None:
            raise InvalidCredentialsError("wrong email or password")
        tenant, role = await _select_role(session, operator, tenant_id)
        if operator.password_hash and deps.hashing.needs_rehash(operator.password_hash):
            operator.password_hash = await deps.hashing.hash(password)
        refresh = store.new_refresh_token(
            session, operator.id, tenant, store.new_id(), now, deps.refresh_ttl
        )
        audit_log.record(
            session,
            tenant or PLATFORM_TENANT,
            "session.login",
            _actor(operator, role, ip),
            role=role,
        )
        operator_id = operator.id
    access = await deps.issuer.operator_token(operator_id, tenant, role)
    log.info("auth.login", operator_id=operator_id, tenant_id=tenant, role=role)
    return IssuedSession(operator_id, tenant, role, access.token, access.expires_in, refresh)


async def refresh(
    token: str, tenant_id: str | None, ip: str | None, deps: IdentityDeps
) -> IssuedSession:
    """Rotate: the presented token is spent and a new one of the same family is returned.

    Presenting a spent token again means it leaked (or a client raced itself): the whole
    family is revoked, so whoever holds the newer token is logged out too.
    """
    now = datetime.now(UTC)
    reused = False
    async with deps.sessions() as session, session.begin():
        row = await store.refresh_token_record(session, token)
        if row is None:
            raise InvalidCredentialsError("unknown refresh token")
        verdict = judge_refresh(RefreshState(row.expires_at, row.used_at, row.revoked_at), now)
        operator = await session.get(OperatorRecord, row.operator_id)
        if verdict is RefreshVerdict.REUSED or operator is None:
            await store.revoke_family(session, row.family_id, now)
            audit_log.record(
                session,
                row.tenant_id or PLATFORM_TENANT,
                "session.refresh_reused",
                Actor("operator", row.operator_id, ip),
            )
            reused = True
        elif verdict is RefreshVerdict.EXPIRED:
            raise InvalidCredentialsError("refresh token expired")
        else:
            row.used_at = now
            target = tenant_id if tenant_id is not None else row.tenant_id
            tenant, role = await _select_role(session, operator, target)
            new_token = store.new_refresh_token(
                session, operator.id, tenant, row.family_id, now, deps.refresh_ttl
            )
            operator_id = operator.id
    if reused:
        log.warning("auth.refresh_reused", family_id=row.family_id)
        raise InvalidCredentialsError("refresh token already used; the session is revoked")
    access = await deps.issuer.operator_token(operator_id, tenant, role)
    return IssuedSession(operator_id, tenant, role, access.token, access.expires_in, new_token)


async def logout(token: str, ip: str | None, deps: IdentityDeps) -> None:
    """End the session (the refresh token's family); unknown tokens are ignored (idempotent)."""
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        row = await store.refresh_token_record(session, token)
        if row is None:
            return
        await store.revoke_family(session, row.family_id, now)
        audit_log.record(
            session,
            row.tenant_id or PLATFORM_TENANT,
            "session.logout",
            Actor("operator", row.operator_id, ip),
        )


async def service_token(
    client_id: str, client_secret: str, tenant_id: str, callee: str, deps: IdentityDeps
) -> tuple[str, int]:
    """A short-lived token for `client_id` to call `callee` about `tenant_id` (and nothing else)."""
    if not deps.service_clients.authenticate(client_id, client_secret):
        raise InvalidCredentialsError("unknown service client")
    async with deps.sessions() as session:
        if await session.get(TenantRecord, tenant_id) is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
    issued = await deps.issuer.service_token(client_id, tenant_id, callee)
    log.info("auth.service_token", service=client_id, tenant_id=tenant_id, callee=callee)
    return issued.token, issued.expires_in
