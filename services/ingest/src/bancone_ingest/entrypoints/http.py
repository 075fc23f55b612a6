"""The ingest's HTTP app: the search API, plus health and readiness from the kit's factory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_ingest.entrypoints.search_api import router as search_router
from bancone_ingest.settings import IngestSettings
from bancone_kit.http.app import create_app
from bancone_kit.http.health import ReadinessCheck


def build_http_app(
    settings: IngestSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone ingest", settings, readiness_checks, lifespan)
    app.include_router(search_router)
    return app
