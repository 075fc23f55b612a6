"""Publishing a webhook's events straight to Kafka, awaiting the broker's acknowledgements.

The gateway answers Meta only after Kafka holds every event (acks=all), so this is the one
publish that does not go through the outbox: the receipt transaction stays open until the acks
arrive and rolls back if they do not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

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
