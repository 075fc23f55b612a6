"""The notifier's HTTP routes: campaigns (guarded by the gateway's tokens, verified locally
through its JWKS); health and readiness come from the kit's app factory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from bancone_kit.http.app import create_app
from bancone_kit.http.auth import install_token_verifier
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.health import ReadinessCheck
from bancone_notifier.domain.campaigns import (
    CampaignError,
    CampaignNotFoundError,
    CampaignStateError,
)
from bancone_notifier.entrypoints.campaigns_api import router as campaigns_router
from bancone_notifier.settings import NotifierSettings

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""

router = APIRouter()

NOTIFIER_PROBLEMS: ErrorProblems = {
    CampaignNotFoundError: ErrorProblem(404, "Campaign not found"),
    CampaignStateError: ErrorProblem(
        409, "Invalid campaign transition", extensions=lambda _: {"code": "invalid_transition"}
    ),
    CampaignError: ErrorProblem(
        422, "Campaign refused", extensions=lambda _: {"code": "campaign_refused"}
    ),
}
"""Every notifier error and its problem: 404 an unknown (or another tenant's) campaign, 409 an
action its state does not allow (resume a running one, cancel a finished one), 422 a campaign
that cannot be sent as written (variables, empty segment, a time in the past)."""


def build_http_app(
    settings: NotifierSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app(
        "Bancone notifier", settings, readiness_checks, lifespan, errors=NOTIFIER_PROBLEMS
    )
    install_token_verifier(app, settings, "notifier")
    app.include_router(router)
    app.include_router(campaigns_router)
    return app
