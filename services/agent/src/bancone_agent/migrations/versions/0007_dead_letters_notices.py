"""Dead letters the agent keeps for operators, and WhatsApp's account notices.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("source_topic", sa.String(249), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=True),
        sa.Column("key", sa.String(512), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("error_type", sa.String(200), nullable=False),
        sa.Column("error", sa.String(1000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("times_dead_lettered", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        _ts("first_failed_at"),
        _ts("last_failed_at"),
        sa.Column("replays", sa.Integer(), nullable=False),
        _ts("replayed_at", nullable=True),
        sa.Column("replayed_by", sa.String(128), nullable=True),
        sa.CheckConstraint("status IN ('dead', 'replayed')", name="ck_dead_letters_status"),
    )
    op.create_index(
        "ix_dead_letters_tenant_failed", "dead_letters", ["tenant_id", "last_failed_at"]
    )
    op.create_index("ix_dead_letters_failed", "dead_letters", ["last_failed_at"])
    op.create_table(
        "whatsapp_notices",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("waba_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=True),
        sa.Column("notice", sa.JSON(), nullable=False),
        _ts("received_at"),
    )
    op.create_index(
        "ix_whatsapp_notices_tenant_received", "whatsapp_notices", ["tenant_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_whatsapp_notices_tenant_received", table_name="whatsapp_notices")
    op.drop_table("whatsapp_notices")
    op.drop_index("ix_dead_letters_failed", table_name="dead_letters")
    op.drop_index("ix_dead_letters_tenant_failed", table_name="dead_letters")
    op.drop_table("dead_letters")
