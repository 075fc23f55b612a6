"""The webhook writer on a migrated SQLite file: group commit keeps exactly-once (a key named
twice in one batch is published once; a failed publish stores nothing, so the retry
publishes), past its queue it refuses at once without writing, and past the answer deadline
it answers while the batch goes on (the retry is then a duplicate, never a second send)."""

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
from bancone_gateway.adapters.webhook_writer import (
    WebhookWriter,
    WriterBusyError,
    WriterLimits,
    WriterTimeoutError,
)
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
        self.failures = 0

    async def publish(
        self, events: Sequence[Envelope[Any]], *, earlier: Sequence[Any] = ()
    ) -> None:
        self.calls += 1
        await self.gate.wait()
        if self.down:
            self.failures += 1
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


async def test_past_the_answer_deadline_the_request_is_answered_and_its_batch_still_commits(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    publisher.gate.clear()  # the acks take longer than the deadline
    writer = WebhookWriter(session_factory(engine), publisher, limits=WriterLimits(max_answer=0.05))
    receipts = texts(wa, "wamid.F1")

    with pytest.raises(WriterTimeoutError):
        await writer.write(receipts, [])
    publisher.gate.set()
    while await receipt_count(engine) == 0:
        await asyncio.sleep(0.01)
    retried = await writer.write(texts(wa, "wamid.F1"), [])
    await writer.stop()

    assert retried == set()  # Meta's retry is a duplicate, not a second send
    assert publisher.published == [str(receipts[0].event.id)]


async def test_past_the_answer_deadline_a_batch_that_fails_leaves_the_retry_to_publish(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    publisher.gate.clear()
    publisher.down = True
    writer = WebhookWriter(session_factory(engine), publisher, limits=WriterLimits(max_answer=0.05))
    receipts = texts(wa, "wamid.G1")

    with pytest.raises(WriterTimeoutError):
        await writer.write(receipts, [])
    publisher.gate.set()
    while publisher.failures < 1:
        await asyncio.sleep(0.01)
    publisher.down = False
    retried = await writer.write(texts(wa, "wamid.G1"), [])
    await writer.stop()

    assert retried == {"msg:wamid.G1"}
    assert publisher.published == [str(receipts[0].event.id)]
    assert await receipt_count(engine) == 1


async def test_a_request_still_queued_at_the_answer_deadline_is_dropped_unwritten(
    engine: AsyncEngine, wa: Any
) -> None:
    publisher = RecordingPublisher()
    publisher.gate.clear()
    writer = WebhookWriter(
        session_factory(engine),
        publisher,
        limits=WriterLimits(max_wait=60.0, max_batch=1, max_answer=0.05),
    )
    in_flight = asyncio.create_task(writer.write(texts(wa, "wamid.H1"), []))
    while publisher.calls == 0:
        await asyncio.sleep(0)
    queued = asyncio.create_task(writer.write(texts(wa, "wamid.H2"), []))

    with pytest.raises(WriterTimeoutError):
        await in_flight
    with pytest.raises(WriterBusyError):
        await queued
    publisher.gate.set()
    await writer.stop()

    assert publisher.calls == 1
    assert await receipt_count(engine) == 1
