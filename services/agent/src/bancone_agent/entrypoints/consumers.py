"""Kafka subscribers of the agent: thin, they parse events and call their handler.

Both are keyed consumers (`bancone_kit.messaging.keyed`): a conversation's events are handled
in order, different conversations at once (also on one partition), at most `max_in_flight`
batches running, shared fairly between tenants, with up to the kit's `max_buffered` records
read ahead; an offset is committed only below the oldest record still held, so everything not
yet durable is redelivered after a crash (handlers dedupe with the inbox).
The inbound consumer folds: the messages queued for a conversation when its worker gets to
them are one turn. A failing handler is retried with backoff and dead-lettered after the last
attempt; a record that is not the expected event goes to the DLQ at once. The inbound
DLQ is read back by a dead-letter subscriber (`dead_letter_handlers`): escalation and the
operators' list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_agent.handlers import EVENT_HANDLERS, SUBSCRIPTIONS, AgentDeps, bind_dead_letters
from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.keyed import KeyedDispatcher
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import Subscription, parser_for, register, with_deps

__all__ = ["SUBSCRIPTIONS", "Subscription", "parser_for", "register_consumers"]


def register_consumers(
    broker: KafkaBroker,
    deps: AgentDeps,
    *,
    retry: RetryPolicy,
    max_in_flight: int = 64,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> list[KeyedDispatcher[Envelope[Any]]]:
    """Subscribe every handler (before the broker starts); agent handlers take a batch, the
    dead-letter handler one dead letter at a time."""
    handlers = with_deps(EVENT_HANDLERS, deps, batches=True)
    return register(
        broker,
        subscriptions,
        handlers,
        retry=retry,
        max_in_flight=max_in_flight,
        dead_letter_handlers=bind_dead_letters(deps),
    )
