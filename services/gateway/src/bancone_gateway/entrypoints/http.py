"""The gateway's HTTP app: WhatsApp webhooks and the provisioning API; health, readiness and
`/metrics` (which serves the counters of `bancone_gateway.metrics`) come from the kit's app
factory, and `GATEWAY_PROBLEMS` says what each domain error means over HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import ASGIApp, Lifespan

from bancone_gateway.adapters.api_proxy import ApiProxyMiddleware, UpstreamProxy
from bancone_gateway.domain.errors import (
    ChannelConflictError,
    ChannelNotFoundError,
    InvalidSignatureError,
    MalformedWebhookError,
    PayloadTooLargeError,
    PublishUnavailableError,
    StorageUnavailableError,
    TenantExistsError,
    TenantNotFoundError,
    VerificationRefusedError,
    WebhookAbandonedError,
    WebhookOverloadedError,
)
from bancone_gateway.domain.links import (
    InvalidLinkRequestError,
    LinkNotFoundError,
    LinkTargetUnavailableError,
)
from bancone_gateway.domain.rejected_replay import (
    RejectedItemAlreadyReplayedError,
    RejectedItemNotFoundError,
)
from bancone_gateway.entrypoints import admin, auth, links, rejected_items, webhooks
from bancone_gateway.entrypoints.console import CONSOLE_PATHS, mount_console
from bancone_gateway.entrypoints.identity_errors import IDENTITY_PROBLEMS
from bancone_gateway.entrypoints.loop_lag import LoopLag
from bancone_gateway.entrypoints.webhook_admission import WebhookAdmission
from bancone_gateway.entrypoints.webhook_fast_path import WebhookFastPath
from bancone_gateway.settings import GatewaySettings
from bancone_kit.http.app import create_app
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.health import ReadinessCheck

PUBLIC_PATHS: frozenset[str] = frozenset(
    {
        "/webhooks/whatsapp",  # Meta: the signature (app secret) or the verify token proves it
        "/.well-known/jwks.json",  # public keys
        "/v1/auth/login",
        "/v1/auth/refresh",  # the refresh token is the credential
        "/v1/auth/logout",  # likewise
        "/v1/auth/invites/accept",  # the signed one-time invite is the credential
        "/v1/auth/password-resets/complete",  # the signed one-time reset link is
        "/v1/auth/service-token",  # the service's client id and secret (HTTP Basic) are
        links.PUBLIC_LINK_PATH,  # the signed, expiring link token is the credential
        *CONSOLE_PATHS,  # static page and scripts; their API calls carry the token
    }
)
"""Routes that answer without a bearer token (besides the kit's probes and docs); every other
route carries a guard from `bancone_kit.http.auth` (the deny-by-default test checks it)."""

RETRY_AFTER_SECONDS = 2
"""What a 503 on the webhook asks Meta to wait before delivering it again."""


def _retry_after(_: Exception) -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


GATEWAY_PROBLEMS: ErrorProblems = {
    InvalidSignatureError: ErrorProblem(401, "Invalid webhook signature"),
    MalformedWebhookError: ErrorProblem(400, "Malformed webhook"),
    PayloadTooLargeError: ErrorProblem(413, "Payload too large"),
    VerificationRefusedError: ErrorProblem(403),
    PublishUnavailableError: ErrorProblem(
        503, "Events could not be published", headers=_retry_after
    ),
    StorageUnavailableError: ErrorProblem(503, "Storage unavailable", headers=_retry_after),
    WebhookOverloadedError: ErrorProblem(503, "Overloaded", headers=_retry_after),
    WebhookAbandonedError: ErrorProblem(400, "The client closed the request"),
    TenantNotFoundError: ErrorProblem(404, "Tenant not found"),
    TenantExistsError: ErrorProblem(409, "Tenant already exists"),
    ChannelNotFoundError: ErrorProblem(404, "Channel not found"),
    ChannelConflictError: ErrorProblem(409, "Channel conflict"),
    RejectedItemNotFoundError: ErrorProblem(404, "Rejected webhook item not found"),
    RejectedItemAlreadyReplayedError: ErrorProblem(409, "Rejected webhook item already replayed"),
    LinkNotFoundError: ErrorProblem(
        404, "Not found", detail=lambda _: "This link is invalid or has expired."
    ),
    LinkTargetUnavailableError: ErrorProblem(
        503, "Temporarily unavailable", detail=lambda _: None, headers=_retry_after
    ),
    InvalidLinkRequestError: ErrorProblem(422, "Invalid link request"),
    **IDENTITY_PROBLEMS,
}
"""Every gateway error and the problem it becomes (Meta retries the 503s)."""


def build_http_app(
    settings: GatewaySettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
    proxy: UpstreamProxy | None = None,
    loop_lag: LoopLag | None = None,
) -> FastAPI:
    """The routes; with `proxy`, tenant paths another service owns are forwarded to it (local
    runs), and with `console_enabled` the console is served at `/console/`. Webhook POSTs are
    answered below the generic stack (`_serve_webhooks_first`); `loop_lag`, when running,
    lets admission refuse them while the event loop is late."""
    app = create_app(
        "Bancone gateway", settings, readiness_checks, lifespan, errors=GATEWAY_PROBLEMS
    )
    app.include_router(webhooks.router)
    app.include_router(admin.router)
    app.include_router(rejected_items.router)
    app.include_router(auth.jwks_router)
    app.include_router(auth.router)
    app.include_router(links.internal)
    app.include_router(links.public)
    if settings.console_enabled:
        mount_console(app)
    if proxy is not None:
        app.add_middleware(ApiProxyMiddleware, proxy=proxy)
    _serve_webhooks_first(app, settings, loop_lag)
    return app


def _serve_webhooks_first(app: FastAPI, settings: GatewaySettings, lag: LoopLag | None) -> None:
    """Put admission and the webhook's raw ASGI path outside the whole stack the app builds
    (OpenTelemetry's middleware included, which wraps `build_middleware_stack` too): a POST to
    the webhook never enters it; the FastAPI route of the same path stays as its documented
    contract (OpenAPI) and serves nothing else."""
    build_generic = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        fast = WebhookFastPath(
            build_generic(),
            path=webhooks.PATH,
            deps=lambda: app.state.deps,
            max_body_bytes=settings.webhook_max_body_bytes,
            problems=GATEWAY_PROBLEMS,
            export_spans=settings.otel_exporter != "none",
        )
        return WebhookAdmission(
            fast,
            path=webhooks.PATH,
            limit=settings.webhook_max_in_flight,
            retry_after=RETRY_AFTER_SECONDS,
            lag=lag,
            max_lag=settings.webhook_max_loop_lag_seconds,
        )

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
