"""Who reads which event in which consumer group, and who writes which topic: declared once.

Data, not code: each consuming service subscribes from these declarations (through
`bancone_kit.messaging.subscriptions`), its inbox records processed events under the group's
name, and `deploy/tools/gen_topics.py` derives the Strimzi KafkaUser ACLs and the KEDA lag
triggers from the same table. It lives in the contracts because both the services and the
deploy tooling may import the contracts, while the tooling may not import a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bancone_contracts import topics
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived


@dataclass(frozen=True, slots=True)
class ConsumerGroup:
    """`service` reads `event` (on its contract topic) as the Kafka consumer group `group`;
    with `dead_letters`, it reads that topic's `.dlq` instead (records of `event` that failed
    every attempt of their consumer, with the error in their headers)."""

    service: str
    event: type[Envelope[Any]]
    group: str
    dead_letters: bool = False

    @property
    def topic(self) -> str:
        return topics.dlq(self.event.topic) if self.dead_letters else self.event.topic

    @property
    def inbox(self) -> str:
        """The consumer name its processed event ids are recorded under (the group's name, so a
        test reading under a throwaway group still dedupes like production)."""
        return self.group


CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = (
    ConsumerGroup("agent", InboundMessageReceived, "agent"),
    ConsumerGroup("agent", DeliveryUpdated, "agent-delivery"),
    # A dead-lettered customer message escalates its conversation (DESIGN.md, reliability).
    ConsumerGroup("agent", InboundMessageReceived, "agent-dead-letters", dead_letters=True),
    # Business-app echoes hold a conversation for a person; account notices are listed.
    ConsumerGroup("agent", WhatsAppUpdateReceived, "agent-whatsapp-updates"),
    # Order changes the customer should hear of (paid with the invoice link, shipped, ...).
    ConsumerGroup("agent", OrderChanged, "agent-orders"),
    ConsumerGroup("ingest", CatalogEntityChanged, "ingest"),
    # Compacted; a new group reads it from the earliest offset: every channel's last state.
    ConsumerGroup("notifier", ChannelChanged, "notifier-channels"),
    ConsumerGroup("notifier", OutboundMessageRequested, "notifier"),
    ConsumerGroup("notifier", WhatsAppStatusUpdated, "notifier-status"),
    # The 24-hour window and opt-out keywords (consent ledger) read customer messages too.
    ConsumerGroup("notifier", InboundMessageReceived, "notifier-inbound"),
    # WhatsApp's user_preferences (marketing stop/resume) feed the consent ledger.
    ConsumerGroup("notifier", WhatsAppUpdateReceived, "notifier-whatsapp-updates"),
    # A new offer can draft a campaign to the opted-in customers (a tenant setting).
    ConsumerGroup("notifier", CatalogEntityChanged, "notifier-catalog"),
    # Campaign audiences by interest: the categories a customer bought (paid/confirmed
    # orders) and asked about (the products the assistant showed in a turn).
    ConsumerGroup("notifier", OrderChanged, "notifier-orders"),
    ConsumerGroup("notifier", AgentTurnCompleted, "notifier-agent-turns"),
)
"""Every consumer group of every service (DESIGN.md, "Events")."""

PRODUCES: dict[str, tuple[str, ...]] = {
    "gateway": (
        topics.INBOUND,
        topics.STATUS,
        topics.CHANNEL,
        topics.AUDIT,
        topics.WHATSAPP_UPDATES,
    ),
    "catalog": (topics.CATALOG, topics.ORDER),
    "ingest": (topics.KNOWLEDGE,),
    # INBOUND: an operator's replay of an inbound dead letter goes out through the agent's outbox.
    "agent": (topics.OUTBOUND, topics.CONVERSATION, topics.AGENT_TURNS, topics.INBOUND),
    # OUTBOUND: the confirmation of an opt-out or opt-in keyword goes out through its outbox.
    "notifier": (topics.DELIVERY, topics.OUTBOUND),
}
"""Which topics each service writes (its outbox or the gateway's webhook publisher); the dead
letters of what it consumes come on top. Every service is a key, in deployment order."""

SERVICES: tuple[str, ...] = tuple(PRODUCES)


def consumer_groups(service: str) -> tuple[ConsumerGroup, ...]:
    """The declared subscriptions of one service, in declaration order."""
    if service not in PRODUCES:
        raise KeyError(f"unknown service {service!r}")
    return tuple(group for group in CONSUMER_GROUPS if group.service == service)


def consumer_group(
    service: str, event: type[Envelope[Any]], *, dead_letters: bool = False
) -> ConsumerGroup:
    """The one declared subscription of `service` to `event` (or to its dead letters)."""
    for group in consumer_groups(service):
        if group.event is event and group.dead_letters == dead_letters:
            return group
    raise LookupError(f"{service} has no declared subscription to {event.__name__}")
