"""The v1 events, one module per topic, and ``parse_event`` to read any of them from Kafka."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter, ValidationError

from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.audit import AuditRecorded
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.knowledge import KnowledgeIngestionUpdated
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_contracts.topics import base_topic

AnyEvent = Annotated[
    InboundMessageReceived
    | WhatsAppStatusUpdated
    | OutboundMessageRequested
    | DeliveryUpdated
    | ConversationChanged
    | CatalogEntityChanged
    | ChannelChanged
    | AgentTurnCompleted
    | AuditRecorded
    | WhatsAppUpdateReceived
    | KnowledgeIngestionUpdated
    | OrderChanged,
    Field(discriminator="type"),
]

EVENT_CLASSES: Final[tuple[type[Envelope[Any]], ...]] = (
    InboundMessageReceived,
    WhatsAppStatusUpdated,
    OutboundMessageRequested,
    DeliveryUpdated,
    ConversationChanged,
    CatalogEntityChanged,
    ChannelChanged,
    AgentTurnCompleted,
    AuditRecorded,
    WhatsAppUpdateReceived,
    KnowledgeIngestionUpdated,
    OrderChanged,
)

_ANY_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


class EventDecodeError(ValueError):
    """A Kafka record is not a valid event (of the topic it arrived on): send it to the DLQ."""


def event_type_of(cls: type[Envelope[Any]]) -> str:
    """The ``type`` string an event class pins."""
    return str(cls.model_fields["type"].default)


def event_version_of(cls: type[Envelope[Any]]) -> int:
    """The ``version`` an event class pins."""
    return int(cls.model_fields["version"].default)


EVENT_CLASS_BY_TYPE: Final[dict[str, type[Envelope[Any]]]] = {
    event_type_of(cls): cls for cls in EVENT_CLASSES
}


def parse_event(topic: str | None, raw: bytes | str) -> AnyEvent:
    """Decode a Kafka record value into its event, dispatching on ``type``.

    Unknown fields are ignored (a newer producer may have added optional ones). When ``topic``
    is given (a ``.dlq`` topic counts as its source topic) the event must belong to it.
    """
    try:
        event = _ANY_EVENT.validate_json(raw, extra="ignore")
    except ValidationError as exc:
        raise EventDecodeError(f"not a valid Bancone event: {exc}") from exc
    if topic is not None and event.topic != base_topic(topic):
        raise EventDecodeError(f"a {event.type} event does not belong on topic {topic!r}")
    return event


__all__ = [
    "EVENT_CLASSES",
    "EVENT_CLASS_BY_TYPE",
    "AgentTurnCompleted",
    "AnyEvent",
    "AuditRecorded",
    "CatalogEntityChanged",
    "ChannelChanged",
    "ConversationChanged",
    "DeliveryUpdated",
    "EventDecodeError",
    "InboundMessageReceived",
    "KnowledgeIngestionUpdated",
    "OrderChanged",
    "OutboundMessageRequested",
    "WhatsAppStatusUpdated",
    "WhatsAppUpdateReceived",
    "event_type_of",
    "event_version_of",
    "parse_event",
]
