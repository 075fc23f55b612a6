"""Kafka subscribers of the notifier: thin, they parse the event and call its handler.

Keyed consumers (`subscribe_keyed`): a send waiting on the Graph API holds up only its own
conversation; others on the same partition go on. An offset is committed only once every
record before it is handled; a failing handler is retried with backoff, then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import Subscription, one_at_a_time, parser_for, register
from bancone_notifier.handlers import EVENT_HANDLERS, SUBSCRIPTIONS, NotifierDeps

__all__ = ["SUBSCRIPTIONS", "Subscription", "parser_for", "register_consumers"]


def register_consumers(
    broker: KafkaBroker,
    deps: NotifierDeps,
    *,
    retry: RetryPolicy,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
    max_in_flight: int = 64,
) -> None:
    """Subscribe every handler of `EVENT_HANDLERS` (before the broker starts)."""

    def bound(handler: Any) -> Any:
        async def handle(event: Envelope[Any]) -> None:
            await handler(event, deps)

        return one_at_a_time(handle)

    handlers = {event: bound(handler) for event, handler in EVENT_HANDLERS.items()}
    register(broker, subscriptions, handlers, retry=retry, max_in_flight=max_in_flight)
