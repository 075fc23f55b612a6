"""The ingest's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_ingest.adapters.tables import IngestTable
from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.service_checks import service_shell_checks

TestIngestShell = service_shell_checks(IngestSettings, build_app, 8082, IngestTable.metadata)
