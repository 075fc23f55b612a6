"""Satisfaction questions asked after a resolve and their answers (1-5).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
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
        "satisfaction_answers",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("outbound_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("operator_id", sa.String(128), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_wamid", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "outbound_id", name="uq_satisfaction_outbound"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_satisfaction_score"),
    )
    op.create_index(
        "ix_satisfaction_customer", "satisfaction_answers", ["tenant_id", "customer_id", "asked_at"]
    )
    op.create_index(
        "ix_satisfaction_answered", "satisfaction_answers", ["tenant_id", "answered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_satisfaction_answered", table_name="satisfaction_answers")
    op.drop_index("ix_satisfaction_customer", table_name="satisfaction_answers")
    op.drop_table("satisfaction_answers")
