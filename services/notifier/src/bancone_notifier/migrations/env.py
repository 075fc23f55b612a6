"""Alembic environment of the notifier; the logic is shared in `bancone_kit.db.migrations`.

The notifier's tables live in their own registry (see `adapters/tables.py`); the target
metadata is those tables plus the kit's outbox and inbox, for --autogenerate.
"""

from bancone_kit.db.migrations import run_alembic_env
from bancone_notifier.adapters.tables import schema_metadata

run_alembic_env(target_metadata=schema_metadata())
