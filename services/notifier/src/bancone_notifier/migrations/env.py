"""Alembic environment of the notifier; the logic is shared in `bancone_kit.db.migrations`.

The notifier's tables live in their own registry (see `adapters/tables.py`); the target
metadata is that registry's tables plus the kit's outbox and inbox, for --autogenerate.
"""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from bancone_kit.db.migrations import run_alembic_env
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord
from bancone_notifier.adapters.tables import NotifierTable


def _target_metadata() -> MetaData:
    combined = MetaData()
    for table in NotifierTable.metadata.tables.values():
        table.to_metadata(combined)
    for name in (OutboxRecord.__tablename__, InboxRecord.__tablename__):
        SQLModel.metadata.tables[str(name)].to_metadata(combined)
    return combined


run_alembic_env(target_metadata=_target_metadata())
