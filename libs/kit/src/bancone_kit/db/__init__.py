"""Database access: async engines and sessions from one URL, Alembic migrations per service."""

from bancone_kit.db.engine import (
    create_engine,
    is_sqlite,
    normalize_database_url,
    session_factory,
)

__all__ = ["create_engine", "is_sqlite", "normalize_database_url", "session_factory"]
