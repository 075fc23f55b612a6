"""Create PostgreSQL databases (and, re-exported, Kafka topics) idempotently, for tests.

Topic creation lives in `bancone_kit.messaging.topic_admin` because deploy scripts need it too;
it is re-exported here so the test fixtures keep one import.
"""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url

from bancone_kit.messaging.topic_admin import ProvisioningError, TopicLike, ensure_topics

__all__ = [
    "ProvisioningError",
    "TopicLike",
    "asyncpg_url",
    "create_database",
    "drop_database",
    "ensure_topics",
    "libpq_url",
    "unique_name",
]


def unique_name(prefix: str) -> str:
    """A name no other test run uses: ``<prefix>-<12 hex chars>``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def libpq_url(url: str, database: str | None = None) -> str:
    """The URL as plain ``postgresql://`` (what asyncpg takes), optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def asyncpg_url(admin_url: str, database: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://``) of ``database`` on the admin URL's server."""
    parsed = make_url(admin_url).set(drivername="postgresql+asyncpg", database=database)
    return parsed.render_as_string(hide_password=False)


async def create_database(admin_url: str, prefix: str = "test") -> str:
    """Create an empty, uniquely named database and return its name."""
    name = unique_name(prefix).replace("-", "_")
    conn = await asyncpg.connect(libpq_url(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(admin_url: str, name: str) -> None:
    """Drop a database even if connections are still open to it (PostgreSQL 13+)."""
    conn = await asyncpg.connect(libpq_url(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
