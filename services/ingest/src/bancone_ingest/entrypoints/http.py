"""The ingest's HTTP app: the search API, plus health and readiness from the kit's factory;
`INGEST_PROBLEMS` says what each error of a search means over HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_ingest.adapters.index_handle import IndexNotReadyError
from bancone_ingest.domain import InvalidQueryError, InvalidTenantError
from bancone_ingest.entrypoints.search_api import router as search_router
from bancone_ingest.settings import IngestSettings
from bancone_kit.http.app import create_app
from bancone_kit.http.auth import install_token_verifier
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.health import ReadinessCheck

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""

INGEST_PROBLEMS: ErrorProblems = {
    InvalidTenantError: ErrorProblem(422, "Invalid tenant id"),
    InvalidQueryError: ErrorProblem(422, "Invalid search query"),
    IndexNotReadyError: ErrorProblem(503, "Index not ready"),
}
"""Every error a search can end in, and the problem it becomes."""


def build_http_app(
    settings: IngestSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone ingest", settings, readiness_checks, lifespan, errors=INGEST_PROBLEMS)
    install_token_verifier(app, settings, "ingest")
    app.include_router(search_router)
    return app
