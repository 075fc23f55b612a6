"""The agent's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

import pytest

from bancone_agent import handlers
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_kit.testing.registry_checks import registry_checks

TestAgentRegistry = registry_checks("agent", handlers)


@pytest.mark.unit
def test_only_inbound_messages_are_folded_into_one_turn() -> None:
    folded = {s.event for s in handlers.SUBSCRIPTIONS if s.fold}
    assert folded == {InboundMessageReceived}
