"""Kafka subscribers of the notifier: thin, they parse the event and call its handler.

Keyed consumers (`subscribe_keyed`): a send waiting on the Graph API holds up only its own
conversation; others on the same partition go on. An offset is committed only once every
record before it is handled; a failing handler is retried with backoff, then dead-lettered.
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
from bancone_kit.messaging.keyed import subscribe_keyed
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
    max_in_flight: int = 64,
) -> None:
    """Subscribe every handler of `HANDLERS` (before the broker starts)."""
    for subscription in subscriptions:
        handler = HANDLERS[subscription.event]

        async def handle(events: Sequence[Envelope[Any]], handler: Any = handler) -> None:
            for event in events:
                await handler(event, deps)

        subscribe_keyed(
            broker,
            subscription.topic,
            group=subscription.group,
            parse=parser_for(subscription.event),
            handle=handle,
            retry=retry,
            max_in_flight=max_in_flight,
        )
