"""Channels (access token sealed as received), outbound messages (the at-most-once claim and the
delivery lifecycle) and delivery statuses (deduped per wamid and status).

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-27 00:00:00
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
        "channels",
        sa.Column("phone_number_id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("access_token_ciphertext", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.Column("waba_id", sa.String(64), nullable=True),
        sa.Column("display_phone_number", sa.String(32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_channels_status"),
    )
    op.create_index("ix_channels_tenant_id", "channels", ["tenant_id"])
    op.create_table(
        "outbound_messages",
        sa.Column("outbound_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("content_kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("wamid", sa.String(256), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(500), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('sending', 'accepted', 'sent', 'delivered', 'read', 'failed', 'unknown')",
            name="ck_outbound_messages_state",
        ),
        sa.UniqueConstraint("wamid", name="uq_outbound_messages_wamid"),
    )
    op.create_index(
        "ix_outbound_messages_tenant_wamid", "outbound_messages", ["tenant_id", "wamid"]
    )
    op.create_index(
        "ix_outbound_messages_tenant_customer",
        "outbound_messages",
        ["tenant_id", "customer_id", "created_at"],
    )
    op.create_index("ix_outbound_messages_state", "outbound_messages", ["state"])
    op.create_table(
        "delivery_statuses",
        sa.Column("wamid", sa.String(256), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("outbound_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(500), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_delivery_statuses_outbound_id", "delivery_statuses", ["outbound_id"])
    op.create_index(
        "ix_delivery_statuses_tenant_received", "delivery_statuses", ["tenant_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_statuses_tenant_received", table_name="delivery_statuses")
    op.drop_index("ix_delivery_statuses_outbound_id", table_name="delivery_statuses")
    op.drop_table("delivery_statuses")
    op.drop_index("ix_outbound_messages_state", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_tenant_customer", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_tenant_wamid", table_name="outbound_messages")
    op.drop_table("outbound_messages")
    op.drop_index("ix_channels_tenant_id", table_name="channels")
    op.drop_table("channels")
