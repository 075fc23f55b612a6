"""The checks every service's registries pass, written once (as `service_checks` is for the
shell): a service subscribes exactly the consumer groups `bancone_contracts.subscriptions`
declares for it (the KafkaUser ACLs and KEDA triggers are generated from the same), every
subscribed event has one handler, and every domain error in its problem table is a plain
exception (no kit or web-framework base class) with a 4xx/5xx status.

A service's test module binds them to a name:
`TestNotifierRegistry = registry_checks("notifier", handlers)`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import pytest

from bancone_contracts.subscriptions import consumer_groups
from bancone_kit.http.errors import ErrorProblems

_FRAMEWORK_MODULES = ("bancone_kit", "fastapi", "starlette")


class ServiceRegistryChecks:
    service: ClassVar[str]
    handlers: ClassVar[ModuleType]
    problems: ClassVar[ErrorProblems]

    @pytest.mark.unit
    def test_it_subscribes_exactly_its_declared_consumer_groups(self) -> None:
        declared = [(g.event, g.topic, g.group) for g in consumer_groups(self.service)]
        subscribed = [(s.event, s.topic, s.group) for s in self.handlers.SUBSCRIPTIONS]
        assert subscribed == declared

    @pytest.mark.unit
    def test_every_subscribed_event_has_one_handler(self) -> None:
        subscribed = {s.event for s in self.handlers.SUBSCRIPTIONS}
        assert subscribed == set(self.handlers.EVENT_HANDLERS)

    @pytest.mark.unit
    def test_its_domain_errors_are_plain_exceptions_each_with_a_problem(self) -> None:
        for error_class, problem in self.problems.items():
            bases = [c.__module__ for c in error_class.__mro__]
            assert not [m for m in bases if m.startswith(_FRAMEWORK_MODULES)], error_class
            assert 400 <= problem.status < 600, error_class


def registry_checks(
    service: str, handlers: ModuleType, problems: ErrorProblems | None = None
) -> type[ServiceRegistryChecks]:
    """The `ServiceRegistryChecks` of one service (`problems`: its exception → problem table)."""
    attributes: dict[str, Any] = {
        "service": service,
        "handlers": handlers,
        "problems": dict(problems or {}),
    }
    name = f"Test{service.capitalize()}Registry"
    return type(name, (ServiceRegistryChecks,), attributes)
