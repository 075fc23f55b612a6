"""The operators' console: static files served at `/console/` (no build step), `/` sends there."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
CONSOLE_PATHS = frozenset({"/", "/console"})
"""Public by nature: the page and its scripts hold no data; every API call carries a token."""


class ConsoleFiles(StaticFiles):
    """Static files that the browser revalidates each time (a new deploy is seen at once), and
    that may not be framed or run scripts from elsewhere."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            # The console's own pages (`accept-invite`, `reset-password`) are the one page.
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            response = await super().get_response("index.html", scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; media-src 'self' data:; frame-ancestors 'none'"
        )
        return response


def mount_console(app: FastAPI) -> None:
    app.mount("/console", ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/", include_in_schema=False)
    async def to_console() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)
