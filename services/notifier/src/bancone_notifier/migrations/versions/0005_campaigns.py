"""Campaigns: the campaign, its materialised recipients, customer profiles for variables and
the tenant's campaign settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer_profiles",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("profile_name", sa.String(256), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        _at("updated_at"),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(200), nullable=True),
        _at("send_at", nullable=True),
        _at("started_at", nullable=True),
        _at("finished_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.CheckConstraint(
            "state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')",
            name="ck_campaigns_state",
        ),
        sa.UniqueConstraint("tenant_id", "origin", name="uq_campaigns_origin"),
    )
    op.create_index("ix_campaigns_due", "campaigns", ["state", "send_at"])
    op.create_index("ix_campaigns_tenant", "campaigns", ["tenant_id", "created_at"])
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("outbound_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("skip_reason", sa.String(200), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        _at("claimed_at", nullable=True),
        _at("done_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'claimed', 'done', 'skipped')", name="ck_campaign_recipients_state"
        ),
        sa.UniqueConstraint("outbound_id", name="uq_campaign_recipients_outbound"),
    )
    op.create_index(
        "ix_campaign_recipients_state", "campaign_recipients", ["campaign_id", "state"]
    )
    op.create_table(
        "campaign_settings",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("draft_on_new_offer", sa.Boolean(), nullable=False),
        sa.Column("offer_template", sa.JSON(), nullable=True),
        sa.Column("phone_number_id", sa.String(64), nullable=True),
        _at("updated_at"),
    )


def downgrade() -> None:
    op.drop_table("campaign_settings")
    op.drop_index("ix_campaign_recipients_state", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_tenant", table_name="campaigns")
    op.drop_index("ix_campaigns_due", table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_table("customer_profiles")
