"""Pacing shared by every notifier replica: a bucket row per business number and a row per
(number, customer) pair (docs/pacing.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pacing_numbers",
        sa.Column("phone_number_id", sa.String(64), primary_key=True),
        sa.Column("next_slot_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("tier_per_second", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pacing_pairs",
        sa.Column("phone_number_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
    )
    op.create_index("ix_pacing_pairs_next_at", "pacing_pairs", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_pacing_pairs_next_at", table_name="pacing_pairs")
    op.drop_table("pacing_pairs")
    op.drop_table("pacing_numbers")
