from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_kit.db import create_engine, normalize_database_url, session_factory


@pytest.mark.unit
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("sqlite:///x.sqlite", "sqlite+aiosqlite:///x.sqlite"),
    ],
)
def test_urls_get_their_async_driver(given: str, expected: str) -> None:
    assert normalize_database_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.service
async def test_sqlite_file_gets_its_directory_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "svc.sqlite"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()

    assert path.exists()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 0}


@pytest.mark.service
async def test_sqlite_enforces_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            await connection.exec_driver_sql(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))"
            )
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.exec_driver_sql("INSERT INTO child VALUES (1, 99)")
    finally:
        await engine.dispose()


SEEN = sa.Table("seen", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.mark.service
async def test_rolled_back_savepoint_discards_only_its_own_work(database_url: str) -> None:
    """SAVEPOINTs must join the transaction (sqlite3's legacy mode breaks this on SQLite)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SEEN.create)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await session.exec(sa.insert(SEEN).values(id=1))
            with pytest.raises(IntegrityError):
                async with session.begin_nested():
                    await session.exec(sa.insert(SEEN).values(id=1))
            await session.exec(sa.insert(SEEN).values(id=2))
        async with sessions() as session:
            ids = list(await session.exec(select(SEEN.c.id).order_by(SEEN.c.id)))
    finally:
        await engine.dispose()

    assert ids == [1, 2]


async def _create_table_then_fail(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE temp_thing (id INTEGER)")
        raise RuntimeError("abort")


@pytest.mark.service
async def test_sqlite_rollback_undoes_ddl(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        with pytest.raises(RuntimeError, match="abort"):
            await _create_table_then_fail(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
    finally:
        await engine.dispose()

    assert "temp_thing" not in tables


@pytest.mark.service
async def test_a_statement_in_autocommit_is_committed_on_both_databases(database_url: str) -> None:
    """A session connection in AUTOCOMMIT runs each statement as its own transaction. On
    SQLite the kit's `BEGIN IMMEDIATE` must stay out of it: nothing would ever commit that
    BEGIN, and the write would be rolled back when the connection went back to the pool."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SEEN.metadata.create_all)
        async with sessions() as session:
            connection = await session.connection(
                execution_options={"isolation_level": "AUTOCOMMIT"}
            )
            await connection.execute(SEEN.insert().values(id=7))
        async with sessions() as session:
            kept = (await session.exec(select(SEEN.c.id))).all()
        assert kept == [7]
    finally:
        await engine.dispose()
