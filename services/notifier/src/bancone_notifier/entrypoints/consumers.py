"""Kafka subscribers of the notifier: thin, they parse the event and call its handler.

The consumer kit commits an offset only after the handler returned, retries a failing handler
with backoff and dead-letters it after the last attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_contracts.events import EventDecodeError, parse_event
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_kit.messaging.consumer import subscribe
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.handlers import HANDLERS, NotifierDeps


@dataclass(frozen=True)
class Subscription:
    """Which event is read from which topic by which consumer group."""

    event: type[Envelope[Any]]
    topic: str
    group: str


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    # Compacted; a new group reads it from the earliest offset: every channel's last state.
    Subscription(ChannelChanged, ChannelChanged.topic, "notifier-channels"),
    Subscription(OutboundMessageRequested, OutboundMessageRequested.topic, "notifier"),
    Subscription(WhatsAppStatusUpdated, WhatsAppStatusUpdated.topic, "notifier-status"),
)


def parser_for(event_class: type[Envelope[Any]]) -> Callable[[bytes], Envelope[Any]]:
    """Decode a record as `event_class` (judged by the contract topic, whatever topic it came
    on); anything else is undecodable and goes to the DLQ."""

    def parse(raw: bytes) -> Envelope[Any]:
        event = parse_event(event_class.topic, raw)
        if not isinstance(event, event_class):
            raise EventDecodeError(f"expected {event_class.__name__}, got {event.type}")
        return event

    return parse


def register_consumers(
    broker: KafkaBroker,
    deps: NotifierDeps,
    *,
    retry: RetryPolicy,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> None:
    """Subscribe every handler of `HANDLERS` (before the broker starts)."""
    for subscription in subscriptions:
        handler = HANDLERS[subscription.event]

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
