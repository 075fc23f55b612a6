"""Knowledge settings per tenant: whether documents may be fetched from URLs (off by default).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_settings",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("allow_url_fetch", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_settings")
