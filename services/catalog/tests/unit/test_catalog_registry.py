"""The catalog's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

from bancone_catalog import handlers
from bancone_catalog.entrypoints.http import CATALOG_PROBLEMS
from bancone_kit.testing.registry_checks import registry_checks

TestCatalogRegistry = registry_checks("catalog", handlers, CATALOG_PROBLEMS)
