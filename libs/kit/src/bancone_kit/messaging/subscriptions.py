"""Which event a service reads from which topic in which consumer group, wired in one place.

The groups are declared once, as data, in `bancone_contracts.subscriptions` (the deploy
tooling derives the KafkaUser ACLs and KEDA triggers from the same table); a service turns its
declarations into `Subscription`s with `declared` and hands them, with a handler per event
class, to `register`, which subscribes them as keyed consumers (`keyed.subscribe_keyed`). Records are decoded against the
event's contract topic whatever topic they came on (tests use their own topics); anything else
is undecodable and goes to the DLQ at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from bancone_contracts.envelope import Envelope
from bancone_contracts.events import EventDecodeError, parse_event
from bancone_contracts.subscriptions import ConsumerGroup, consumer_groups
from bancone_kit.messaging.dead_letter import DeadLetterHandler, subscribe_dead_letters
from bancone_kit.messaging.keyed import KeyedDispatcher, subscribe_keyed
from bancone_kit.messaging.retry import RetryPolicy

AnyEnvelope = Envelope[Any]
BatchHandler = Callable[[Sequence[AnyEnvelope]], Awaitable[None]]
EventCheck = Callable[[AnyEnvelope], None]


@dataclass(frozen=True)
class Subscription:
    """A consumer to run: the event, the topic and group it is read from (the declared ones, or
    a test's own), and whether `fold` hands the handler every record queued for a key at once
    (one turn per burst)."""

    event: type[AnyEnvelope]
    topic: str
    group: str
    fold: bool = False
    dead_letters: bool = False
    """The topic is a `.dlq` of `event`'s: its handler takes `DeadLetter`s."""

    @classmethod
    def of(cls, declaration: ConsumerGroup, *, fold: bool = False) -> Subscription:
        """The subscription a declaration of `bancone_contracts.subscriptions` stands for."""
        return cls(
            declaration.event,
            declaration.topic,
            declaration.group,
            fold,
            dead_letters=declaration.dead_letters,
        )


def declared(service: str, *, fold: Collection[type[AnyEnvelope]] = ()) -> tuple[Subscription, ...]:
    """Every subscription `bancone_contracts.subscriptions` declares for `service`; events in
    `fold` are read in bursts."""
    return tuple(
        Subscription.of(group, fold=group.event in fold) for group in consumer_groups(service)
    )


def parser_for(
    event_class: type[AnyEnvelope], check: EventCheck | None = None
) -> Callable[[bytes], AnyEnvelope]:
    """Decode a record as `event_class`; `check` may refuse it further (raise ValueError)."""

    def parse(raw: bytes) -> AnyEnvelope:
        event = parse_event(event_class.topic, raw)
        if not isinstance(event, event_class):
            raise EventDecodeError(f"expected {event_class.__name__}, got {event.type}")
        if check is not None:
            try:
                check(event)
            except ValueError as error:
                raise EventDecodeError(str(error)) from error
        return event

    return parse


def one_at_a_time(handle: Callable[[AnyEnvelope], Awaitable[None]]) -> BatchHandler:
    """A batch handler for a non-folding subscription: each event, in order."""

    async def handle_batch(events: Sequence[AnyEnvelope]) -> None:
        for event in events:
            await handle(event)

    return handle_batch


def with_deps(
    handlers: Mapping[type[AnyEnvelope], Callable[[Any, Any], Awaitable[None]]],
    deps: object,
    *,
    batches: bool | Collection[type[AnyEnvelope]] = False,
) -> dict[type[AnyEnvelope], BatchHandler]:
    """A service's `EVENT_HANDLERS` (`handler(event, deps)`, or `handler(events, deps)` when
    `batches` is True or holds the event) bound to its dependencies, as `register` takes them."""

    def bound(
        event: type[AnyEnvelope], handler: Callable[[Any, Any], Awaitable[None]]
    ) -> BatchHandler:
        async def handle(item: Any) -> None:
            await handler(item, deps)

        batch = batches if isinstance(batches, bool) else event in batches
        return handle if batch else one_at_a_time(handle)

    return {event: bound(event, handler) for event, handler in handlers.items()}


def register(
    broker: KafkaBroker,
    subscriptions: Sequence[Subscription],
    handlers: Mapping[type[AnyEnvelope], BatchHandler],
    *,
    retry: RetryPolicy,
    max_in_flight: int = 64,
    check: EventCheck | None = None,
    dead_letter_handlers: Mapping[type[AnyEnvelope], DeadLetterHandler] | None = None,
) -> list[KeyedDispatcher[AnyEnvelope]]:
    """Subscribe each subscription's handler (before the broker starts); the dispatchers are
    returned so shutdown can let in-flight work finish. A dead-letter subscription takes its
    handler from `dead_letter_handlers` (one record at a time, `subscribe_dead_letters`)."""
    for subscription in subscriptions:
        if subscription.dead_letters:
            subscribe_dead_letters(
                broker,
                subscription.topic,
                group=subscription.group,
                handle=(dead_letter_handlers or {})[subscription.event],
                retry=retry,
            )
    return [
        subscribe_keyed(
            broker,
            subscription.topic,
            group=subscription.group,
            parse=parser_for(subscription.event, check),
            handle=handlers[subscription.event],
            max_in_flight=max_in_flight,
            fold=subscription.fold,
            retry=retry,
        )
        for subscription in subscriptions
        if not subscription.dead_letters
    ]
