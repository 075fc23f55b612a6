"""Alembic environment of the ingest: its tables plus the kit's outbox and inbox (see
`bancone_kit.db.migrations`)."""

from bancone_ingest.adapters.tables import IngestTable
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(IngestTable.metadata)
