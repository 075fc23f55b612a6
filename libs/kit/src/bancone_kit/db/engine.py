"""One URL setting gives an async engine for PostgreSQL (asyncpg) or SQLite (aiosqlite).

SQLite is the embedded default, so it is tuned to behave like a real transactional database:
WAL (readers never block the writer), foreign keys enforced, a wait for the write lock instead
of immediate "database is locked" errors, and SQLAlchemy emitting the BEGIN itself so that
SELECTs, DDL and SAVEPOINTs take part in transactions (the sqlite3 driver's legacy mode skips
them). That BEGIN is IMMEDIATE: a deferred transaction that reads and then writes fails at once
with SQLITE_BUSY (snapshot) when another connection wrote in between, however long it would
wait — `make bench` saw the outbox relays and the notifier hit exactly that. Taking the write
lock up front makes writers queue instead.

As only one transaction can hold that lock, a file's engine keeps one connection: a process's
transactions queue for it in asyncio. Its statements run on the event loop's thread
(`sqlite_driver`: microseconds each on a local WAL file, where the hand-off to aiosqlite's
thread cost more than the statement); a BEGIN that finds another connection's lock (another
engine or process on the file: migrations, tools) waits for it asynchronously, SQLite's own
busy handler, which would sleep on the loop, being off (busy timeout 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.db.sqlite_driver import one_hop_aiosqlite

SQLITE_POOL_TIMEOUT_S = 30.0
"""How long a transaction waits for the engine's one SQLite connection before failing."""

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalize_database_url(url: str | URL) -> URL:
    """The URL with its async driver: `postgresql://` becomes `postgresql+asyncpg://` and so on."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _tune_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # each statement its own transaction: a BEGIN here would never be committed
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(
    url: str | URL, *, sqlite_foreign_keys: bool = True, **kwargs: Any
) -> AsyncEngine:
    """An async engine for the URL; a SQLite file's parent directory is created if missing.

    `sqlite_foreign_keys=False` is for Alembic batch migrations, which rebuild tables and
    must not trip foreign keys half-way; everything else keeps them on.
    """
    parsed = normalize_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One file, one writer: PostgreSQL's pool settings mean nothing here.
        for option in ("pool_size", "max_overflow", "pool_pre_ping"):
            kwargs.pop(option, None)
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection: every transaction takes the file's write lock (BEGIN IMMEDIATE),
            # so a second connection could only wait for it in SQLite's busy handler, which
            # polls with sleeps of up to 100 ms. Waiting for the pool's one connection instead
            # is an asyncio wait, woken the moment it is returned (docs/benchmarks.md, issue 11).
            if "poolclass" not in kwargs:
                kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0)
                kwargs.setdefault("pool_timeout", SQLITE_POOL_TIMEOUT_S)
        kwargs.setdefault("module", one_hop_aiosqlite())
        engine = create_async_engine(parsed, **kwargs)
        _tune_sqlite(engine, foreign_keys=sqlite_foreign_keys)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no implicit refresh I/O)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
