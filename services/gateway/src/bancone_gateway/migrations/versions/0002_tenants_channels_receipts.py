"""Tenants, WhatsApp channels (secrets sealed) and webhook receipts (dedupe).

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "channels",
        sa.Column("phone_number_id", sa.String(64), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="RESTRICT", name="fk_channels_tenant_id"),
            nullable=False,
        ),
        sa.Column("waba_id", sa.String(64), nullable=True),
        sa.Column("display_phone_number", sa.String(32), nullable=True),
        sa.Column("verify_token_sealed", sa.Text(), nullable=False),
        sa.Column("app_secret_sealed", sa.Text(), nullable=False),
        sa.Column("access_token_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_channels_status"),
    )
    op.create_index("ix_channels_tenant_id", "channels", ["tenant_id"])
    op.create_table(
        "webhook_receipts",
        sa.Column("dedupe_key", sa.String(512), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("kind IN ('message', 'status')", name="ck_webhook_receipts_kind"),
    )
    op.create_index(
        "ix_webhook_receipts_tenant_received", "webhook_receipts", ["tenant_id", "received_at"]
    )
    op.create_index("ix_webhook_receipts_received_at", "webhook_receipts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_receipts_received_at", table_name="webhook_receipts")
    op.drop_index("ix_webhook_receipts_tenant_received", table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
    op.drop_index("ix_channels_tenant_id", table_name="channels")
    op.drop_table("channels")
    op.drop_table("tenants")
