"""Operator accounts: invite → accept (set password), password change and reset, audit reads.

Invite and reset links carry a token signed by the gateway's signing key (purpose-bound
audience, expiry) naming a database row that makes the link one-time. No mail is sent: the
link is returned to whoever issued it (an owner/admin, or the platform for a first owner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.audit import PLATFORM_TENANT
from bancone_gateway.adapters import audit_log
from bancone_gateway.adapters import identity_store as store
from bancone_gateway.adapters.audit_log import Actor
from bancone_gateway.adapters.identity_tables import (
    AuditRecord,
    InviteRecord,
    MembershipRecord,
    OperatorRecord,
    PasswordResetRecord,
)
from bancone_gateway.adapters.tables import TenantRecord
from bancone_gateway.adapters.token_issuer import LinkPurpose, LinkTokenError
from bancone_gateway.domain.identity import (
    AlreadyMemberError,
    InvalidCredentialsError,
    LinkUnusableError,
    NotFoundError,
    Role,
    RoleNotGrantableError,
    check_can_grant,
    check_link_usable,
    normalise_email,
)
from bancone_gateway.domain.passwords import check_password_strength
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_kit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Link:
    """A one-time link to hand to the person (no mail server): the URL and its token."""

    id: str
    url: str
    token: str
    expires_at: datetime


async def link_for(
    deps: IdentityDeps, purpose: LinkPurpose, row_id: str, expires: datetime
) -> Link:
    token = await deps.issuer.link_token(purpose, row_id, expires)
    # The token travels in the fragment: browsers never send it to a server's access log.
    page = "accept-invite" if purpose == "invite" else "reset-password"
    url = f"{deps.public_base_url.rstrip('/')}/console/{page}#token={quote(token)}"
    return Link(row_id, url, token, expires)


async def _open(deps: IdentityDeps, token: str, purpose: LinkPurpose) -> str:
    try:
        return await deps.issuer.open_link(token, purpose)
    except LinkTokenError as exc:
        raise LinkUnusableError("the link is invalid, expired or already used") from exc


async def _require_tenant(session: AsyncSession, tenant_id: str) -> None:
    if await session.get(TenantRecord, tenant_id) is None:
        raise NotFoundError(f"no tenant {tenant_id!r}")


def stage_invite(
    session: AsyncSession, tenant_id: str, email: str, role: Role, actor: Actor, deps: IdentityDeps
) -> InviteRecord:
    now = datetime.now(UTC)
    invite = InviteRecord(
        id=store.new_id(),
        tenant_id=tenant_id,
        email=email,
        role=role,
        invited_by=actor.id,
        created_at=now,
        expires_at=now + deps.invite_ttl,
    )
    session.add(invite)
    audit_log.record(session, tenant_id, "operator.invited", actor, target=email, role=role)
    return invite


async def invite(
    tenant_id: str,
    email: str,
    role: Role,
    granter_role: str | None,
    actor: Actor,
    deps: IdentityDeps,
) -> Link:
    """Invite `email` into the tenant with `role` (owners any role, admins up to admin)."""
    email = normalise_email(email)
    check_can_grant(granter_role, role)
    async with deps.sessions() as session, session.begin():
        await _require_tenant(session, tenant_id)
        existing = await store.operator_by_email(session, email)
        if existing is not None and await store.membership(session, existing.id, tenant_id):
            raise AlreadyMemberError(f"{email} already belongs to the tenant")
        record = stage_invite(session, tenant_id, email, role, actor, deps)
    log.info("operator.invited", tenant_id=tenant_id, role=role, invite_id=record.id)
    return await link_for(deps, "invite", record.id, record.expires_at)


@dataclass(frozen=True, slots=True)
class Joined:
    operator_id: str
    tenant_id: str
    role: str
    email: str


async def accept_invite(token: str, password: str, ip: str | None, deps: IdentityDeps) -> Joined:
    """Use the invite once: a new account sets its password; an existing one proves it."""
    invite_id = await _open(deps, token, "invite")
    async with deps.sessions() as session:
        pending = await session.get(InviteRecord, invite_id)
        if pending is None:
            raise LinkUnusableError("the link is invalid, expired or already used")
        check_link_usable(pending.expires_at, pending.used_at, datetime.now(UTC))
        account = await store.operator_by_email(session, pending.email)
    if account is not None and account.password_hash is not None:
        if not await deps.hashing.verify(account.password_hash, password):
            raise InvalidCredentialsError("this account exists: give its current password")
        new_hash = None
    else:
        check_password_strength(password, [pending.email])
        new_hash = await deps.hashing.hash(password)
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        record = await session.get(InviteRecord, invite_id, with_for_update=True)
        if record is None:
            raise LinkUnusableError("the link is invalid, expired or already used")
        check_link_usable(record.expires_at, record.used_at, now)
        record.used_at = now
        operator = await store.operator_by_email(session, record.email)
        if operator is None:
            operator = OperatorRecord(id=store.new_id(), email=record.email, created_at=now)
            session.add(operator)
        if new_hash is not None:
            operator.password_hash = new_hash
            operator.password_changed_at = now
        await session.flush()
        if await store.membership(session, operator.id, record.tenant_id) is None:
            session.add(
                MembershipRecord(
                    operator_id=operator.id,
                    tenant_id=record.tenant_id,
                    role=record.role,
                    created_at=now,
                )
            )
        actor = Actor("operator", operator.id, ip)
        audit_log.record(
            session,
            record.tenant_id,
            "operator.joined",
            actor,
            target=record.email,
            role=record.role,
        )
        joined = Joined(operator.id, record.tenant_id, record.role, record.email)
    log.info("operator.joined", tenant_id=joined.tenant_id, operator_id=joined.operator_id)
    return joined


async def change_password(
    operator_id: str,
    tenant_id: str | None,
    current: str,
    new: str,
    actor: Actor,
    deps: IdentityDeps,
) -> None:
    """Needs the current password; ends every other session (refresh tokens revoked)."""
    async with deps.sessions() as session:
        operator = await session.get(OperatorRecord, operator_id)
    if operator is None or not await deps.hashing.verify(operator.password_hash, current):
        raise InvalidCredentialsError("the current password is wrong")
    check_password_strength(new, [operator.email])
    new_hash = await deps.hashing.hash(new)
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        record = await session.get(OperatorRecord, operator_id, with_for_update=True)
        if record is None:
            raise InvalidCredentialsError("the current password is wrong")
        record.password_hash = new_hash
        record.password_changed_at = now
        await store.revoke_operator_tokens(session, operator_id, now)
        audit_log.record(session, tenant_id or PLATFORM_TENANT, "operator.password_changed", actor)


async def issue_reset(
    tenant_id: str, operator_id: str, granter_role: str | None, actor: Actor, deps: IdentityDeps
) -> Link:
    """An owner/admin gets a one-time reset link for a member (admins cannot reset owners)."""
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        member = await store.membership(session, operator_id, tenant_id)
        if member is None:
            raise NotFoundError("no such operator in this tenant")
        if member.role == "owner" and granter_role != "owner":
            raise RoleNotGrantableError("only an owner may reset an owner's password")
        reset = PasswordResetRecord(
            id=store.new_id(),
            operator_id=operator_id,
            tenant_id=tenant_id,
            issued_by=actor.id,
            created_at=now,
            expires_at=now + deps.reset_ttl,
        )
        session.add(reset)
        audit_log.record(
            session, tenant_id, "operator.password_reset_issued", actor, target=operator_id
        )
    return await link_for(deps, "reset", reset.id, reset.expires_at)


async def complete_reset(token: str, password: str, ip: str | None, deps: IdentityDeps) -> None:
    reset_id = await _open(deps, token, "reset")
    async with deps.sessions() as session:
        pending = await session.get(PasswordResetRecord, reset_id)
        if pending is None:
            raise LinkUnusableError("the link is invalid, expired or already used")
        check_link_usable(pending.expires_at, pending.used_at, datetime.now(UTC))
        operator = await session.get(OperatorRecord, pending.operator_id)
    check_password_strength(password, [operator.email] if operator else [])
    new_hash = await deps.hashing.hash(password)
    now = datetime.now(UTC)
    async with deps.sessions() as session, session.begin():
        record = await session.get(PasswordResetRecord, reset_id, with_for_update=True)
        if record is None:
            raise LinkUnusableError("the link is invalid, expired or already used")
        check_link_usable(record.expires_at, record.used_at, now)
        record.used_at = now
        account = await session.get(OperatorRecord, record.operator_id, with_for_update=True)
        if account is None:
            raise LinkUnusableError("the link is invalid, expired or already used")
        account.password_hash = new_hash
        account.password_changed_at = now
        await store.revoke_operator_tokens(session, account.id, now)
        audit_log.record(
            session,
            record.tenant_id,
            "operator.password_reset",
            Actor("operator", account.id, ip),
            target=account.id,
        )


async def audit_entries(
    tenant_id: str, limit: int, before: datetime | None, deps: IdentityDeps
) -> list[AuditRecord]:
    async with deps.sessions() as session:
        return await audit_log.recent(session, tenant_id, limit, before)
