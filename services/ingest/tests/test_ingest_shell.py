"""The ingest's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_ingest.adapters.tables import IngestTable
from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.service_checks import ServiceShellChecks


class TestIngestShell(ServiceShellChecks):
    settings_class = IngestSettings
    app_factory = staticmethod(build_app)
    default_port = 8082
    tables = frozenset({"indexed_entities"})
    models = IngestTable.metadata
