"""Webhook items set aside (rejected_items), the verify-token digest of channels, and
receipts of WhatsApp updates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_rejected_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column("tenant_id", sa.String(63), nullable=True),
        sa.Column("phone_number_id", sa.String(64), nullable=True),
        sa.Column("waba_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('message', 'status', 'update', 'change')", name="ck_webhook_rejected_items_kind"
        ),
    )
    op.create_index(
        "ix_webhook_rejected_items_tenant_received",
        "webhook_rejected_items",
        ["tenant_id", "received_at"],
    )
    op.create_index(
        "ix_webhook_rejected_items_received_at", "webhook_rejected_items", ["received_at"]
    )
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("verify_token_digest", sa.String(64), nullable=True))
    op.create_index("ix_channels_verify_token_digest", "channels", ["verify_token_digest"])
    _receipt_kinds("'message', 'status', 'update'")


def _receipt_kinds(kinds: str) -> None:
    """Receipts of WhatsApp updates (bancone.whatsapp-updates.v1) dedupe like the others."""
    with op.batch_alter_table("webhook_receipts") as batch:
        batch.drop_constraint("ck_webhook_receipts_kind", type_="check")
        batch.create_check_constraint("ck_webhook_receipts_kind", f"kind IN ({kinds})")


def downgrade() -> None:
    _receipt_kinds("'message', 'status'")
    op.drop_index("ix_channels_verify_token_digest", table_name="channels")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("verify_token_digest")
    op.drop_index("ix_webhook_rejected_items_received_at", table_name="webhook_rejected_items")
    op.drop_index(
        "ix_webhook_rejected_items_tenant_received", table_name="webhook_rejected_items"
    )
    op.drop_table("webhook_rejected_items")
