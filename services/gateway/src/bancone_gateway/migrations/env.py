"""Alembic environment of the gateway: its tables plus the kit's outbox and inbox (see
`bancone_kit.db.migrations`)."""

import bancone_gateway.adapters.identity_tables  # noqa: F401  (operators, tokens, keys, audit)
from bancone_gateway.adapters.tables import GatewayTable
from bancone_kit.db.migrations import run_alembic_env

run_alembic_env(GatewayTable.metadata)
