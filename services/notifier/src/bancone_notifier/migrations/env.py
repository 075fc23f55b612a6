"""Alembic environment of the notifier: its tables plus the kit's outbox and inbox (see
`bancone_kit.db.migrations`)."""

from bancone_kit.db.migrations import run_alembic_env
from bancone_notifier.adapters.tables import NotifierTable

run_alembic_env(NotifierTable.metadata)
