"""Alembic environment of the notifier; the logic is shared in `bancone_kit.db.migrations`."""

from bancone_kit.db.migrations import run_alembic_env

# Pass the service's SQLModel metadata here once it has tables, for --autogenerate.
run_alembic_env(target_metadata=None)
