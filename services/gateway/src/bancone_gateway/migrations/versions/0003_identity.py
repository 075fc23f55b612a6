"""Operators, memberships, invites, password resets, refresh tokens, signing keys, audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("is_platform", sa.Boolean(), nullable=False, server_default=sa.false()),
        _when("created_at"),
        _when("password_changed_at", nullable=True),
        sa.UniqueConstraint("email", name="uq_operators_email"),
    )
    op.create_table(
        "memberships",
        sa.Column(
            "operator_id",
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_memberships_operator_id"),
            primary_key=True,
        ),
        sa.Column(
            "tenant_id",
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_memberships_tenant_id"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        _when("created_at"),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'agent', 'viewer')", name="ck_memberships_role"
        ),
    )
    op.create_index("ix_memberships_tenant_id", "memberships", ["tenant_id"])
    op.create_table(
        "operator_invites",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_operator_invites_tenant_id"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.String(64), nullable=True),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
    )
    op.create_index("ix_operator_invites_tenant_id", "operator_invites", ["tenant_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "operator_id",
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_password_resets_operator"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=True),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
    )
    op.create_index("ix_password_resets_operator_id", "password_resets", ["operator_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family_id", sa.String(36), nullable=False),
        sa.Column(
            "operator_id",
            sa.String(36),
            sa.ForeignKey("operators.id", ondelete="CASCADE", name="fk_refresh_tokens_operator"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(63), nullable=True),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        _when("revoked_at", nullable=True),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_operator_id", "refresh_tokens", ["operator_id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        _when("created_at"),
        _when("retired_at", nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("target", sa.String(320), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("source_ip", sa.String(64), nullable=True),
        _when("occurred_at"),
    )
    op.create_index("ix_audit_log_tenant_occurred", "audit_log", ["tenant_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_tenant_occurred", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("signing_keys")
    op.drop_index("ix_refresh_tokens_operator_id", table_name="refresh_tokens")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_password_resets_operator_id", table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index("ix_operator_invites_tenant_id", table_name="operator_invites")
    op.drop_table("operator_invites")
    op.drop_index("ix_memberships_tenant_id", table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("operators")
