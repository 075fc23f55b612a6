"""Alembic environment of the catalog: its tables plus the kit's outbox and inbox (see
`bancone_kit.db.migrations`)."""

from bancone_catalog.adapters import order_tables  # noqa: F401 - registers the selling tables
from bancone_catalog.adapters.tables import CatalogTable
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(CatalogTable.metadata)
