"""Kafka subscribers of the ingest: thin, they parse the event and call its handler.

The consumer kit commits an offset only after the handler returned (its work is committed
through the inbox by then), retries a failing handler with backoff and dead-letters it after
the last attempt; a record that is not the expected event, or whose tenant id is not a
valid slug, goes to the DLQ at once (retrying cannot fix it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_contracts.events import EventDecodeError, parse_event
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_ingest.domain import InvalidTenantError, checked_tenant_id
from bancone_ingest.handlers import CONSUMER, EVENT_HANDLERS, IngestDeps
from bancone_kit.messaging.consumer import subscribe
from bancone_kit.messaging.retry import RetryPolicy


@dataclass(frozen=True)
class Subscription:
    """Which event is read from which topic by which consumer group."""

    event: type[Envelope[Any]]
    topic: str
    group: str


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(CatalogEntityChanged, CatalogEntityChanged.topic, CONSUMER),
)


def parser_for(event_class: type[Envelope[Any]]) -> Callable[[bytes], Envelope[Any]]:
    """Decode a record as `event_class`, judged by its contract topic whatever topic it came
    on (tests use their own topics); anything else is undecodable."""

    def parse(raw: bytes) -> Envelope[Any]:
        event = parse_event(event_class.topic, raw)
        if not isinstance(event, event_class):
            raise EventDecodeError(f"expected {event_class.__name__}, got {event.type}")
        try:
            checked_tenant_id(event.tenant_id)
        except InvalidTenantError as error:
            raise EventDecodeError(str(error)) from error
        return event

    return parse


def register_consumers(
    broker: KafkaBroker,
    deps: IngestDeps,
    *,
    retry: RetryPolicy,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> None:
    """Subscribe the handler of each subscription's event (before the broker starts)."""
    for subscription in subscriptions:
        handler = EVENT_HANDLERS[subscription.event]

        async def handle(event: Envelope[Any], handler: Any = handler) -> None:
            await handler(event, deps)

        subscribe(
            broker,
            subscription.topic,
            group=subscription.group,
            parse=parser_for(subscription.event),
            handle=handle,
            retry=retry,
        )
