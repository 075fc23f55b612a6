"""Kafka subscribers of the agent: thin, they parse events and call their handler.

Both are keyed consumers (`bancone_kit.messaging.keyed`): a conversation's events are handled
in order, different conversations at once (also on one partition), at most `max_in_flight`
records in flight, and an offset is committed only below the oldest record still in flight,
so everything not yet durable is redelivered after a crash (handlers dedupe with the inbox).
The inbound consumer folds: the messages queued for a conversation when its worker gets to
them are one turn. A failing handler is retried with backoff and dead-lettered after the last
attempt; a record that is not the expected event goes to the DLQ at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_agent.handlers import EVENT_HANDLERS, AgentDeps
from bancone_contracts.envelope import Envelope
from bancone_contracts.events import EventDecodeError, parse_event
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_kit.messaging.keyed import KeyedDispatcher, subscribe_keyed
from bancone_kit.messaging.retry import RetryPolicy


@dataclass(frozen=True)
class Subscription:
    """Which event is read from which topic by which consumer group; `fold` hands the handler
    every record queued for a key at once."""

    event: type[Envelope[Any]]
    topic: str
    group: str
    fold: bool = False


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(InboundMessageReceived, InboundMessageReceived.topic, "agent", fold=True),
    Subscription(DeliveryUpdated, DeliveryUpdated.topic, "agent-delivery"),
)


def parser_for(event_class: type[Envelope[Any]]) -> Callable[[bytes], Envelope[Any]]:
    """Decode a record as `event_class`, judged by its contract topic whatever topic it came
    on (tests use their own topics); anything else is undecodable."""

    def parse(raw: bytes) -> Envelope[Any]:
        event = parse_event(event_class.topic, raw)
        if not isinstance(event, event_class):
            raise EventDecodeError(f"expected {event_class.__name__}, got {event.type}")
        return event

    return parse


def register_consumers(
    broker: KafkaBroker,
    deps: AgentDeps,
    *,
    retry: RetryPolicy,
    max_in_flight: int = 64,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> list[KeyedDispatcher[Envelope[Any]]]:
    """Subscribe the handler of each subscription's event (before the broker starts); the
    dispatchers are returned so shutdown can let in-flight turns finish."""
    dispatchers: list[KeyedDispatcher[Envelope[Any]]] = []
    for subscription in subscriptions:
        handler = EVENT_HANDLERS[subscription.event]

        async def handle(events: Sequence[Envelope[Any]], handler: Any = handler) -> None:
            await handler(events, deps)

        dispatchers.append(
            subscribe_keyed(
                broker,
                subscription.topic,
                group=subscription.group,
                parse=parser_for(subscription.event),
                handle=handle,
                max_in_flight=max_in_flight,
                fold=subscription.fold,
                retry=retry,
            )
        )
    return dispatchers
