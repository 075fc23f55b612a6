"""Customer tags (set in the console) and interests (categories bought and asked about) for
campaign audiences.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "customer_tags",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("tag", sa.String(32), primary_key=True),
        _at("created_at"),
    )
    op.create_index("ix_customer_tags_tenant_tag", "customer_tags", ["tenant_id", "tag"])
    op.create_table(
        "customer_interests",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        _at("first_at"),
        _at("last_at"),
        sa.CheckConstraint("kind IN ('bought', 'asked')", name="ck_customer_interests_kind"),
    )
    op.create_index(
        "ix_customer_interests_category", "customer_interests", ["tenant_id", "kind", "category"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_interests_category", table_name="customer_interests")
    op.drop_table("customer_interests")
    op.drop_index("ix_customer_tags_tenant_tag", table_name="customer_tags")
    op.drop_table("customer_tags")
