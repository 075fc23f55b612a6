"""A heartbeat row per live notifier replica: the replicas split each number's tier between
them, so their dispatch windows together keep to it (domain/replica_share.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pacing_replicas",
        sa.Column("replica_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pacing_replicas")
