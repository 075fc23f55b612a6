"""Reads and writes of operators, memberships and refresh tokens (inside the caller's session)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.identity_tables import (
    MembershipRecord,
    OperatorRecord,
    RefreshTokenRecord,
)


def new_id() -> str:
    return str(uuid.uuid4())


async def operator_by_email(session: AsyncSession, email: str) -> OperatorRecord | None:
    query = select(OperatorRecord).where(col(OperatorRecord.email) == email)
    return (await session.exec(query)).one_or_none()


async def memberships_of(session: AsyncSession, operator_id: str) -> list[MembershipRecord]:
    query = (
        select(MembershipRecord)
        .where(col(MembershipRecord.operator_id) == operator_id)
        .order_by(col(MembershipRecord.tenant_id))
    )
    return list((await session.exec(query)).all())


async def membership(
    session: AsyncSession, operator_id: str, tenant_id: str
) -> MembershipRecord | None:
    return await session.get(MembershipRecord, (operator_id, tenant_id))


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough here: the token is 256 random bits, not a guessable password."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token(
    session: AsyncSession,
    operator_id: str,
    tenant_id: str | None,
    family_id: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    """Stage a refresh token of `family_id`; returns the token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshTokenRecord(
            token_hash=hash_refresh_token(token),
            family_id=family_id,
            operator_id=operator_id,
            tenant_id=tenant_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def refresh_token_record(session: AsyncSession, token: str) -> RefreshTokenRecord | None:
    """The row of a presented token, locked so two concurrent refreshes cannot both rotate."""
    query = (
        select(RefreshTokenRecord)
        .where(col(RefreshTokenRecord.token_hash) == hash_refresh_token(token))
        .with_for_update()
    )
    return (await session.exec(query)).one_or_none()


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.exec(
        sa.update(RefreshTokenRecord)
        .where(col(RefreshTokenRecord.family_id) == family_id)
        .where(col(RefreshTokenRecord.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def revoke_operator_tokens(session: AsyncSession, operator_id: str, now: datetime) -> None:
    """Every session of the operator ends (password changed or reset)."""
    await session.exec(
        sa.update(RefreshTokenRecord)
        .where(col(RefreshTokenRecord.operator_id) == operator_id)
        .where(col(RefreshTokenRecord.revoked_at).is_(None))
        .values(revoked_at=now)
    )
