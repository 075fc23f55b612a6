"""The ingest's Alembic history; run it with `bancone-ingest migrate`."""
