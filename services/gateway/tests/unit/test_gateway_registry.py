"""The gateway's registries: it subscribes exactly what `bancone_contracts.subscriptions` declares
(the KafkaUser ACLs and KEDA triggers are generated from the same), each subscribed event has
its handler, and its domain errors are plain exceptions with a problem each."""

from __future__ import annotations

import pytest

from bancone_contracts.subscriptions import consumer_groups
from bancone_gateway import handlers
from bancone_gateway.entrypoints.http import GATEWAY_PROBLEMS as PROBLEMS

pytestmark = pytest.mark.unit


def test_the_gateway_subscribes_exactly_its_declared_consumer_groups() -> None:
    declared = [(g.event, g.topic, g.group) for g in consumer_groups("gateway")]
    assert [(s.event, s.topic, s.group) for s in handlers.SUBSCRIPTIONS] == declared


def test_every_event_the_gateway_subscribes_has_one_handler() -> None:
    assert {s.event for s in handlers.SUBSCRIPTIONS} == set(handlers.EVENT_HANDLERS)


def test_the_gateways_domain_errors_are_plain_exceptions_each_with_a_problem() -> None:
    for error_class, problem in PROBLEMS.items():
        assert not any(
            c.__module__.startswith(("bancone_kit", "fastapi", "starlette"))
            for c in error_class.__mro__
        )
        assert 400 <= problem.status < 600
