"""The ingest's shell, checked as every service's: settings, liveness, /metrics, Alembic history."""

from __future__ import annotations

from bancone_ingest.adapters.tables import IngestTable
from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.service_checks import MetricsProbe, shell_checks

PROBE = MetricsProbe("GET", "/v1/tenants/demo/stats", "/v1/tenants/{tenant_id}/stats")
TestIngestShell = shell_checks(IngestSettings, build_app, 8082, IngestTable.metadata, PROBE)
