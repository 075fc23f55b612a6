"""The catalog's shell, checked as every service's: settings, liveness, /metrics, Alembic history."""

from __future__ import annotations

from bancone_catalog.adapters.tables import CatalogTable
from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.testing.service_checks import MetricsProbe, shell_checks

PROBE = MetricsProbe("POST", "/v1/tenants/demo/products", "/v1/tenants/{tenant_id}/products")
TestCatalogShell = shell_checks(CatalogSettings, build_app, 8081, CatalogTable.metadata, PROBE)
