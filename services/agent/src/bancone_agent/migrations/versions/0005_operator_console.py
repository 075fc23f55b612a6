"""What the operators' console needs: notes and the operator on messages, the assignee of a
conversation, and the per-tenant live feed (`feed_events`, numbered by `feed_cursors`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("operator_id", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("is_note", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(128), nullable=True))
    op.create_table(
        "feed_cursors",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "feed_events",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_events")
    op.drop_table("feed_cursors")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("assigned_to")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("is_note")
        batch.drop_column("operator_id")
