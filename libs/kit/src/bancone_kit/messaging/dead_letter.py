"""Dead-lettering: an event that cannot be handled goes to `<topic>.dlq`, and the partition
keeps flowing.

The original bytes, key and headers are kept; the error, the attempts and where the record came
from are added as headers, so an operator can inspect and replay it.
"""

from __future__ import annotations

import structlog
from faststream.kafka import KafkaBroker, KafkaMessage

from bancone_contracts.topics import dlq
from bancone_kit.metrics import EVENTS_DEAD_LETTERED

log = structlog.get_logger(__name__)


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
