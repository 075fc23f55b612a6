"""Column types the services' tables share.

`UtcDateTime` is how every service stores a point in time: PostgreSQL keeps it as
`timestamptz`, SQLite (the embedded default) as a naive string, so without it the same row
would come back aware from one engine and naive from the other.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["UtcDateTime"]


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that comes back timezone-aware UTC from SQLite too (it stores it naive).

    A naive datetime is refused on the way in: stored times are UTC, never local guesses.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; stored times are UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
