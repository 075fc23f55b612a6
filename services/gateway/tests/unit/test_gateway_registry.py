"""The gateway's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

from bancone_gateway import handlers
from bancone_gateway.entrypoints.http import GATEWAY_PROBLEMS
from bancone_kit.testing.registry_checks import registry_checks

TestGatewayRegistry = registry_checks("gateway", handlers, GATEWAY_PROBLEMS)
