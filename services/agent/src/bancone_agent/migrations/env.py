"""Alembic environment of the agent; the logic is shared in `bancone_kit.db.migrations`.

The target metadata (for --autogenerate) is the agent's own registry plus the kit's outbox
and inbox.
"""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from bancone_agent.adapters.tables import AgentTable
from bancone_kit.db.migrations import run_alembic_env
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord


def _target_metadata() -> MetaData:
    combined = MetaData()
    for table in AgentTable.metadata.tables.values():
        table.to_metadata(combined)
    for name in (OutboxRecord.__tablename__, InboxRecord.__tablename__):
        SQLModel.metadata.tables[str(name)].to_metadata(combined)
    return combined


run_alembic_env(target_metadata=_target_metadata())
