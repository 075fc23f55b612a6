"""Alembic environment of the gateway; the logic is shared in `bancone_kit.db.migrations`."""

from sqlmodel import SQLModel

import bancone_gateway.adapters.identity_tables
import bancone_gateway.adapters.tables  # noqa: F401  (tenants, channels, webhook_receipts)
import bancone_kit.messaging.tables  # noqa: F401  (outbox, inbox: part of the metadata)
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(target_metadata=SQLModel.metadata)
