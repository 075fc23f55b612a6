"""Deny by default: every route of the ingest's app is public by name or carries a kit guard,
every guarded route refuses a request without a valid token (401 problem) and another tenant's
owner (404), checked as every service's (`bancone_kit.testing.route_guards`)."""

from __future__ import annotations

from bancone_ingest.entrypoints.http import PUBLIC_PATHS, build_http_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.route_guards import route_guard_checks

TestIngestRouteGuards = route_guard_checks(
    "ingest", lambda: build_http_app(IngestSettings(), []), PUBLIC_PATHS
)
