"""The ingest's registries, checked as every service's (`bancone_kit.testing.registry_checks`):
exactly its declared consumer groups, one handler per subscribed event, plain domain errors."""

from __future__ import annotations

from bancone_ingest import handlers
from bancone_ingest.entrypoints.http import INGEST_PROBLEMS
from bancone_kit.testing.registry_checks import registry_checks

TestIngestRegistry = registry_checks("ingest", handlers, INGEST_PROBLEMS)
