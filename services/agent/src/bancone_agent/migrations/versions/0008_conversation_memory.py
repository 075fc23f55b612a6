"""Conversation memory: recent turns, items shown, last search and language, per conversation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_memories",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("memory", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "conversation_id"),
    )


def downgrade() -> None:
    op.drop_table("conversation_memories")
