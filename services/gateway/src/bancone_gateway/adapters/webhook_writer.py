"""One writer task for every webhook: group commit of receipts and Kafka acks, and a bounded
queue in front of it so that past capacity a webhook is refused at once (503) instead of
waiting.

Each request hands its receipts (and rejected items) to the writer and awaits the outcome.
The writer takes everything queued so far as one batch and, in ONE transaction: stores the
rejected items, inserts the receipts (ON CONFLICT DO NOTHING, learning which keys are new),
publishes the new events (all sends in flight together, the producer batches them) and awaits
every ack, then commits. So the guarantee is the one a transaction per request gave — the
receipt commits only if Kafka holds the event, a failed publish leaves every key free for
Meta's retry — but the database round-trip, the write lock (SQLite) and the Kafka round-trip
are paid once per batch, not once per request. A key named twice in one batch belongs to the
first request that named it (in arrival order); the later ones see a duplicate.

An ack later than the publish timeout fails the batch (503) although its sends may still reach
Kafka. The writer keeps those deliveries by dedupe key: Meta's retry of such a webhook does
not send again, it awaits the first delivery (and publishes only if that one failed); an ack
that comes after its batch failed has its receipt recorded by the writer itself, so a later
retry is a plain duplicate. That memory is per process (another gateway replica, or this one
after a restart before the late ack, would publish again; consumers' inbox dedupe absorbs it).

Capacity: at most `max_queued` requests wait; one more is refused with `WriterBusyError`,
and a request still waiting for its batch after `max_wait` seconds is refused the same way
(nothing of it was written). Both become 503 with Retry-After: Meta delivers it again.

Answer deadline: a request is answered within `max_answer` seconds of handing its webhook
over, whatever its batch does (a slow disk, a checkpoint, acks slower than that). Past it the
request gets `WriterTimeoutError` (503) while its batch goes on: if the batch commits, the
receipts and events are kept and Meta's retry is a plain duplicate (200, nothing sent again);
if it fails, the retry publishes. Nothing is lost and nothing is sent twice either way, so
the answer need not wait for the batch to settle.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.whatsapp import RejectedItem
from bancone_gateway.adapters import receipts as receipt_store
from bancone_gateway.adapters import rejected_items as rejected_store
from bancone_gateway.adapters.publisher import Delivery, EventPublisher, EventPublishError
from bancone_gateway.domain.receipts import Receipt
from bancone_kit.logging import get_logger

log = get_logger(__name__)


class WriterBusyError(RuntimeError):
    """The queue is full, or the request waited past its deadline: nothing of it was written."""


class WriterTimeoutError(RuntimeError):
    """The request's batch outlasted the answer deadline; it may still commit (then Meta's
    retry is a duplicate) or fail (then the retry publishes)."""


class WriterStoppedError(RuntimeError):
    """The gateway is shutting down; the request was not written."""


@dataclass(frozen=True)
class WriterLimits:
    max_queued: int = 2000
    """Requests waiting for a batch; one more is refused at once."""
    max_wait: float = 1.5
    """Seconds a request may wait for its batch to start before it is refused."""
    max_batch: int = 500
    """Requests per batch (one transaction, one round of acks)."""
    max_answer: float = 2.0
    """Seconds from handing a webhook over to its answer, batch included: past it, 503."""


@dataclass
class _Pending:
    receipts: Sequence[Receipt]
    rejected: Sequence[RejectedItem]
    queued_at: float
    taken: bool = False
    """In a batch (its outcome is the batch's), no longer in the queue."""
    done: asyncio.Future[set[str]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class WebhookWriter:
    """Batches webhooks into one transaction + one round of Kafka acks; see the module doc."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        *,
        keep_payloads: bool = False,
        limits: WriterLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._keep_payloads = keep_payloads
        self._limits = limits or WriterLimits()
        self._queue: deque[_Pending] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._unconfirmed: dict[str, Delivery] = {}
        """Sends of failed batches that may still be (or were) acked, by dedupe key."""
        self._late: dict[str, Receipt] = {}
        """Acked after their batch failed: receipts for the writer to record."""

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def saturated(self) -> bool:
        """No room for one more request: refuse before doing any work for it."""
        return self._stopping or len(self._queue) >= self._limits.max_queued

    async def write(
        self, receipts: Sequence[Receipt], rejected: Sequence[RejectedItem]
    ) -> set[str]:
        """Store and publish; the dedupe keys among `receipts` that were new (published).

        Raises what the batch raised (storage or publish errors), `WriterBusyError` past
        capacity, `WriterTimeoutError` past the answer deadline, `WriterStoppedError` while
        shutting down."""
        if self._stopping:
            raise WriterStoppedError("the gateway is stopping")
        if len(self._queue) >= self._limits.max_queued:
            raise WriterBusyError(f"{len(self._queue)} webhooks already queued")
        self._ensure_started()
        pending = _Pending(receipts, rejected, time.monotonic())
        self._queue.append(pending)
        self._wake.set()
        try:
            async with asyncio.timeout(self._limits.max_answer):
                return await asyncio.shield(pending.done)
        except TimeoutError:
            if pending.done.done():  # settled as the timer fired
                return pending.done.result()
            if not pending.taken:  # still queued: drop it, nothing of it is written
                pending.done.cancel()
                raise WriterBusyError(
                    f"waited over {self._limits.max_answer}s for a batch"
                ) from None
            pending.done.add_done_callback(_retrieve)
            raise WriterTimeoutError(
                f"no outcome within {self._limits.max_answer}s; its batch goes on"
            ) from None

    def _ensure_started(self) -> None:
        """Started by the first webhook, in an empty context: the task outlives that request,
        and must not publish every later batch under its trace (each event carries its own)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                self._run(), name="webhook-writer", context=contextvars.Context()
            )

    @property
    def unconfirmed(self) -> int:
        """Sends of failed batches still remembered (in flight, or acked and not yet recorded)."""
        return len(self._unconfirmed)

    async def stop(self) -> None:
        """Finish the batch in hand (and record late acks), refuse what is still queued."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._fail_all(WriterStoppedError("the gateway is stopping"))

    def _fail_all(self, error: Exception) -> None:
        while self._queue:
            pending = self._queue.popleft()
            if not pending.done.done():
                pending.done.set_exception(error)

    async def _run(self) -> None:
        while True:
            if self._late:
                await self._record_late()
            if not self._queue:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._take()
            if batch:
                await self._commit(batch)

    def _take(self) -> list[_Pending]:
        """Up to `max_batch` waiting requests; those past their deadline are refused."""
        deadline = time.monotonic() - self._limits.max_wait
        batch: list[_Pending] = []
        while self._queue and len(batch) < self._limits.max_batch:
            pending = self._queue.popleft()
            if pending.done.done():  # its request gave up waiting
                continue
            if pending.queued_at < deadline:
                pending.done.set_exception(
                    WriterBusyError(f"waited over {self._limits.max_wait}s for a batch")
                )
            else:
                pending.taken = True
                batch.append(pending)
        return batch

    async def _commit(self, batch: list[_Pending]) -> None:
        owner: dict[str, int] = {}
        unique: list[Receipt] = []
        for index, pending in enumerate(batch):
            for receipt in pending.receipts:
                if receipt.dedupe_key not in owner:
                    owner[receipt.dedupe_key] = index
                    unique.append(receipt)
        self._forget_failed(owner)
        sending: list[Receipt] = []
        started = stored = published = time.monotonic()
        try:
            async with self._sessions() as session, session.begin():
                rejected = [item for pending in batch for item in pending.rejected]
                await rejected_store.record_rejected(session, rejected)
                new_keys = await receipt_store.record_new(
                    session, unique, keep_payloads=self._keep_payloads
                )
                stored = time.monotonic()
                fresh = [r for r in unique if r.dedupe_key in new_keys]
                sending = [r for r in fresh if r.dedupe_key not in self._unconfirmed]
                earlier = [
                    self._unconfirmed[r.dedupe_key]
                    for r in fresh
                    if r.dedupe_key in self._unconfirmed
                ]
                await self._publisher.publish([r.event for r in sending], earlier=earlier)
                published = time.monotonic()
        except Exception as exc:  # every request of the batch fails the same way
            if isinstance(exc, EventPublishError):
                self._remember(sending, exc.in_flight)
            log.warning("webhook.batch_failed", requests=len(batch), error=type(exc).__name__)
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(exc)
            return
        _log_if_slow(batch, started, stored, published)
        for key in new_keys:  # their receipts are committed now
            self._unconfirmed.pop(key, None)
            self._late.pop(key, None)
        mine: list[set[str]] = [set() for _ in batch]
        for key in new_keys:
            mine[owner[key]].add(key)
        for pending, keys in zip(batch, mine, strict=True):
            if not pending.done.done():
                pending.done.set_result(keys)

    def _forget_failed(self, keys: Mapping[str, int]) -> None:
        """A remembered send that failed did not reach Kafka: the retry publishes again."""
        for key in keys:
            delivery = self._unconfirmed.get(key)
            if delivery is not None and delivery.done() and not _acked(delivery):
                del self._unconfirmed[key]

    def _remember(self, sent: Sequence[Receipt], in_flight: Mapping[int, Delivery]) -> None:
        for index, delivery in in_flight.items():
            receipt = sent[index]
            if delivery.done() and not _acked(delivery):
                continue
            self._unconfirmed[receipt.dedupe_key] = delivery
            delivery.add_done_callback(partial(self._settled, receipt))

    def _settled(self, receipt: Receipt, delivery: Delivery) -> None:
        """A remembered send got its answer: acked -> record its receipt; failed -> forget."""
        key = receipt.dedupe_key
        if self._unconfirmed.get(key) is not delivery:
            return
        if _acked(delivery):
            self._late[key] = receipt
            self._wake.set()
            self._ensure_started()
        else:
            del self._unconfirmed[key]

    async def _record_late(self) -> None:
        """Receipts of events Kafka acked after their batch had failed (no publish: they are
        on the topic). On failure they stay remembered in memory; a retry's batch records them."""
        late, self._late = list(self._late.values()), {}
        try:
            async with self._sessions() as session, session.begin():
                await receipt_store.record_new(session, late, keep_payloads=self._keep_payloads)
        except Exception as exc:
            log.warning("webhook.late_receipts_failed", events=len(late), error=type(exc).__name__)
            return
        for receipt in late:
            delivery = self._unconfirmed.get(receipt.dedupe_key)
            if delivery is not None and delivery.done():
                del self._unconfirmed[receipt.dedupe_key]
        log.info("webhook.acked_late", events=len(late))


SLOW_BATCH_SECONDS = 0.1
"""A batch taking longer is logged with where its time went (a batch takes ~5-20 ms)."""


def _log_if_slow(
    batch: Sequence[_Pending], started: float, stored: float, published: float
) -> None:
    committed = time.monotonic()
    if committed - started < SLOW_BATCH_SECONDS:
        return
    log.info(
        "webhook.batch_slow",
        requests=len(batch),
        waited_ms=round((started - min(p.queued_at for p in batch)) * 1000, 1),
        store_ms=round((stored - started) * 1000, 1),
        publish_ms=round((published - stored) * 1000, 1),
        commit_ms=round((committed - published) * 1000, 1),
    )


def _retrieve(outcome: asyncio.Future[set[str]]) -> None:
    """Mark an abandoned request's outcome as read (asyncio logs unread exceptions)."""
    if not outcome.cancelled():
        outcome.exception()


def _acked(delivery: Delivery) -> bool:
    return not delivery.cancelled() and delivery.exception() is None
