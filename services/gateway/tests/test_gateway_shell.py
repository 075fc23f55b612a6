"""The gateway's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_gateway.adapters.tables import GatewayTable
from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.service_checks import ServiceShellChecks


class TestGatewayShell(ServiceShellChecks):
    settings_class = GatewaySettings
    app_factory = staticmethod(build_app)
    default_port = 8080
    tables = frozenset({"tenants", "channels", "webhook_receipts"})
    models = GatewayTable.metadata
