"""Bancone event contracts: the envelope, the v1 events, topics and partition keys.

Services talk to each other only through these (and HTTP APIs). WhatsApp webhook parsing and
normalisation live in ``bancone_contracts.whatsapp``; schema and AsyncAPI generation in
``bancone_contracts.schema_export`` and ``bancone_contracts.asyncapi``.
"""

from bancone_contracts.common import (
    ContractModel,
    Money,
    UtcDatetime,
    WhatsAppError,
    customer_id_of,
    utc_now,
)
from bancone_contracts.envelope import Envelope
from bancone_contracts.events import (
    EVENT_CLASS_BY_TYPE,
    EVENT_CLASSES,
    AgentTurnCompleted,
    AnyEvent,
    CatalogEntityChanged,
    ChannelChanged,
    ConversationChanged,
    DeliveryUpdated,
    EventDecodeError,
    InboundMessageReceived,
    OutboundMessageRequested,
    WhatsAppStatusUpdated,
    parse_event,
)
from bancone_contracts.topics import (
    AGENT_TURNS,
    ALL_TOPICS,
    CATALOG,
    CHANNEL,
    CONVERSATION,
    DELIVERY,
    INBOUND,
    OUTBOUND,
    STATUS,
    TopicSpec,
    base_topic,
    channel_key,
    conversation_key,
    dlq,
    entity_key,
)

__all__ = [
    "AGENT_TURNS",
    "ALL_TOPICS",
    "CATALOG",
    "CHANNEL",
    "CONVERSATION",
    "DELIVERY",
    "EVENT_CLASSES",
    "EVENT_CLASS_BY_TYPE",
    "INBOUND",
    "OUTBOUND",
    "STATUS",
    "AgentTurnCompleted",
    "AnyEvent",
    "CatalogEntityChanged",
    "ChannelChanged",
    "ContractModel",
    "ConversationChanged",
    "DeliveryUpdated",
    "Envelope",
    "EventDecodeError",
    "InboundMessageReceived",
    "Money",
    "OutboundMessageRequested",
    "TopicSpec",
    "UtcDatetime",
    "WhatsAppError",
    "WhatsAppStatusUpdated",
    "base_topic",
    "channel_key",
    "conversation_key",
    "customer_id_of",
    "dlq",
    "entity_key",
    "parse_event",
    "utc_now",
]
