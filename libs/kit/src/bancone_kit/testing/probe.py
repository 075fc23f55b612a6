"""A throwaway event and effect table the messaging tests drive through real Kafka and databases.

Lives in the package (not under tests/) because the crash tests run it in a child process.
"""

from __future__ import annotations

import builtins
import uuid
from typing import ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel

from bancone_contracts.common import ContractModel
from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.inbox import claim
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord


class ProbeData(ContractModel):
    n: int
    poison: bool = False


class ProbeEvent(Envelope[ProbeData]):
    """`topic` is set per test (each test gets its own topic) with `ProbeEvent.on(topic)`."""

    topic: ClassVar[str] = "unset"
    type: Literal["test.probe"] = "test.probe"
    version: Literal[1] = 1

    @classmethod
    def on(cls, topic: str) -> builtins.type[ProbeEvent]:
        return builtins.type(f"ProbeOn{abs(hash(topic))}", (cls,), {"topic": topic})

    @classmethod
    def make(cls, n: int, *, key: str = "probe:k", poison: bool = False) -> ProbeEvent:
        return cls(
            tenant_id="probe", source="test", subject=key, data=ProbeData(n=n, poison=poison)
        )


class ProbeEffect(SQLModel, table=True):
    """One row per handled event: counting rows counts side effects."""

    __tablename__ = "probe_effect"

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    n: int


async def create_probe_schema(engine: AsyncEngine) -> None:
    names = (OutboxRecord.__tablename__, InboxRecord.__tablename__, ProbeEffect.__tablename__)
    tables = [SQLModel.metadata.tables[str(name)] for name in names]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=tables))


async def record_effect(
    sessions: async_sessionmaker[AsyncSession], consumer: str, event: ProbeEvent
) -> bool:
    """Apply the probe's side effect exactly once per event id; False when it was a redelivery."""
    async with claim(sessions, consumer, event.id) as session:
        if session is None:
            return False
        session.add(ProbeEffect(event_id=event.id, n=event.data.n))
        return True


async def effects(engine: AsyncEngine) -> list[tuple[uuid.UUID, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT event_id, n FROM probe_effect ORDER BY id"))
        return [(uuid.UUID(str(r[0])), int(r[1])) for r in rows]
