"""Customers, conversations and messages; `tenant_id` leads every key and index.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-28 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("wa_id", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("profile_name", sa.String(256), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_table(
        "conversations",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        _ts("opened_at"),
        _ts("updated_at"),
        _ts("last_inbound_at", nullable=True),
        sa.UniqueConstraint("tenant_id", "customer_id", name="uq_conversations_tenant_customer"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.customer_id"],
            name="fk_conversations_customer",
        ),
    )
    op.create_index(
        "ix_conversations_tenant_updated", "conversations", ["tenant_id", "updated_at"]
    )
    op.create_table(
        "messages",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("wamid", sa.String(256), nullable=True),
        sa.Column("outbound_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("reply_to", sa.String(256), nullable=True),
        sa.Column("delivery_status", sa.String(16), nullable=True),
        sa.Column("delivery_error", sa.String(500), nullable=True),
        _ts("delivery_updated_at", nullable=True),
        _ts("occurred_at", nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("tenant_id", "wamid", name="uq_messages_tenant_wamid"),
        sa.UniqueConstraint("tenant_id", "outbound_id", name="uq_messages_tenant_outbound"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_messages_conversation",
        ),
        sa.CheckConstraint("direction IN ('in', 'out')", name="ck_messages_direction"),
    )
    op.create_index(
        "ix_messages_tenant_conversation",
        "messages",
        ["tenant_id", "conversation_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_tenant_conversation", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_conversations_tenant_updated", table_name="conversations")
    op.drop_table("conversations")
    op.drop_table("customers")
