"""Insert-unless-present, the building block of idempotent writes (inbox claims, natural keys).

PostgreSQL and SQLite both spell it `INSERT ... ON CONFLICT DO NOTHING`, through their own
dialect constructs; any other database is refused rather than silently double-writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(dialect: str, table: sa.Table) -> Any:
    """`table`'s INSERT in `dialect`'s own construct, which spells `ON CONFLICT` (`DO NOTHING`
    or `DO UPDATE`); other databases are refused."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


def insert_ignoring_conflict_statement(
    dialect: str,
    table: sa.Table,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    index_elements: Sequence[str] | None = None,
) -> sa.Insert:
    """The `INSERT ... ON CONFLICT DO NOTHING` of `dialect` (callers may add `.returning`)."""
    statement: sa.Insert = (
        dialect_insert(dialect, table)
        .values(values)
        .on_conflict_do_nothing(index_elements=index_elements)
    )
    return statement


async def insert_ignoring_conflict(
    session: AsyncSession, model: Any, values: Mapping[str, Any]
) -> bool:
    """Insert one row of `model` (a table class) unless a unique key already holds it; True when
    this call inserted it. Runs in the session's transaction."""
    table: sa.Table = model.__table__
    connection = await session.connection()
    statement = insert_ignoring_conflict_statement(connection.dialect.name, table, values)
    result = await connection.execute(statement)
    return bool(result.rowcount)
