"""The platform role: its bootstrap account, tenants with their first owner, key rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from bancone_contracts.events.audit import PLATFORM_TENANT
from bancone_gateway.adapters import audit_log
from bancone_gateway.adapters import identity_store as store
from bancone_gateway.adapters.audit_log import Actor
from bancone_gateway.adapters.identity_tables import OperatorRecord
from bancone_gateway.adapters.tables import TenantRecord
from bancone_gateway.domain.identity import AlreadyMemberError, check_can_grant, normalise_email
from bancone_gateway.handlers.identity import Link, link_for, stage_invite
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_kit.logging import get_logger

log = get_logger(__name__)


async def ensure_platform_operator(deps: IdentityDeps) -> bool:
    """Create the platform account from the bootstrap secret once; whether it was created.

    Later starts leave it alone, so a password changed through the API is not reset.
    """
    if deps.platform_password is None:
        return False
    email = normalise_email(deps.platform_email)
    async with deps.sessions() as session:
        if await store.operator_by_email(session, email) is not None:
            return False
    password_hash = await deps.hashing.hash(deps.platform_password.get_secret_value())
    now = datetime.now(UTC)
    try:
        async with deps.sessions() as session, session.begin():
            session.add(
                OperatorRecord(
                    id=store.new_id(),
                    email=email,
                    password_hash=password_hash,
                    is_platform=True,
                    created_at=now,
                    password_changed_at=now,
                )
            )
    except IntegrityError:
        return False  # another replica created it first
    log.info("platform.operator_created")
    return True


@dataclass(frozen=True, slots=True)
class ProvisionedTenant:
    tenant_id: str
    name: str
    owner_invite: Link


async def create_tenant_with_owner(
    tenant_id: str, name: str, owner_email: str, actor: Actor, deps: IdentityDeps
) -> ProvisionedTenant:
    """The tenant and an owner invite commit together (and are audited in the tenant)."""
    email = normalise_email(owner_email)
    check_can_grant(None, "owner", platform=True)
    try:
        async with deps.sessions() as session, session.begin():
            if await session.get(TenantRecord, tenant_id) is not None:
                raise AlreadyMemberError(f"tenant {tenant_id!r} already exists")
            session.add(TenantRecord(id=tenant_id, name=name))
            await session.flush()
            audit_log.record(session, tenant_id, "tenant.created", actor, target=tenant_id)
            invite = stage_invite(session, tenant_id, email, "owner", actor, deps)
    except IntegrityError as exc:
        raise AlreadyMemberError(f"tenant {tenant_id!r} already exists") from exc
    log.info("platform.tenant_created", tenant_id=tenant_id)
    link = await link_for(deps, "invite", invite.id, invite.expires_at)
    return ProvisionedTenant(tenant_id, name, link)


async def rotate_signing_key(actor: Actor, deps: IdentityDeps) -> str:
    key = await deps.keys.rotate()
    async with deps.sessions() as session, session.begin():
        audit_log.record(session, PLATFORM_TENANT, "signing_key.rotated", actor, target=key.kid)
    return key.kid
