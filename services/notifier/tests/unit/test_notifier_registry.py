"""The notifier's registries: it subscribes exactly what `bancone_contracts.subscriptions` declares
(the KafkaUser ACLs and KEDA triggers are generated from the same), each subscribed event has
its handler."""

from __future__ import annotations

import pytest

from bancone_contracts.subscriptions import consumer_groups
from bancone_notifier import handlers

pytestmark = pytest.mark.unit


def test_the_notifier_subscribes_exactly_its_declared_consumer_groups() -> None:
    declared = [(g.event, g.topic, g.group) for g in consumer_groups("notifier")]
    assert [(s.event, s.topic, s.group) for s in handlers.SUBSCRIPTIONS] == declared


def test_every_event_the_notifier_subscribes_has_one_handler() -> None:
    assert {s.event for s in handlers.SUBSCRIPTIONS} == set(handlers.EVENT_HANDLERS)
