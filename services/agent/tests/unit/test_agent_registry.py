"""The agent's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

import pytest

from bancone_agent import handlers
from bancone_agent.entrypoints.http import AGENT_PROBLEMS
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_kit.testing.registry_checks import registry_checks

TestAgentRegistry = registry_checks("agent", handlers, AGENT_PROBLEMS)


@pytest.mark.unit
def test_inbound_messages_and_delivery_reports_are_read_in_bursts() -> None:
    """Inbound messages fold into one turn, a conversation's delivery reports into one
    transaction; nothing else is folded."""
    folded = {s.event for s in handlers.SUBSCRIPTIONS if s.fold}
    assert folded == {InboundMessageReceived, DeliveryUpdated}


@pytest.mark.unit
def test_the_inbound_dead_letters_are_read_back_with_their_own_handler() -> None:
    [dead] = [s for s in handlers.SUBSCRIPTIONS if s.dead_letters]
    assert (dead.event, dead.topic) == (InboundMessageReceived, "bancone.inbound.v1.dlq")
    assert set(handlers.DEAD_LETTER_HANDLERS) == {dead.event}
