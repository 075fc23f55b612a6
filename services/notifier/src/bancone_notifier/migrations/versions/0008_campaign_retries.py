"""Campaign recipients whose send failed for a reason worth retrying (the Graph API
unreachable, 5xx, Meta's throughput limits after the send path's own retries) are queued again
with a new outbound id: how many times it was tried, and not before when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_recipients") as batch:
        batch.add_column(
            sa.Column("attempt", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipients") as batch:
        batch.drop_column("not_before")
        batch.drop_column("attempt")
