"""Indexed entities: per catalog entity, the time of the last event applied to the index, so
an older event arriving late never overwrites a newer state.

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


def upgrade() -> None:
    op.create_table(
        "indexed_entities",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("entity_kind", sa.String(16), primary_key=True),
        sa.Column("entity_id", sa.String(128), primary_key=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("stock_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("in_stock", sa.Boolean(), nullable=True),
        sa.Column("last_event_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity_kind IN ('product', 'service', 'faq', 'offer')",
            name="ck_indexed_entities_kind",
        ),
    )


def downgrade() -> None:
    op.drop_table("indexed_entities")
