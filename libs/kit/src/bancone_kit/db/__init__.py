"""Database access: async engines and sessions from one URL, Alembic migrations per service."""

from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.db.engine import (
    create_engine,
    is_sqlite,
    normalize_database_url,
    session_factory,
)

__all__ = [
    "create_engine",
    "insert_ignoring_conflict",
    "is_sqlite",
    "normalize_database_url",
    "session_factory",
]
