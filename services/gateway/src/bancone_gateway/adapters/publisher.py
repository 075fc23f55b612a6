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
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.tracecontext import current_carrier


class EventPublishError(RuntimeError):
    """Kafka did not acknowledge every event in time."""


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[Envelope[Any]]) -> None:
        """Return once every event is acknowledged; raise `EventPublishError` otherwise."""
        ...


class KafkaEventPublisher:
    """Enqueues events in order (per-key order holds), then awaits all acks together."""

    def __init__(self, broker: KafkaBroker, *, timeout: float) -> None:
        self._broker = broker
        self._timeout = timeout

    async def publish(self, events: Sequence[Envelope[Any]]) -> None:
        if not events:
            return
        carrier = current_carrier()
        pending: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout(self._timeout):
                for event in events:
                    delivery = await self._broker.publish(
                        event.to_bytes(),
                        topic=event.topic,
                        key=event.key().encode(),
                        headers={**event.kafka_headers(), **carrier},
                        no_confirm=True,
                    )
                    delivery.add_done_callback(_retrieve)
                    pending.append(delivery)
                await asyncio.gather(*pending)
        except TimeoutError as exc:
            raise EventPublishError(f"Kafka did not acknowledge within {self._timeout}s") from exc
        except Exception as exc:
            raise EventPublishError(f"{type(exc).__name__}: {exc}") from exc


def _retrieve(delivery: asyncio.Future[Any]) -> None:
    """Mark a late delivery failure as seen: the request already failed because of it."""
    if not delivery.cancelled():
        delivery.exception()


class DirectKafkaPublisher:
    """Its own aiokafka producer (acks=all), started by the first publish and again after a
    failed start (Kafka down at boot is a 503 per webhook until it answers, as before)."""

    def __init__(self, producer_options: Mapping[str, Any], *, timeout: float) -> None:
        self._options = dict(producer_options)
        self._timeout = timeout
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

    async def publish(self, events: Sequence[Envelope[Any]]) -> None:
        if not events:
            return
        pending: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout(self._timeout):
                producer = await self._started()
                for event in events:
                    headers = [(k, v.encode()) for k, v in event.kafka_headers().items()]
                    delivery = await producer.send(
                        event.topic, event.to_bytes(), key=event.key().encode(), headers=headers
                    )
                    delivery.add_done_callback(_retrieve)
                    pending.append(delivery)
                await asyncio.gather(*pending)
        except TimeoutError as exc:
            raise EventPublishError(f"Kafka did not acknowledge within {self._timeout}s") from exc
        except Exception as exc:
            raise EventPublishError(f"{type(exc).__name__}: {exc}") from exc

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
