"""Translations: per-language texts of products, FAQs and offers (a JSON object each).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("products", "faqs", "offers")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
