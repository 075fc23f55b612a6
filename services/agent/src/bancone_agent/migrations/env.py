"""Alembic environment of the agent: its tables plus the kit's outbox and inbox (see
`bancone_kit.db.migrations`)."""

from bancone_agent.adapters.tables import AgentTable
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(AgentTable.metadata)
