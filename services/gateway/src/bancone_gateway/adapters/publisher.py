"""Publishing a webhook's events straight to Kafka, awaiting the broker's acknowledgements.

The gateway answers Meta only after Kafka holds every event (acks=all), so this is the one
publish that does not go through the outbox: the receipt transaction stays open until the acks
arrive and rolls back if they do not.

`DirectKafkaPublisher` (the webhook writer's) hands events to aiokafka's producer itself:
through FastStream each event paid its publish middlewares (a span and Prometheus series per
message), 6.6 % of the gateway's CPU at 800 webhooks/s against 0.8 % in aiokafka's own send
(docs/benchmarks.md). The envelope's headers still carry the webhook's trace context, so
consumers continue the trace; `bancone_gateway_webhook_events_total` counts what is published.
`KafkaEventPublisher` publishes through the service's FastStream broker.

An ack later than the timeout fails the publish, but the sends already handed to the producer
may still reach Kafka: `EventPublishError.in_flight` gives their delivery futures (never
cancelled here, so their outcome stays readable) and `publish(..., earlier=...)` awaits such
futures again beside new sends, so the webhook writer can tell a retry "already on Kafka"
from "publish again" (`webhook_writer.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.tracecontext import current_carrier

Delivery = asyncio.Future[Any]
"""The producer's future of one send: resolved by the broker's ack (or its failure)."""


class EventPublishError(RuntimeError):
    """Kafka did not acknowledge every event in time."""

    def __init__(self, message: str, in_flight: Mapping[int, Delivery] | None = None) -> None:
        super().__init__(message)
        self.in_flight: Mapping[int, Delivery] = in_flight or {}
        """Index in `events` -> delivery, for every send the producer accepted (some may
        still be acked later, some already were)."""


class EventPublisher(Protocol):
    async def publish(
        self, events: Sequence[Envelope[Any]], *, earlier: Sequence[Delivery] = ()
    ) -> None:
        """Return once every event and every `earlier` delivery is acknowledged; raise
        `EventPublishError` otherwise."""
        ...


async def _await_acks(pending: Sequence[Delivery]) -> None:
    """Wait for every delivery, then raise the first failure. `asyncio.wait`, not `gather`:
    cancelling a gather (our timeout) would cancel the producer's futures and lose whether
    a late ack came."""
    if not all(delivery.done() for delivery in pending):
        await asyncio.wait(pending)
    for delivery in pending:
        if delivery.cancelled():
            raise RuntimeError("a delivery was cancelled")
        if (error := delivery.exception()) is not None:
            raise error


def _sent(pending: Sequence[Delivery]) -> dict[int, Delivery]:
    return dict(enumerate(pending))


async def _publish_within(
    within_seconds: float,
    events: Sequence[Envelope[Any]],
    earlier: Sequence[Delivery],
    send: Callable[[Envelope[Any]], Awaitable[Delivery]],
) -> None:
    """Enqueue `events` in order with `send`, then await their acks and `earlier`'s together,
    all within `within_seconds`; a failure names the sends Kafka took (`EventPublishError.in_flight`)."""
    pending: list[Delivery] = []
    try:
        async with asyncio.timeout(within_seconds):
            for event in events:
                delivery = await send(event)
                delivery.add_done_callback(_retrieve)
                pending.append(delivery)
            await _await_acks([*pending, *earlier])
    except TimeoutError as exc:
        raise EventPublishError(
            f"Kafka did not acknowledge within {within_seconds}s", _sent(pending)
        ) from exc
    except Exception as exc:
        raise EventPublishError(f"{type(exc).__name__}: {exc}", _sent(pending)) from exc


class KafkaEventPublisher:
    """Enqueues events in order (per-key order holds), then awaits all acks together."""

    def __init__(self, broker: KafkaBroker, *, timeout: float) -> None:
        self._broker = broker
        self._timeout = timeout

    async def publish(
        self, events: Sequence[Envelope[Any]], *, earlier: Sequence[Delivery] = ()
    ) -> None:
        if not events and not earlier:
            return
        carrier = current_carrier()

        async def send(event: Envelope[Any]) -> Delivery:
            return await self._broker.publish(
                event.to_bytes(),
                topic=event.topic,
                key=event.key().encode(),
                headers={**event.kafka_headers(), **carrier},
                no_confirm=True,
            )

        await _publish_within(self._timeout, events, earlier, send)


def _retrieve(delivery: asyncio.Future[Any]) -> None:
    """Mark a late delivery failure as seen: the request already failed because of it."""
    if not delivery.cancelled():
        delivery.exception()


class DirectKafkaPublisher:
    """Its own aiokafka producer (acks=all), started by the first publish and again after a
    failed start (Kafka down at boot is a 503 per webhook until it answers, as before)."""

    def __init__(self, producer_options: Mapping[str, Any], *, timeout: float) -> None:
        self._options = dict(producer_options)
        self.timeout = timeout
        """Seconds a publish waits for its acks (and for the producer to start)."""
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(**self._options)
                try:
                    await producer.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
        return self._producer

    async def publish(
        self, events: Sequence[Envelope[Any]], *, earlier: Sequence[Delivery] = ()
    ) -> None:
        if not events and not earlier:
            return

        async def send(event: Envelope[Any]) -> Delivery:
            producer = await self._started()  # counted in the timeout: Kafka down at boot
            headers = [(k, v.encode()) for k, v in event.kafka_headers().items()]
            delivery: Delivery = await producer.send(
                event.topic, event.to_bytes(), key=event.key().encode(), headers=headers
            )
            return delivery

        await _publish_within(self.timeout, events, earlier, send)

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
