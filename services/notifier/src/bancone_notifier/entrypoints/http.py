"""The notifier's HTTP routes: message templates (`templates_api.py`), campaigns
(`campaigns_api.py`) and customers with their consent (`customers_api.py`), guarded by the gateway's tokens verified locally through its JWKS;
health and readiness come from the kit's app factory, and `NOTIFIER_PROBLEMS` says what each
error means over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
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
from bancone_notifier.domain.consent import InvalidKeywordError
from bancone_notifier.domain.customers import CustomerInputError, CustomerNotFoundError
from bancone_notifier.domain.templates import (
    GraphTemplateError,
    GraphTemplateRefusedError,
    InvalidTemplateError,
    NoAccountError,
    TemplateNotFoundError,
)
from bancone_notifier.entrypoints.campaigns_api import router as campaigns_router
from bancone_notifier.entrypoints.customers_api import router as customers_router
from bancone_notifier.entrypoints.templates_api import router as templates_router
from bancone_notifier.settings import NotifierSettings

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""


def _graph_details(error: GraphTemplateError) -> dict[str, int | None]:
    return {"graph_code": error.code, "graph_status": error.http_status}


NOTIFIER_PROBLEMS: ErrorProblems = {
    TemplateNotFoundError: ErrorProblem(404, lambda error: f"{error.what.capitalize()} not found"),
    InvalidTemplateError: ErrorProblem(422, "Invalid template"),
    NoAccountError: ErrorProblem(409, "Channel cannot manage templates"),
    GraphTemplateRefusedError: ErrorProblem(
        422, "Graph API refused the template", extensions=_graph_details
    ),
    GraphTemplateError: ErrorProblem(502, "Graph API unavailable", extensions=_graph_details),
    CampaignNotFoundError: ErrorProblem(404, "Campaign not found"),
    CampaignStateError: ErrorProblem(
        409, "Invalid campaign transition", extensions=lambda _: {"code": "invalid_transition"}
    ),
    CampaignError: ErrorProblem(
        422, "Campaign refused", extensions=lambda _: {"code": "campaign_refused"}
    ),
    CustomerNotFoundError: ErrorProblem(404, "Customer not found"),
    CustomerInputError: ErrorProblem(422, "Invalid customer request"),
    InvalidKeywordError: ErrorProblem(422, "Invalid consent keywords"),
}
"""Every notifier error and its problem. Templates: 404 an unknown (or another tenant's)
channel or template, 422 a template Meta would refuse (checked here first, or refused by Meta
with its code), 409 a channel without an account id or token, 502 the Graph API unreachable.
Campaigns: 404 unknown (or another tenant's), 409 an action its state does not allow (resume a
running one, cancel a finished one), 422 a campaign that cannot be sent as written (variables,
empty segment, a time in the past). Customers: 404 unknown (or another tenant's), 422 tags,
an opt-in without proof, a cursor or a keyword list that cannot be used."""


def build_http_app(
    settings: NotifierSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app(
        "Bancone notifier", settings, readiness_checks, lifespan, errors=NOTIFIER_PROBLEMS
    )
    install_token_verifier(app, settings, "notifier")
    app.include_router(templates_router)
    app.include_router(campaigns_router)
    app.include_router(customers_router)
    return app
