"""Request ids: taken from `X-Request-ID` when sane, made up otherwise, echoed on the response.

The id is bound in the logging context for the whole request, and one access line is logged
per request (path only: query strings can carry tokens, e.g. the webhook verification; and a
signed link's token is cut from its path).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_kit.logging import get_logger

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_PATHS = frozenset({"/healthz", "/readyz"})
"""Probes hit these every few seconds: their access lines are logged at debug level."""
CREDENTIAL_PATH_PREFIXES = ("/l/",)
"""Paths whose rest is a credential (the gateway's signed customer links, `/l/<token>`):
their access lines name the prefix only, so logs never hold a working link."""

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_request_id: ContextVar[str | None] = ContextVar("bancone_request_id", default=None)

log = get_logger("bancone.http")


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return _request_id.get()


def loggable_path(path: str) -> str:
    """`path`, or its prefix alone when the rest is a credential."""
    for prefix in CREDENTIAL_PATH_PREFIXES:
        if path.startswith(prefix):
            return prefix + "[redacted]"
    return path


def _choose_request_id(incoming: str | None) -> str:
    if incoming and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


@contextmanager
def request_id_bound(incoming: str | None) -> Iterator[str]:
    """The request's id (`incoming` when sane, else a new one), current and bound in the
    logging context until the block ends: for a raw ASGI path served outside this middleware
    (the gateway's webhook)."""
    request_id = _choose_request_id(incoming)
    token = _request_id.set(request_id)
    try:
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            yield request_id
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """Pure ASGI middleware (no extra task, so the context reaches the endpoint)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with request_id_bound(Headers(scope=scope).get(REQUEST_ID_HEADER)) as request_id:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                path = scope["path"]
                log.log(
                    logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                    "http.request",
                    method=scope["method"],
                    path=loggable_path(path),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
