"""The webhook writer on a migrated SQLite file: group commit keeps exactly-once (a key named
twice in one batch is published once; a failed publish stores nothing, so the retry
publishes), and past its queue it refuses at once without writing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.envelope import Envelope
from bancone_contracts.whatsapp import normalise, parse_webhook
from bancone_gateway.adapters.publisher import EventPublishError
from bancone_gateway.adapters.webhook_writer import WebhookWriter, WriterBusyError, WriterLimits
from bancone_gateway.domain.receipts import Receipt, receipts_for
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database

pytestmark = pytest.mark.unit


class RecordingPublisher:
    """Keeps what it was asked to publish; fails while `down`; waits while `gate` is shut."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.down = False
        self.gate = asyncio.Event()
        self.gate.set()
        self.calls = 0

    async def publish(
        self, events: Sequence[Envelope[Any]], *, earlier: Sequence[Any] = ()
    ) -> None:
        self.calls += 1
        await self.gate.wait()
        if self.down:
            raise EventPublishError("broker down")
        self.published.extend(str(e.id) for e in events)


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(sqlite_url, "bancone_gateway.migrations")
    eng = create_engine(sqlite_url)
    yield eng
    await eng.dispose()


def texts(wa: Any, *wamids: str) -> list[Receipt]:
    messages = [wa.text("393330000001", "Ciao", wamid=w) for w in wamids]
    payload = wa.payload(wa.value("PN1", messages=messages))
    return receipts_for(
        normalise(parse_webhook(wa.encode(payload)), {"PN1": "t1"}.get, source="gateway")
    )


async def receipt_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (
                await connection.execute(sa.text("SELECT count(*) FROM webhook_receipts"))
            ).scalar_one()
        )


async def test_a_key_named_by_two_requests_of_one_batch_is_published_once_for_the_first(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    writer = WebhookWriter(session_factory(engine), publisher)
    first, again = texts(wa, "wamid.A1", "wamid.B1"), texts(wa, "wamid.A1")

    got = await asyncio.gather(writer.write(first, []), writer.write(again, []))
    await writer.stop()

    assert got == [{"msg:wamid.A1", "msg:wamid.B1"}, set()]
    assert sorted(publisher.published) == sorted(str(r.event.id) for r in first)
    assert await receipt_count(engine) == 2


async def test_a_failed_publish_stores_no_receipt_and_the_retry_publishes(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    writer = WebhookWriter(session_factory(engine), publisher)
    receipts = texts(wa, "wamid.C1")

    publisher.down = True
    with pytest.raises(EventPublishError):
        await writer.write(receipts, [])
    stored_after_failure = await receipt_count(engine)
    publisher.down = False
    retried = await writer.write(receipts, [])
    await writer.stop()

    assert stored_after_failure == 0
    assert retried == {"msg:wamid.C1"}
    assert publisher.published == [str(receipts[0].event.id)]


async def test_past_its_queue_it_refuses_at_once_and_writes_nothing_of_the_refused(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    publisher.gate.clear()  # the first batch hangs on its acks
    writer = WebhookWriter(
        session_factory(engine), publisher, limits=WriterLimits(max_queued=1, max_batch=1)
    )
    in_flight = asyncio.create_task(writer.write(texts(wa, "wamid.D1"), []))
    while publisher.calls == 0:
        await asyncio.sleep(0)
    queued = asyncio.create_task(writer.write(texts(wa, "wamid.D2"), []))
    await asyncio.sleep(0)

    assert writer.saturated
    with pytest.raises(WriterBusyError):
        await writer.write(texts(wa, "wamid.D3"), [])
    publisher.gate.set()
    assert await in_flight == {"msg:wamid.D1"}
    assert await queued == {"msg:wamid.D2"}
    await writer.stop()
    assert await receipt_count(engine) == 2


async def test_a_request_that_waited_past_its_deadline_is_refused_unwritten(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    publisher.gate.clear()
    writer = WebhookWriter(
        session_factory(engine), publisher, limits=WriterLimits(max_wait=0.01, max_batch=1)
    )
    in_flight = asyncio.create_task(writer.write(texts(wa, "wamid.E1"), []))
    while publisher.calls == 0:
        await asyncio.sleep(0)
    late = asyncio.create_task(writer.write(texts(wa, "wamid.E2"), []))
    await asyncio.sleep(0.05)
    publisher.gate.set()

    assert await in_flight == {"msg:wamid.E1"}
    with pytest.raises(WriterBusyError):
        await late
    await writer.stop()
    assert await receipt_count(engine) == 1
