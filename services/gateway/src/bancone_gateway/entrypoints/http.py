"""The gateway's HTTP app: WhatsApp webhooks and the provisioning API; health, readiness and
`/metrics` (which serves the counters of `bancone_gateway.metrics`) come from the kit's app
factory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_gateway.entrypoints import admin, auth, webhooks
from bancone_gateway.entrypoints.identity_errors import install_identity_error_handlers
from bancone_gateway.settings import GatewaySettings
from bancone_kit.http.app import create_app
from bancone_kit.http.health import ReadinessCheck


def build_http_app(
    settings: GatewaySettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone gateway", settings, readiness_checks, lifespan)
    app.include_router(webhooks.router)
    app.include_router(admin.router)
    app.include_router(auth.jwks_router)
    app.include_router(auth.router)
    install_identity_error_handlers(app)
    return app
