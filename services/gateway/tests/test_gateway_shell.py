"""The gateway's shell, checked as every service's: settings, liveness, /metrics, Alembic history."""

from __future__ import annotations

from bancone_gateway.adapters.tables import GatewayTable
from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.service_checks import MetricsProbe, shell_checks

SERIES = ("bancone_gateway_webhook_events_total", "faststream_published_messages_total")
PROBE = MetricsProbe("GET", "/webhooks/whatsapp", "/webhooks/whatsapp", SERIES)
TestGatewayShell = shell_checks(GatewaySettings, build_app, 8080, GatewayTable.metadata, PROBE)
