"""The catalog's Alembic history; run it with `bancone-catalog migrate`."""
