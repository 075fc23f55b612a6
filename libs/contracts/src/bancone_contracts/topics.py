"""Kafka topic names, their layout, and the partition keys that keep related events in order.

Topics are versioned: a breaking change is a new ``.v2`` topic, never an edit of ``.v1``.
"""

from __future__ import annotations

from dataclasses import dataclass

INBOUND = "bancone.inbound.v1"
STATUS = "bancone.status.v1"
OUTBOUND = "bancone.outbound.v1"
CONVERSATION = "bancone.conversation.v1"
DELIVERY = "bancone.delivery.v1"
CATALOG = "bancone.catalog.v1"
CHANNEL = "bancone.channel.v1"
AGENT_TURNS = "bancone.agent-turns.v1"
AUDIT = "bancone.audit.v1"
WHATSAPP_UPDATES = "bancone.whatsapp-updates.v1"
KNOWLEDGE = "bancone.knowledge.v1"
ORDER = "bancone.order.v1"

DLQ_SUFFIX = ".dlq"

CONVERSATION_PARTITIONS = 6
"""Partitions of conversation- and entity-keyed topics: room for parallel consumers."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How a topic is created: name, partition count, and whether it is log-compacted."""

    name: str
    partitions: int
    compacted: bool = False


def dlq(topic: str) -> str:
    """The dead-letter topic of ``topic`` (``<topic>.dlq``)."""
    if topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{topic!r} is already a dead-letter topic")
    return topic + DLQ_SUFFIX


def base_topic(topic: str) -> str:
    """The topic a dead-letter topic belongs to; other topics are returned unchanged."""
    return topic.removesuffix(DLQ_SUFFIX)


EVENT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(INBOUND, CONVERSATION_PARTITIONS),
    TopicSpec(STATUS, CONVERSATION_PARTITIONS),
    TopicSpec(OUTBOUND, CONVERSATION_PARTITIONS),
    TopicSpec(CONVERSATION, CONVERSATION_PARTITIONS),
    TopicSpec(DELIVERY, CONVERSATION_PARTITIONS),
    TopicSpec(CATALOG, CONVERSATION_PARTITIONS),
    TopicSpec(CHANNEL, 3, compacted=True),
    TopicSpec(AGENT_TURNS, CONVERSATION_PARTITIONS),
    TopicSpec(AUDIT, 3),
    TopicSpec(WHATSAPP_UPDATES, CONVERSATION_PARTITIONS),
    TopicSpec(KNOWLEDGE, CONVERSATION_PARTITIONS),
    TopicSpec(ORDER, CONVERSATION_PARTITIONS),
)

ALL_TOPICS: list[TopicSpec] = [
    spec
    for topic in EVENT_TOPICS
    # A DLQ keeps the source key and partition count but is never compacted: every failure counts.
    for spec in (topic, TopicSpec(dlq(topic.name), topic.partitions, compacted=False))
]
"""Every topic Bancone uses, each followed by its dead-letter topic: what provisioning creates."""


def conversation_key(tenant_id: str, customer_id: str) -> str:
    """Partition key (and envelope subject) of everything about one customer's conversation."""
    return f"{_tenant(tenant_id)}:{_part(customer_id, 'customer_id')}"


def entity_key(tenant_id: str, entity_id: str) -> str:
    """Partition key (and envelope subject) of catalog events about one entity."""
    return f"{_tenant(tenant_id)}:{_part(entity_id, 'entity_id')}"


def tenant_key(tenant_id: str) -> str:
    """Partition key of tenant-wide events (the audit log): one tenant's actions in order."""
    return _tenant(tenant_id)


def channel_key(phone_number_id: str) -> str:
    """Partition key of the compacted channel topic: one record per WhatsApp number."""
    return _part(phone_number_id, "phone_number_id")


def _part(value: str, name: str) -> str:
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _tenant(tenant_id: str) -> str:
    # The key splits on the first ':', so a tenant id may not contain one.
    if ":" in tenant_id:
        raise ValueError("tenant_id must not contain ':'")
    return _part(tenant_id, "tenant_id")
