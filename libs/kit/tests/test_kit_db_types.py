"""`UtcDateTime` gives back aware UTC times from SQLite (which stores them naive) and refuses
naive ones on the way in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from bancone_kit.db import create_engine
from bancone_kit.db.types import UtcDateTime

pytestmark = pytest.mark.unit

stamps = sa.Table(
    "stamps",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=True),
)


async def test_sqlite_times_come_back_aware_utc_and_naive_ones_are_refused(
    sqlite_url: str,
) -> None:
    rome = timezone(timedelta(hours=2))
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(stamps.metadata.create_all)
            await connection.execute(
                stamps.insert(),
                [{"id": 1, "at": datetime(2025, 6, 1, 12, 30, tzinfo=rome)}, {"id": 2, "at": None}],
            )
            rows = (await connection.execute(sa.select(stamps).order_by(stamps.c.id))).all()
            with pytest.raises(StatementError, match="naive datetime"):
                await connection.execute(stamps.insert(), {"id": 3, "at": datetime(2025, 6, 1)})
    finally:
        await engine.dispose()

    assert rows[0].at == datetime(2025, 6, 1, 10, 30, tzinfo=UTC)
    assert rows[0].at.tzinfo is UTC
    assert rows[1].at is None
