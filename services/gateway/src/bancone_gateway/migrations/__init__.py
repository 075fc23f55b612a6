"""The gateway's Alembic history; run it with `bancone-gateway migrate`."""
