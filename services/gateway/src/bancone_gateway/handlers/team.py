"""A tenant's team: its members with their roles, a role change and a removal (owners only).

Removing someone also revokes their refresh tokens for the tenant, so their session ends when
the current access token expires (at most `access_token_ttl_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters import audit_log
from bancone_gateway.adapters.audit_log import Actor
from bancone_gateway.adapters.identity_tables import (
    MembershipRecord,
    OperatorRecord,
    RefreshTokenRecord,
)
from bancone_gateway.domain.identity import NotFoundError, Role, check_keeps_an_owner
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_kit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Member:
    operator_id: str
    email: str
    role: str
    joined_at: datetime


async def members(tenant_id: str, deps: IdentityDeps) -> list[Member]:
    """The tenant's operators, owners first, then by email."""
    query = (
        select(MembershipRecord, OperatorRecord)
        .join(OperatorRecord, col(OperatorRecord.id) == col(MembershipRecord.operator_id))
        .where(col(MembershipRecord.tenant_id) == tenant_id)
    )
    async with deps.sessions() as session:
        rows = (await session.exec(query)).all()
    rank = {"owner": 0, "admin": 1, "agent": 2, "viewer": 3}
    found = [Member(op.id, op.email, m.role, m.created_at) for m, op in rows]
    return sorted(found, key=lambda member: (rank.get(member.role, 9), member.email))


async def _owners(session: AsyncSession, tenant_id: str) -> int:
    query = (
        select(func.count())
        .select_from(MembershipRecord)
        .where(col(MembershipRecord.tenant_id) == tenant_id)
        .where(col(MembershipRecord.role) == "owner")
    )
    return int((await session.exec(query)).one())


async def _locked_membership(
    session: AsyncSession, tenant_id: str, operator_id: str
) -> MembershipRecord:
    query = (
        select(MembershipRecord)
        .where(col(MembershipRecord.tenant_id) == tenant_id)
        .where(col(MembershipRecord.operator_id) == operator_id)
        .with_for_update()
    )
    found = (await session.exec(query)).one_or_none()
    if found is None:
        raise NotFoundError("no such member of this tenant")
    return found


async def change_role(
    tenant_id: str, operator_id: str, role: Role, actor: Actor, deps: IdentityDeps
) -> Member:
    """Give a member another role; the last owner cannot be demoted. The new role is in the
    member's next token (refresh or login)."""
    async with deps.sessions() as session, session.begin():
        membership = await _locked_membership(session, tenant_id, operator_id)
        check_keeps_an_owner(await _owners(session, tenant_id), membership.role, role)
        membership.role = role
        session.add(membership)
        audit_log.record(
            session, tenant_id, "operator.role_changed", actor, target=operator_id, role=role
        )
        operator = await session.get(OperatorRecord, operator_id)
        joined = membership.created_at
    log.info("operator.role_changed", tenant_id=tenant_id, operator_id=operator_id, role=role)
    return Member(operator_id, operator.email if operator else "", role, joined)


async def remove(tenant_id: str, operator_id: str, actor: Actor, deps: IdentityDeps) -> None:
    """Take a member out of the tenant (the last owner stays) and end their sessions in it."""
    async with deps.sessions() as session, session.begin():
        membership = await _locked_membership(session, tenant_id, operator_id)
        check_keeps_an_owner(await _owners(session, tenant_id), membership.role, None)
        await session.delete(membership)
        await session.exec(
            sa.update(RefreshTokenRecord)
            .where(col(RefreshTokenRecord.operator_id) == operator_id)
            .where(col(RefreshTokenRecord.tenant_id) == tenant_id)
            .where(col(RefreshTokenRecord.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        audit_log.record(session, tenant_id, "operator.removed", actor, target=operator_id)
    log.info("operator.removed", tenant_id=tenant_id, operator_id=operator_id)
