"""Hand-off state on conversations, versioned agent configs, and the run log (agent_turns).

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(_ts("state_changed_at", nullable=True))
        batch.add_column(sa.Column("escalation_reason", sa.String(200), nullable=True))
        batch.add_column(sa.Column("operator_id", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("failed_turns", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_conversations_tenant_state", "conversations", ["tenant_id", "state", "updated_at"]
    )
    op.create_table(
        "agent_configs",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("config", sa.JSON(), nullable=False),
        _ts("created_at"),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "agent_turns",
        sa.Column("tenant_id", sa.String(63), primary_key=True),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("assistant", sa.String(16), nullable=False),
        sa.Column("model", sa.String(128), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(18, 8), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("tool_calls", sa.JSON(), nullable=False),
        sa.Column("guard_findings", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("escalation_reason", sa.String(200), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_agent_turns_conversation",
        ),
    )
    op.create_index(
        "ix_agent_turns_tenant_created", "agent_turns", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_agent_turns_tenant_conversation", "agent_turns", ["tenant_id", "conversation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_agent_turns_tenant_conversation", table_name="agent_turns")
    op.drop_index("ix_agent_turns_tenant_created", table_name="agent_turns")
    op.drop_table("agent_turns")
    op.drop_table("agent_configs")
    op.drop_index("ix_conversations_tenant_state", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("failed_turns")
        batch.drop_column("operator_id")
        batch.drop_column("escalation_reason")
        batch.drop_column("state_changed_at")
