"""A consumer that works on many keys at once, keeps each key in order and shares its slots
fairly between tenants.

DESIGN.md (Concurrency): one slow conversation must not hold up the others. FastStream hands
us records one by one per subscriber; instead of handling each before taking the next, we
buffer it under its Kafka key and return at once. At most `max_in_flight` batches run at a
time, each for a different key (a key's records run in order, one batch after another); which
key gets a free slot is the `FairScheduler`'s choice: tenants with work take turns, so a
tenant flooding a thousand messages gets one slot per round like a tenant with one message.

Reading ahead is what lets the quiet tenant's record be seen at all: the subscriber keeps
taking records while fewer than `max_buffered` are held (buffered or running), and only then
waits (backpressure). So a record is seen as soon as fewer than `max_buffered` records are
held ahead of it, whatever partition they sit on; memory is bounded by `max_buffered` parsed
records per subscription (plus aiokafka's own fetch buffer, `max_partition_fetch_bytes` per
partition). A flood larger than the buffer on the same partition still delays the record
behind it until the flood's head has been handled.

Offsets: a partition's offset is committed only up to the lowest record still held (buffered
or running), so a crash redelivers everything not yet durable (consumers dedupe with
`inbox.claim`). Commits are shared: one in flight at a time, each carrying every offset
finished within `commit_linger` of the first. A failing handler is retried by the
`RetryPolicy`, then its records go to `<topic>.dlq`; a record that cannot even be parsed goes
there at once (retrying cannot fix it).

`fold=True` hands a key's batch every record buffered for that key at pickup time
(e.g. three quick customer messages become one assistant turn).

The tenant of a record is its `tenant_id` header, else its key up to the first `:` (keys are
`tenant_id:customer_id`); records with neither share one anonymous tenant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage as CurrentMessage

from bancone_kit.messaging.dead_letter import dead_letter
from bancone_kit.messaging.fair_share import FairScheduler
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


DEFAULT_MAX_BUFFERED = 2048
"""Records a subscription holds (buffered or running) before it stops reading: enough to see
past a 1,000-message flood on one partition; at a few KB per inbound event, a few MB."""


FETCH_MIN_BYTES = 1
FETCH_MAX_WAIT_MS = 500
"""A fetch returns as soon as one record is there, and an idle consumer asks twice a second
(aiokafka's defaults, spelled out). Under load the records that landed while the last batch
was being handled come in one fetch anyway. Holding fetches for 16 KB or 20 ms (session 23)
made every idle consumer ask 50 times a second: an idle platform then used 66 % of a core
(Kafka 40 %, notifier 14 %, agent 8 %) against 14 % now, and with idle included a message
cost no less (docs/benchmarks.md, session 24)."""

DEFAULT_COMMIT_LINGER = 0.1
"""Seconds a finished record's offset waits for others to share its commit; also the most a
crash adds to what is redelivered, in time."""


def tenant_of(key: bytes | None, headers: Sequence[tuple[str, bytes]] | None) -> bytes | None:
    """The tenant a record belongs to: its `tenant_id` header, else its key's prefix."""
    for name, value in headers or ():
        if name == "tenant_id" and value:
            return value
    if key is None:
        return None
    return key.split(b":", 1)[0]


class KeyedDispatcher(Generic[E]):
    """Per-key ordered, cross-key concurrent, tenant-fair handling with safe offset commits."""

    def __init__(
        self,
        broker: KafkaBroker,
        handle: Callable[[Sequence[E]], Awaitable[None]],
        *,
        max_in_flight: int,
        fold: bool,
        retry: RetryPolicy,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        commit_linger: float = DEFAULT_COMMIT_LINGER,
    ) -> None:
        self._broker = broker
        self._handle = handle
        self._fold = fold
        self._retry = retry
        self._max_in_flight = max_in_flight
        self._buffer = asyncio.Semaphore(max(max_buffered, max_in_flight))
        self._scheduler: FairScheduler[_Record[E]] = FairScheduler()
        self._workers: set[asyncio.Task[None]] = set()
        self._progress: dict[TopicPartition, _PartitionProgress] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._to_commit: dict[TopicPartition, int] = {}
        self._committer: asyncio.Task[None] | None = None
        self._commit_linger = commit_linger
        self._consumer: Any = None

    async def accept(self, event: E, message: Any) -> None:
        """Buffer a parsed record under its key (waits while the buffer is full), then hand
        free slots to whichever keys the scheduler picks."""
        await self._buffer.acquire()
        raw = message.raw_message
        record = _Record(event, self._hold(message), raw.offset, message)
        self._scheduler.push(tenant_of(raw.key, raw.headers), raw.key, record)
        self._start_ready()

    async def skip(self, message: Any) -> None:
        """A record handled outside the queues (e.g. dead-lettered unparsed): count it done."""
        await self._buffer.acquire()
        tp = self._hold(message)
        await self._done([_Record(None, tp, message.raw_message.offset, message)])

    def _hold(self, message: Any) -> TopicPartition:
        raw = message.raw_message
        tp = TopicPartition(raw.topic, raw.partition)
        self._consumer = message.consumer
        progress = self._progress.setdefault(tp, _PartitionProgress())
        progress.in_flight.add(raw.offset)
        progress.next_offset = max(progress.next_offset, raw.offset + 1)
        return tp

    def _start_ready(self) -> None:
        while len(self._workers) < self._max_in_flight:
            picked = self._scheduler.next_batch(fold=self._fold)
            if picked is None:
                return
            key, batch = picked
            worker = asyncio.create_task(self._work(key, batch), name=f"key-worker:{key!r}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def _work(self, key: Hashable, batch: list[_Record[E]]) -> None:
        try:
            await self._process(batch)
            await self._done(batch)
        finally:
            self._scheduler.finish(key)
            # This task counts in `_workers` until it completes: free its slot for the pick.
            current = asyncio.current_task()
            if current is not None:
                self._workers.discard(current)
        # Not on cancellation (shutdown): what is left stays uncommitted and is redelivered.
        self._start_ready()

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
            self._buffer.release()
        offsets = {}
        for tp in touched:
            offset = self._progress[tp].committable()
            if offset > self._committed.get(tp, -1):
                offsets[tp] = offset
        if not offsets or self._consumer is None:
            return
        self._to_commit.update(offsets)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending(), name="keyed-commit")

    async def _commit_pending(self) -> None:
        """Commit the offsets handled since the last commit, one commit in flight at a time:
        records finished while one is on its way (or within the linger) share the next, so a
        busy consumer pays one broker round-trip per linger, not one per record. A crash loses
        at most the uncommitted tail, which is redelivered (inboxes dedupe)."""
        while self._to_commit:
            await asyncio.sleep(self._commit_linger)
            offsets, self._to_commit = self._to_commit, {}
            try:
                await self._consumer.commit(offsets)
                self._committed.update(offsets)
            except (CommitFailedError, KafkaError) as exc:
                # Partitions moved to another member: it will redeliver; inboxes dedupe.
                log.warning("consumer.commit_failed", error=type(exc).__name__)

    def pending(self, key: bytes | None) -> int:
        """Records of `key` queued or being handled (observability and tests)."""
        return self._scheduler.queued(key)

    async def drain(self) -> None:
        """Wait for every queued record to finish and its offset to be committed (used on
        shutdown and in tests)."""
        while self._workers or (self._committer is not None and not self._committer.done()):
            await asyncio.gather(*list(self._workers), return_exceptions=True)
            if self._committer is not None:
                await asyncio.gather(self._committer, return_exceptions=True)


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
    max_buffered: int = DEFAULT_MAX_BUFFERED,
) -> KeyedDispatcher[E]:
    """Subscribe `handle` to `topic` with per-key order and cross-key concurrency.

    `handle` receives one event (`fold=False`) or all events queued for a key (`fold=True`);
    it must make its work durable and idempotent (inbox) before returning. At most
    `max_in_flight` batches run at once, shared fairly between tenants; up to `max_buffered`
    records are read ahead.
    """
    dispatcher = KeyedDispatcher(
        broker,
        handle,
        max_in_flight=max_in_flight,
        fold=fold,
        retry=retry or RetryPolicy(),
        max_buffered=max_buffered,
    )
    subscriber = broker.subscriber(
        topic,
        group_id=group,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        fetch_min_bytes=FETCH_MIN_BYTES,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )

    context = broker.context

    @subscriber
    async def consume() -> None:
        # The message from FastStream's context, not injected as a `CurrentMessage` argument:
        # fast_depends resolves that (sync) context field in a worker thread, one thread
        # hand-off per consumed record (docs/benchmarks.md, issue 11).
        message: CurrentMessage = context.get_local("message")
        try:
            event = parse(message.body)
        except Exception as exc:
            await dead_letter(broker, message, exc, attempts=0)
            await dispatcher.skip(message)
            return
        await dispatcher.accept(event, message)

    return dispatcher
