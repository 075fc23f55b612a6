"""The catalog's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_catalog.adapters.tables import CatalogTable
from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.testing.service_checks import service_shell_checks

TestCatalogShell = service_shell_checks(CatalogSettings, build_app, 8081, CatalogTable.metadata)
