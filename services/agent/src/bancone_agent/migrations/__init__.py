"""The agent's Alembic history; run it with `bancone-agent migrate`."""
