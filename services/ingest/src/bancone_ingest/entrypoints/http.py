"""The ingest's HTTP routes; health and readiness come from the kit's app factory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from bancone_ingest.settings import IngestSettings
from bancone_kit.http.app import create_app
from bancone_kit.http.health import ReadinessCheck

router = APIRouter()


def build_http_app(
    settings: IngestSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone ingest", settings, readiness_checks, lifespan)
    app.include_router(router)
    return app
