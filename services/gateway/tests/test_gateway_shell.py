"""The gateway's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_gateway.adapters.tables import GatewayTable
from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.service_checks import service_shell_checks

TestGatewayShell = service_shell_checks(GatewaySettings, build_app, 8080, GatewayTable.metadata)
