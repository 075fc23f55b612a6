"""SQLAlchemy's aiosqlite adapter with the statements run on the event loop's thread.

aiosqlite runs each sqlite3 call on its own thread and hands the result back to the loop.
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch the
rows, close it), each a thread wake-up, a GIL hand-over, a loop wake-up and a greenlet
switch, while the statement itself takes microseconds on a local WAL file; in `make bench`
these hand-offs were the largest single cost of the agent and the notifier (docs/benchmarks.md,
issue 11). Here the cursor runs, fetches and closes the statement in one call on the loop's
thread, and commit and rollback run there too; aiosqlite's thread is left only opening and
closing the connection. The price: a statement blocks the loop while it runs (a WAL
checkpoint's write included, every ~4 MB of changes). A statement refused because another
connection holds the write lock is retried after an asynchronous pause (`_run_inline`), never
left sleeping in SQLite's busy handler. Everything else is SQLAlchemy's adapter unchanged; it
is given to the engine as its DBAPI module (`create_engine(..., module=one_hop_aiosqlite())`).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

LOCK_WAIT_SECONDS = 5.0
"""How long a statement waits for another connection's write lock before it fails as locked."""


def _is_locked(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes included (the low byte is the primary)."""
    return (error.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


_Outcome = tuple[Any, list[Any], int, int | None]
"""What a statement leaves for the caller: description, rows, rowcount, lastrowid."""


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


async def _run_inline(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """`_run` on the event loop's thread; a statement refused because another connection holds
    the write lock is tried again after an asynchronous pause (the loop is never blocked in
    SQLite's busy handler: the connection's busy timeout is 0), for `LOCK_WAIT_SECONDS`."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.001
    while True:
        try:
            return _run(connection, operation, parameters, many)
        except sqlite3.OperationalError as error:
            # Only a statement that began no transaction (BEGIN itself, or one in autocommit)
            # left nothing half done and may simply be tried again.
            retry = operation.startswith("BEGIN") or not connection.in_transaction
            if not (retry and _is_locked(error) and time.monotonic() < deadline):
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs, is fetched and closed in one driver call."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is opened here (the base class opens one: a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            outcome = await_(_run_inline(driver._conn, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor closed with the statement."""

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # a subclass; mypy reads the slot's type

    def commit(self) -> None:
        try:
            self._connection._conn.commit()
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        try:
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)


class OneHopAiosqlite(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI module whose connections make `OneHopCursor`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_aiosqlite() -> OneHopAiosqlite:
    return OneHopAiosqlite(aiosqlite, sqlite3)
