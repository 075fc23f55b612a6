"""Deny by default: every route of the gateway's app is public by name or carries a kit guard,
every guarded route refuses a request without a valid token (401 problem) and another tenant's
owner (404), checked as every service's (`bancone_kit.testing.route_guards`)."""

from __future__ import annotations

from bancone_gateway.entrypoints.http import PUBLIC_PATHS, build_http_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.route_guards import route_guard_checks

TestGatewayRouteGuards = route_guard_checks(
    "gateway", lambda: build_http_app(GatewaySettings(), []), PUBLIC_PATHS
)
