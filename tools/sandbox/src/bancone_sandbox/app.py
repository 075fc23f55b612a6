"""`create_app(settings)`: the sandbox as a FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bancone_sandbox import compliance_routes, control, graph_api, payments_api
from bancone_sandbox.errors import GraphError, error_response
from bancone_sandbox.runtime import SandboxRuntime
from bancone_sandbox.settings import SandboxSettings
from bancone_sandbox.state import SandboxState


def create_app(
    settings: SandboxSettings | None = None, *, webhook_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """Build a sandbox with its own fresh state; `webhook_client` carries status webhooks."""
    resolved = settings or SandboxSettings()
    runtime = SandboxRuntime(
        settings=resolved,
        state=SandboxState.from_settings(resolved),
        injected_client=webhook_client,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await runtime.aclose()

    app = FastAPI(
        title="Bancone sandbox",
        description="Local stand-ins for Meta's Cloud API send endpoint and for a payment "
        "provider (pay by link, under /payments). State is in memory.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    async def graph_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, GraphError)
        return error_response(error)

    app.add_exception_handler(GraphError, graph_error)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(control.router)
    app.include_router(payments_api.router)
    app.include_router(graph_api.router)
    app.include_router(compliance_routes.control_router)
    app.include_router(compliance_routes.graph_router)
    return app
