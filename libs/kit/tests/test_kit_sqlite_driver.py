"""SQLite engines: one connection per file, one trip to aiosqlite's thread per statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.db import create_engine, session_factory

pytestmark = pytest.mark.service


@pytest_asyncio.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(sqlite_url)
    async with eng.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"
        )
    yield eng
    await eng.dispose()


async def test_the_cursor_reports_rows_rowcount_lastrowid_and_returning(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        inserted = await connection.exec_driver_sql("INSERT INTO item (name, n) VALUES ('a', 1)")
        assert inserted.lastrowid == 1
        many = await connection.execute(
            sa.text("INSERT INTO item (name, n) VALUES (:name, :n)"),
            [{"name": "b", "n": 2}, {"name": "c", "n": 3}],
        )
        assert many.rowcount == 2
        updated = await connection.exec_driver_sql("UPDATE item SET n = n + 10 WHERE n >= 2")
        assert updated.rowcount == 2
        returned = await connection.exec_driver_sql(
            "UPDATE item SET n = n + 1 WHERE name = 'a' RETURNING id, n"
        )
        assert returned.all() == [(1, 2)]
        rows = await connection.exec_driver_sql("SELECT name, n FROM item ORDER BY id")
        assert list(rows.keys()) == ["name", "n"]
        assert rows.all() == [("a", 2), ("b", 12), ("c", 13)]
        empty = await connection.exec_driver_sql("SELECT name FROM item WHERE n > 100")
        assert empty.all() == []


async def test_driver_errors_keep_their_sqlalchemy_types(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("INSERT INTO item (name, n) VALUES ('a', 1)")
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.exec_driver_sql("INSERT INTO item (name, n) VALUES ('a', 2)")
    async with engine.connect() as connection:
        count = await connection.exec_driver_sql("SELECT count(*) FROM item")
        assert count.scalar() == 1


async def test_concurrent_transactions_queue_for_the_one_connection(engine: AsyncEngine) -> None:
    """Fifty read-then-write transactions at once, each yielding to the others in between:
    none fails with "database is locked" and no increment is lost."""
    assert engine.pool.size() == 1
    sessions = session_factory(engine)
    async with engine.begin() as connection:
        await connection.exec_driver_sql("INSERT INTO item (name, n) VALUES ('counter', 0)")

    async def increment() -> None:
        async with sessions() as session, session.begin():
            connection = await session.connection()
            read = await connection.exec_driver_sql("SELECT n FROM item WHERE name = 'counter'")
            value = read.scalar_one()
            await asyncio.sleep(0.001)
            await connection.execute(
                sa.text("UPDATE item SET n = :n WHERE name = 'counter'"), {"n": value + 1}
            )

    await asyncio.gather(*(increment() for _ in range(50)))
    async with engine.connect() as connection:
        final = await connection.exec_driver_sql("SELECT n FROM item WHERE name = 'counter'")
        assert final.scalar() == 50


async def test_a_begin_that_finds_another_engines_lock_waits_without_blocking_the_loop(
    engine: AsyncEngine, sqlite_url: str
) -> None:
    """Another engine on the file (a migration, a tool) holds the write lock: a BEGIN waits
    for it with the loop free, so the holder can finish and the waiter then succeeds. Had the
    BEGIN waited in SQLite's busy handler, it would have held the loop (and with it the
    holder's commit) until it failed as locked."""
    other = create_engine(sqlite_url)
    try:

        async def write(name: str) -> None:
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text("INSERT INTO item (name, n) VALUES (:name, 0)"), {"name": name}
                )

        async with other.begin() as held:
            await held.exec_driver_sql("INSERT INTO item (name, n) VALUES ('holder', 0)")
            waiting = asyncio.create_task(write("waiter"))
            for _ in range(20):
                await asyncio.sleep(0.005)
            assert not waiting.done(), "the waiter had to wait for the holder's lock"
        await asyncio.wait_for(waiting, 5)
    finally:
        await other.dispose()
    async with engine.connect() as connection:
        names = await connection.exec_driver_sql("SELECT name FROM item ORDER BY id")
        assert names.scalars().all() == ["holder", "waiter"]
