"""Alembic environment of the ingest; the logic is shared in `bancone_kit.db.migrations`.

The ingest's table lives in its own registry (see `adapters/tables.py`); the target metadata
is that table plus the kit's outbox and inbox, for --autogenerate.
"""

from bancone_ingest.adapters.tables import schema_metadata
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(target_metadata=schema_metadata())
