"""The gateway's identity tables (created only by migration `0003_identity`).

Operators are global (one login across tenants); memberships give them a role per tenant.
Invites, password resets and refresh tokens are stored so each can be used once and revoked;
refresh tokens only as SHA-256 hashes. Signing keys keep their private half sealed with the
gateway's at-rest keyring.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field

from bancone_gateway.adapters.tables import GatewayTable
from bancone_kit.db.types import UtcDateTime


def _now() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = False) -> sa.Column[datetime]:
    """Aware UTC on SQLite too (`make run`): expiry checks compare with aware `now`."""
    return sa.Column(UtcDateTime(), nullable=nullable)


class OperatorRecord(GatewayTable, table=True):
    """A person who logs in; `password_hash` is None until an invite is accepted."""

    __tablename__ = "operators"
    __table_args__ = (sa.UniqueConstraint("email", name="uq_operators_email"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    password_hash: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    is_platform: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    created_at: datetime = Field(default_factory=_now, sa_column=_when())
    password_changed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class MembershipRecord(GatewayTable, table=True):
    """An operator's role in one tenant."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'agent', 'viewer')", name="ck_memberships_role"
        ),
        sa.Index("ix_memberships_tenant_id", "tenant_id"),
    )

    operator_id: str = Field(
        sa_column=sa.Column(
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_memberships_operator_id"),
            primary_key=True,
        )
    )
    tenant_id: str = Field(
        sa_column=sa.Column(
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_memberships_tenant_id"),
            primary_key=True,
        )
    )
    role: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_when())


class InviteRecord(GatewayTable, table=True):
    """A pending invitation; the link carries a signed token naming this row (one use)."""

    __tablename__ = "operator_invites"
    __table_args__ = (sa.Index("ix_operator_invites_tenant_id", "tenant_id"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    tenant_id: str = Field(
        sa_column=sa.Column(
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_operator_invites_tenant_id"),
            nullable=False,
        )
    )
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False))
    role: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    invited_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    created_at: datetime = Field(default_factory=_now, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class PasswordResetRecord(GatewayTable, table=True):
    """A password reset an owner/admin issued; the link names this row (one use)."""

    __tablename__ = "password_resets"
    __table_args__ = (sa.Index("ix_password_resets_operator_id", "operator_id"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    operator_id: str = Field(
        sa_column=sa.Column(
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_password_resets_operator"),
            nullable=False,
        )
    )
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    issued_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    created_at: datetime = Field(default_factory=_now, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class RefreshTokenRecord(GatewayTable, table=True):
    """One refresh token (its SHA-256 only) in a family that a login started."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        sa.Index("ix_refresh_tokens_family_id", "family_id"),
        sa.Index("ix_refresh_tokens_operator_id", "operator_id"),
    )

    token_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    family_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    operator_id: str = Field(
        sa_column=sa.Column(
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_refresh_tokens_operator"),
            nullable=False,
        )
    )
    tenant_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(63), nullable=True))
    created_at: datetime = Field(default_factory=_now, sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class SigningKeyRecord(GatewayTable, table=True):
    """An Ed25519 token-signing key: the newest unretired one signs, all unretired verify."""

    __tablename__ = "signing_keys"

    kid: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    private_key_sealed: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    public_jwk: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_when())
    retired_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class AuditRecord(GatewayTable, table=True):
    """One operator or platform action; also published as `bancone.audit.v1` (outbox)."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_tenant_occurred", "tenant_id", "occurred_at"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    actor_kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    actor_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    target: str | None = Field(default=None, sa_column=sa.Column(sa.String(320), nullable=True))
    role: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    source_ip: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    occurred_at: datetime = Field(default_factory=_now, sa_column=_when())
