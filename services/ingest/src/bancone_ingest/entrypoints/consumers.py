"""Kafka subscribers of the ingest: thin, they parse the event and call its handler.

Keyed by entity, so one entity's changes apply in order while other entities index at once;
an offset is committed only once everything before it is durable (the handler's inbox
transaction). A record that is not the expected event, or whose tenant id is not a valid slug,
goes to the DLQ at once (retrying cannot fix it); a failing handler is retried, then
dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_ingest.domain import checked_tenant_id
from bancone_ingest.handlers import EVENT_HANDLERS, SUBSCRIPTIONS, IngestDeps
from bancone_kit.messaging import subscriptions as kit
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import Subscription, register

__all__ = ["SUBSCRIPTIONS", "Subscription", "parser_for", "register_consumers"]


def _valid_tenant(event: Envelope[Any]) -> None:
    checked_tenant_id(event.tenant_id)


def parser_for(event_class: type[Envelope[Any]]) -> Any:
    """Decode `event_class`, refusing tenant ids that are not slugs."""
    return kit.parser_for(event_class, _valid_tenant)


def register_consumers(
    broker: KafkaBroker,
    deps: IngestDeps,
    *,
    retry: RetryPolicy,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> None:
    """Subscribe the handler of each subscription's event (before the broker starts)."""
    handlers = kit.with_deps(EVENT_HANDLERS, deps)
    register(broker, subscriptions, handlers, retry=retry, check=_valid_tenant)
