"""The notifier's HTTP routes; health and readiness come from the kit's app factory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from bancone_kit.http.app import create_app
from bancone_kit.http.health import ReadinessCheck
from bancone_notifier.settings import NotifierSettings

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""

router = APIRouter()


def build_http_app(
    settings: NotifierSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone notifier", settings, readiness_checks, lifespan)
    app.include_router(router)
    return app
