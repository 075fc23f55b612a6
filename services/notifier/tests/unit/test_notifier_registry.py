"""The notifier's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

from bancone_kit.testing.registry_checks import registry_checks
from bancone_notifier import handlers

TestNotifierRegistry = registry_checks("notifier", handlers)
