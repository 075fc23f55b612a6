"""A consumer that works on many keys at once while keeping each key in order.

DESIGN.md (Concurrency): one slow conversation must not hold up the others. FastStream hands
us records one by one per subscriber; instead of handling each before taking the next, we
queue it under its Kafka key and return at once. One worker per key drains that key's queue in
order; different keys run concurrently (bounded by `max_in_flight`, which also applies
backpressure: the subscriber waits for a free slot before taking another record).

Offsets: a partition's offset is committed only up to the lowest record still in flight, so
a crash redelivers everything not yet durable (consumers dedupe with `inbox.claim`). A failing
handler is retried by the `RetryPolicy`, then its records go to `<topic>.dlq`; a record that
cannot even be parsed goes there at once (retrying cannot fix it).

`fold=True` hands a key's worker every record queued for that key at pickup time as one batch
(e.g. three quick customer messages become one assistant turn).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage as CurrentMessage

from bancone_kit.messaging.dead_letter import dead_letter
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.metrics import EVENT_HANDLER_SECONDS

log = structlog.get_logger(__name__)

E = TypeVar("E")


@dataclass
class _Record(Generic[E]):
    event: E
    tp: TopicPartition
    offset: int
    message: Any


@dataclass
class _PartitionProgress:
    """Offsets in flight on one partition and the highest one seen."""

    in_flight: set[int] = field(default_factory=set)
    next_offset: int = -1

    def committable(self) -> int:
        return min(self.in_flight) if self.in_flight else self.next_offset


class KeyedDispatcher(Generic[E]):
    """Per-key ordered, cross-key concurrent handling with safe offset commits."""

    def __init__(
        self,
        broker: KafkaBroker,
        handle: Callable[[Sequence[E]], Awaitable[None]],
        *,
        max_in_flight: int,
        fold: bool,
        retry: RetryPolicy,
    ) -> None:
        self._broker = broker
        self._handle = handle
        self._fold = fold
        self._retry = retry
        self._slots = asyncio.Semaphore(max_in_flight)
        self._queues: dict[bytes | None, deque[_Record[E]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._progress: dict[TopicPartition, _PartitionProgress] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._consumer: Any = None

    async def accept(self, event: E, message: Any) -> None:
        """Queue a parsed record under its key (waits for a free slot first)."""
        await self._slots.acquire()
        raw = message.raw_message
        tp = TopicPartition(raw.topic, raw.partition)
        self._consumer = message.consumer
        progress = self._progress.setdefault(tp, _PartitionProgress())
        progress.in_flight.add(raw.offset)
        progress.next_offset = max(progress.next_offset, raw.offset + 1)
        record = _Record(event, tp, raw.offset, message)
        queue = self._queues.get(raw.key)
        if queue is not None:
            queue.append(record)
            return
        self._queues[raw.key] = deque([record])
        worker = asyncio.create_task(self._work(raw.key), name=f"key-worker:{raw.key!r}")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def skip(self, message: Any) -> None:
        """A record handled outside the queues (e.g. dead-lettered unparsed): count it done."""
        await self._slots.acquire()
        raw = message.raw_message
        tp = TopicPartition(raw.topic, raw.partition)
        self._consumer = message.consumer
        progress = self._progress.setdefault(tp, _PartitionProgress())
        progress.next_offset = max(progress.next_offset, raw.offset + 1)
        progress.in_flight.add(raw.offset)
        await self._done([_Record(None, tp, raw.offset, message)])

    async def _work(self, key: bytes | None) -> None:
        queue = self._queues[key]
        try:
            while queue:
                batch = list(queue) if self._fold else [queue[0]]
                await self._process(batch)
                for _ in batch:
                    queue.popleft()
                await self._done(batch)
        finally:
            del self._queues[key]

    async def _process(self, batch: list[_Record[E]]) -> None:
        attempts = 0
        started, outcome = time.perf_counter(), "handled"
        try:
            async for attempt in self._retry.retrying():
                with attempt:
                    attempts += 1
                    await self._handle([r.event for r in batch])
        except Exception as exc:
            outcome = "dead_lettered"
            for record in batch:
                await dead_letter(self._broker, record.message, exc, attempts=attempts)
        # FastStream's own handler timer stops at the enqueue: time the real work here.
        elapsed = time.perf_counter() - started
        EVENT_HANDLER_SECONDS.labels(batch[0].tp.topic, outcome).observe(elapsed)

    async def _done(self, batch: Sequence[_Record[Any]]) -> None:
        touched = set()
        for record in batch:
            self._progress[record.tp].in_flight.discard(record.offset)
            touched.add(record.tp)
            self._slots.release()
        offsets = {}
        for tp in touched:
            offset = self._progress[tp].committable()
            if offset > self._committed.get(tp, -1):
                offsets[tp] = offset
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
            self._committed.update(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # Partitions moved to another member: it will redeliver; inboxes dedupe.
            log.warning("consumer.commit_failed", error=type(exc).__name__)

    def pending(self, key: bytes | None) -> int:
        """Records of `key` queued or being handled (observability and tests)."""
        queue = self._queues.get(key)
        return len(queue) if queue is not None else 0

    async def drain(self) -> None:
        """Wait for every queued record to finish (used on shutdown and in tests)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)


def subscribe_keyed(
    broker: KafkaBroker,
    topic: str,
    *,
    group: str,
    parse: Callable[[bytes], E],
    handle: Callable[[Sequence[E]], Awaitable[None]],
    max_in_flight: int = 64,
    fold: bool = False,
    retry: RetryPolicy | None = None,
) -> KeyedDispatcher[E]:
    """Subscribe `handle` to `topic` with per-key order and cross-key concurrency.

    `handle` receives one event (`fold=False`) or all events queued for a key (`fold=True`);
    it must make its work durable and idempotent (inbox) before returning.
    """
    dispatcher = KeyedDispatcher(
        broker, handle, max_in_flight=max_in_flight, fold=fold, retry=retry or RetryPolicy()
    )
    subscriber = broker.subscriber(
        topic, group_id=group, ack_policy=AckPolicy.MANUAL, auto_offset_reset="earliest"
    )

    @subscriber
    async def consume(message: CurrentMessage) -> None:
        try:
            event = parse(message.body)
        except Exception as exc:
            await dead_letter(broker, message, exc, attempts=0)
            await dispatcher.skip(message)
            return
        await dispatcher.accept(event, message)

    return dispatcher
