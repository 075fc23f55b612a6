"""Admission in front of the webhook: past `limit` webhooks in flight, a 503 with Retry-After
at once, before the rest of the middleware stack (metrics, request id, routing, body,
signature) spends anything on the request.

The writer's own bound (`adapters.webhook_writer`) only sees requests that got as far as it.
When the gateway is short of CPU the queue forms earlier — in the event loop, every request
half-way through the stack — and without this the answers came after vegeta's (and Meta's)
10 s timeout instead of a prompt 503 (bench/webhook_load.py, docs/benchmarks.md). By
Little's law the limit bounds the wait: in flight / throughput.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bancone_gateway import metrics
from bancone_kit.http.problems import problem_response


class WebhookAdmission:
    """Pure ASGI middleware counting in-flight POSTs to `path`."""

    def __init__(self, app: ASGIApp, *, path: str, limit: int, retry_after: int) -> None:
        self.app = app
        self.path = path
        self.limit = limit
        self.retry_after = retry_after
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            metrics.WEBHOOK_REJECTED.labels(reason="overloaded").inc()
            response = problem_response(
                503,
                "Overloaded",
                f"{self.in_flight} webhooks in flight; retry later",
                instance=self.path,
                headers={"Retry-After": str(self.retry_after)},
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
