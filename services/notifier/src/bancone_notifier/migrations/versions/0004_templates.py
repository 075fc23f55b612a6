"""Message templates per WhatsApp Business Account and tenant: Meta's components, the review
status and quality Meta reports (created, synced and updated by webhooks).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("waba_id", sa.String(64), nullable=False),
        sa.Column("meta_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("quality_score", sa.String(16), nullable=True),
        sa.Column("status_changed_at", _when(), nullable=False),
        sa.Column("synced_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "waba_id", "name", "language", name="uq_message_templates_name"
        ),
    )
    op.create_index("ix_message_templates_meta_id", "message_templates", ["waba_id", "meta_id"])


def downgrade() -> None:
    op.drop_index("ix_message_templates_meta_id", table_name="message_templates")
    op.drop_table("message_templates")
