"""The consent ledger (records, current state, per-tenant keywords) and the 24-hour window
(each customer's last inbound time per business number, and the inbound messages seen).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_windows",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("phone_number_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("last_inbound_at", _when(), nullable=False),
        sa.Column("last_message_id", sa.String(256), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
    )
    op.create_table(
        "inbound_seen",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("message_id", sa.String(256), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("received_at", _when(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
    )
    op.create_index("ix_inbound_seen_recorded_at", "inbound_seen", ["recorded_at"])
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("proof", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", _when(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.CheckConstraint("action IN ('opt_in', 'opt_out')", name="ck_consent_records_action"),
        sa.UniqueConstraint("tenant_id", "event_id", name="uq_consent_records_event"),
    )
    op.create_index(
        "ix_consent_records_tenant_customer",
        "consent_records",
        ["tenant_id", "customer_id", "occurred_at"],
    )
    op.create_table(
        "customer_consents",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("changed_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.CheckConstraint(
            "status IN ('opted_in', 'opted_out')", name="ck_customer_consents_status"
        ),
    )
    op.create_table(
        "consent_keywords",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consent_keywords")
    op.drop_table("customer_consents")
    op.drop_index("ix_consent_records_tenant_customer", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_index("ix_inbound_seen_recorded_at", table_name="inbound_seen")
    op.drop_table("inbound_seen")
    op.drop_table("customer_windows")
