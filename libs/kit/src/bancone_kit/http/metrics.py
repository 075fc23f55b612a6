"""HTTP metrics and the `/metrics` route every service's app gets from `create_app`.

A small ASGI middleware rather than a library (prometheus-fastapi-instrumentator): it is two
series, and the label that matters, the route template, is cheap to get right here. The
router leaves the matched route in the scope; since FastAPI 0.137 that is the route as its
own router declared it (without `include_router` prefixes), so the full template comes from
FastAPI's public `iter_route_contexts` over the app's routes. Cardinality stays bounded by the
app's routes: a path that matched nothing is labelled `unmatched`, never by its raw text.
Probes and the scrape itself are not counted (they would drown the traffic they sit next to).
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_kit.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS, render

METRICS_PATH = "/metrics"
UNCOUNTED_ROUTES = frozenset({METRICS_PATH, "/healthz", "/readyz"})
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods labelled as sent; any other (clients may send any token) is labelled `other`."""


def route_template(scope: Scope) -> str:
    """The matched route's full path template (`/v1/tenants/{tenant_id}/products`), or
    `unmatched` when no route matched."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    contexts = [c for c in iter_route_contexts(routes) if c.original_route is route]
    if len(contexts) > 1:  # one router included under several prefixes
        contexts = [c for c in contexts if c.matches(scope)[0] is not Match.NONE] or contexts
    template = contexts[0].path_format if contexts else getattr(route, "path_format", None)
    return template if isinstance(template, str) and template else UNMATCHED


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by route template, method and status code."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an exception escaped every handler
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = route_template(scope)
            if route not in UNCOUNTED_ROUTES:
                method = str(scope.get("method", ""))
                labels = (route, method if method in METHODS else "other", str(status))
                HTTP_REQUESTS.labels(*labels).inc()
                HTTP_REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    """The process's metrics in the format the scraper asked for."""
    body, content_type = await render(request.headers.get("accept"))
    return Response(body, media_type=content_type)


def install_metrics(app: FastAPI) -> None:
    """Add `/metrics` and the HTTP middleware (outermost, so error responses count too)."""
    app.add_api_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.add_middleware(HttpMetricsMiddleware)
