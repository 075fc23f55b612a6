"""The one way a Bancone service builds its FastAPI app, so all five behave alike at the edge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import Lifespan

from bancone_kit.http.errors import ErrorProblems
from bancone_kit.http.health import ReadinessCheck, health_router
from bancone_kit.http.metrics import install_metrics
from bancone_kit.http.problems import UnhandledErrorMiddleware, install_problem_handlers
from bancone_kit.http.request_id import RequestIdMiddleware
from bancone_kit.settings import ServiceSettings


def create_app(
    title: str,
    settings: ServiceSettings,
    readiness_checks: Sequence[ReadinessCheck] = (),
    lifespan: Lifespan[FastAPI] | None = None,
    *,
    readiness_timeout_s: float = 3.0,
    errors: ErrorProblems | None = None,
    **fastapi_options: Any,
) -> FastAPI:
    """A FastAPI app with health routes, `/metrics`, problem responses, request ids and
    server spans.

    `readiness_checks` decide `/readyz` (see `database_check`, `kafka_check`); `lifespan`
    opens and closes what the service's `bootstrap` built; `errors` is the service's table of
    domain exceptions and the problems they become. The settings are on `app.state`.
    """
    app = FastAPI(title=title, lifespan=lifespan, **fastapi_options)
    app.state.settings = settings
    install_problem_handlers(app, errors)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health_router(readiness_checks, readiness_timeout_s))
    install_metrics(app)
    # No child spans per ASGI `receive`/`send` message: they say nothing the server span does
    # not, and cost about a tenth of the gateway's CPU per webhook (bench/webhook_load.py).
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="/healthz,/readyz,/metrics", exclude_spans=["receive", "send"]
    )
    return app
