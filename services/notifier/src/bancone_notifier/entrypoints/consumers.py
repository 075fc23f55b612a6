"""Kafka subscribers of the notifier: thin, they parse the event and call its handler.

Keyed consumers (`subscribe_keyed`): a send waiting on the Graph API holds up only its own
conversation; others on the same partition go on. An offset is committed only once every
record before it is handled; a failing handler is retried with backoff, then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import Subscription, parser_for, register, with_deps
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.handlers import BATCHED, EVENT_HANDLERS, SUBSCRIPTIONS

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
    handlers = with_deps(EVENT_HANDLERS, deps, batches=BATCHED)
    register(broker, subscriptions, handlers, retry=retry, max_in_flight=max_in_flight)
