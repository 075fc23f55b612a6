"""The catalog's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_catalog.adapters.tables import CatalogTable
from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.testing.service_checks import ServiceShellChecks


class TestCatalogShell(ServiceShellChecks):
    settings_class = CatalogSettings
    app_factory = staticmethod(build_app)
    default_port = 8081
    tables = frozenset({"products", "faqs", "offers"})
    models = CatalogTable.metadata
