"""Dead-lettering: an event that cannot be handled goes to `<topic>.dlq`, and the partition
keeps flowing.

The original bytes, key and headers are kept; the error, the attempts and where the record came
from are added as headers, so an operator can inspect and replay it. `subscribe_dead_letters`
reads them back (`DeadLetter`) for the service that escalates and lists them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.annotations import KafkaMessage as CurrentMessage

from bancone_contracts.topics import base_topic, dlq
from bancone_kit.messaging.retry import RetryPolicy
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


DLQ_HEADER_PREFIX = "dlq-"
REPLAY_HEADER = "replay-of"
"""Set on a dead letter published again to its source topic: the dead letter's id."""


@dataclass(frozen=True)
class DeadLetter:
    """A record read back from a `.dlq` topic: the original record and why it failed.

    `record_id` names this very DLQ record (topic, partition, offset), so a consumer that sees
    it twice (redelivery) can tell; the same event dead-lettered again after a failed replay
    is a new record with the same payload.
    """

    topic: str
    partition: int
    offset: int
    source_topic: str
    key: str | None
    headers: dict[str, str]
    """The original record's headers (the `dlq-*` ones are read into the fields below)."""
    payload: bytes
    error_type: str
    error: str
    attempts: int

    @property
    def record_id(self) -> uuid.UUID:
        return uuid.uuid5(_DLQ_RECORDS, f"{self.topic}:{self.partition}:{self.offset}")

    @property
    def tenant_id(self) -> str | None:
        """The `tenant_id` header, else the key's prefix (keys are `tenant_id:...`)."""
        tenant = self.headers.get("tenant_id")
        if tenant:
            return tenant
        return self.key.split(":", 1)[0] if self.key else None


_DLQ_RECORDS = uuid.UUID("5d0c3f2e-8a41-5b7c-9e26-1f4a7b3c8d90")


def read_dead_letter(message: KafkaMessage) -> DeadLetter:
    """The dead letter a `.dlq` record carries (headers written by `dead_letter`)."""
    raw = message.raw_message
    headers = {k: v.decode(errors="replace") for k, v in raw.headers or ()}  # type: ignore[union-attr]
    own = {k: v for k, v in headers.items() if not k.startswith(DLQ_HEADER_PREFIX)}
    try:
        attempts = int(headers.get("dlq-attempts", "0"))
    except ValueError:
        attempts = 0
    topic: str = raw.topic  # type: ignore[union-attr]
    key: bytes | None = raw.key  # type: ignore[union-attr]
    return DeadLetter(
        topic=topic,
        partition=raw.partition,  # type: ignore[union-attr]
        offset=raw.offset,  # type: ignore[union-attr]
        source_topic=headers.get("dlq-source-topic") or base_topic(topic),
        key=key.decode(errors="replace") if key is not None else None,
        headers=own,
        payload=message.body,
        error_type=headers.get("dlq-error-type", ""),
        error=headers.get("dlq-error", ""),
        attempts=attempts,
    )


DeadLetterHandler = Callable[[DeadLetter], Awaitable[None]]


def subscribe_dead_letters(
    broker: KafkaBroker, topic: str, *, group: str, handle: DeadLetterHandler, retry: RetryPolicy
) -> None:
    """Subscribe `handle` to a `.dlq` topic, one record at a time, in order.

    There is no DLQ of a DLQ: a failing handler is retried by `retry`, then the record is
    rewound (nack) and read again, so nothing is lost while the failure lasts. `handle` must
    be idempotent (the same record may come twice: `DeadLetter.record_id`)."""
    subscriber = broker.subscriber(
        topic, group_id=group, ack_policy=AckPolicy.NACK_ON_ERROR, auto_offset_reset="earliest"
    )

    @subscriber
    async def consume(message: CurrentMessage) -> None:
        letter = read_dead_letter(message)
        try:
            await retry.call(lambda: handle(letter))
        except Exception:
            log.exception("dead_letter.handler_failed", topic=topic, offset=letter.offset)
            raise
