"""The agent's registries: it subscribes exactly what `bancone_contracts.subscriptions` declares
(the KafkaUser ACLs and KEDA triggers are generated from the same), each subscribed event has
its handler, and only inbound messages are folded into turns."""

from __future__ import annotations

import pytest

from bancone_agent import handlers
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.subscriptions import consumer_groups

pytestmark = pytest.mark.unit


def test_the_agent_subscribes_exactly_its_declared_consumer_groups() -> None:
    declared = [(g.event, g.topic, g.group) for g in consumer_groups("agent")]
    assert [(s.event, s.topic, s.group) for s in handlers.SUBSCRIPTIONS] == declared


def test_every_event_the_agent_subscribes_has_one_handler() -> None:
    assert {s.event for s in handlers.SUBSCRIPTIONS} == set(handlers.EVENT_HANDLERS)


def test_only_inbound_messages_are_folded_into_one_turn() -> None:
    folded = {s.event for s in handlers.SUBSCRIPTIONS if s.fold}
    assert folded == {InboundMessageReceived}
