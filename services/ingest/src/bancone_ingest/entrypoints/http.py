"""The ingest's HTTP app: the search and document APIs, plus health and readiness from the
kit's factory; `INGEST_PROBLEMS` says what each error of a search or an upload means over HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_ingest.adapters.index_handle import IndexNotReadyError
from bancone_ingest.domain import InvalidQueryError, InvalidTenantError
from bancone_ingest.domain.reindexing import ReindexBusyError, ReindexRunNotFoundError
from bancone_ingest.domain.uploads import (
    DocumentNotFoundError,
    DocumentTooLargeError,
    EmptyDocumentError,
    JobNotFoundError,
    UnsupportedFormatError,
    UrlFetchDisabledError,
    UrlFetchError,
    UrlRefusedError,
)
from bancone_ingest.entrypoints.documents_api import router as documents_router
from bancone_ingest.entrypoints.reindex_api import router as reindex_router
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
    DocumentTooLargeError: ErrorProblem(413, "Document too large"),
    UnsupportedFormatError: ErrorProblem(415, "Unsupported document type"),
    EmptyDocumentError: ErrorProblem(422, "Empty document"),
    DocumentNotFoundError: ErrorProblem(404, "Document not found"),
    JobNotFoundError: ErrorProblem(404, "Ingestion job not found"),
    UrlFetchDisabledError: ErrorProblem(403, "URL fetching is off"),
    UrlRefusedError: ErrorProblem(422, "URL refused"),
    UrlFetchError: ErrorProblem(422, "URL could not be fetched"),
    ReindexBusyError: ErrorProblem(409, "Re-index already running"),
    ReindexRunNotFoundError: ErrorProblem(404, "Re-index run not found"),
}
"""Every error a search or a document request can end in, and the problem it becomes."""


def build_http_app(
    settings: IngestSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone ingest", settings, readiness_checks, lifespan, errors=INGEST_PROBLEMS)
    install_token_verifier(app, settings, "ingest")
    app.include_router(search_router)
    app.include_router(documents_router)
    app.include_router(reindex_router)
    return app
