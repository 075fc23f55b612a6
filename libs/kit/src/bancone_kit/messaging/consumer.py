"""Subscribers with the reliability rules of DESIGN.md built in.

Offsets are committed only after the handler returned (FastStream `AckPolicy.NACK_ON_ERROR`
with auto-commit off), so the work must be durable by then — handlers use `inbox.claim`.
A failing handler is retried with backoff; after the last attempt the event goes to
`<topic>.dlq` with the error in headers, and the partition keeps flowing. An event that cannot
even be parsed goes to the DLQ at once: retrying cannot fix it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.annotations import KafkaMessage as CurrentMessage

from bancone_contracts.topics import dlq
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.metrics import EVENTS_DEAD_LETTERED

log = structlog.get_logger(__name__)

E = TypeVar("E")


async def dead_letter(
    broker: KafkaBroker, message: KafkaMessage, error: BaseException, attempts: int
) -> None:
    """Publish the original bytes to `<topic>.dlq`, keeping key and headers, adding the error."""
    raw = message.raw_message
    topic: str = raw.topic  # type: ignore[union-attr]
    headers = {k: v.decode(errors="replace") for k, v in raw.headers or ()}  # type: ignore[union-attr]
    headers.update(
        {
            "dlq-error-type": type(error).__name__,
            "dlq-error": str(error)[:1000],
            "dlq-attempts": str(attempts),
            "dlq-source-topic": topic,
            "dlq-source-partition": str(raw.partition),  # type: ignore[union-attr]
            "dlq-source-offset": str(raw.offset),  # type: ignore[union-attr]
        }
    )
    await broker.publish(message.body, topic=dlq(topic), key=raw.key, headers=headers)  # type: ignore[union-attr]
    EVENTS_DEAD_LETTERED.labels(topic=topic).inc()
    log.error(
        "event.dead_lettered", topic=topic, error_type=type(error).__name__, attempts=attempts
    )


def subscribe(
    broker: KafkaBroker,
    topic: str,
    *,
    group: str,
    parse: Callable[[bytes], E],
    handle: Callable[[E], Awaitable[None]],
    retry: RetryPolicy | None = None,
) -> Any:
    """Register `handle` for `topic` in consumer group `group`; returns the subscriber."""
    policy = retry or RetryPolicy()
    subscriber = broker.subscriber(
        topic,
        group_id=group,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
    )

    @subscriber
    async def consume(message: CurrentMessage) -> None:
        try:
            event = parse(message.body)
        except Exception as exc:
            await dead_letter(broker, message, exc, attempts=0)
            return
        attempts = 0
        try:
            async for attempt in policy.retrying():
                with attempt:
                    attempts += 1
                    await handle(event)
        except Exception as exc:
            await dead_letter(broker, message, exc, attempts=attempts)

    return subscriber
