"""A migrated catalog database on both engines: SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_contracts.events import parse_event
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import OutboxRecord

MIGRATIONS = "bancone_catalog.migrations"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database of each engine in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The database migrated to head through the service's own Alembic history."""
    await upgrade_database(database_url, MIGRATIONS)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> CatalogUnitOfWork:
    return CatalogUnitOfWork(session_factory(engine))


OutboxReader = Callable[[], Awaitable[list[CatalogEntityChanged]]]


@pytest.fixture
def outbox_events(engine: AsyncEngine) -> OutboxReader:
    """`await outbox_events()`: every event staged so far, in commit order, decoded as
    consumers will decode them."""

    async def read() -> list[CatalogEntityChanged]:
        async with session_factory(engine)() as session:
            query = select(OutboxRecord).order_by(col(OutboxRecord.seq))
            records = (await session.exec(query)).all()
        decoded = [parse_event(record.topic, record.payload) for record in records]
        assert all(isinstance(event, CatalogEntityChanged) for event in decoded)
        return [event for event in decoded if isinstance(event, CatalogEntityChanged)]

    return read
