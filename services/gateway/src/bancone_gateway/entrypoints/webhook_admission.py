"""Admission in front of the webhook: past `limit` webhooks in flight, or while the event loop
runs more than `max_lag` seconds late, a 503 with Retry-After at once, before anything else
(body, signature, storage) is spent on the request.

The writer's own bound (`adapters.webhook_writer`) only sees requests that got as far as it.
When the gateway is short of CPU the queue forms earlier — in the event loop, every request
half-way through its handling — and without this the answers came after vegeta's (and Meta's)
10 s timeout instead of a prompt 503 (bench/webhook_load.py, docs/benchmarks.md). By Little's
law the in-flight limit bounds the wait (in flight / throughput); the loop's lateness
(`loop_lag.LoopLag`) is the wait a request met before the gateway saw it, which the in-flight
count cannot see when the requests are still queued as tasks behind one another.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bancone_gateway import metrics
from bancone_gateway.entrypoints.loop_lag import LoopLag
from bancone_kit.http.problems import problem_response


class WebhookAdmission:
    """Pure ASGI middleware counting in-flight POSTs to `path` (the outermost layer)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        limit: int,
        retry_after: int,
        lag: LoopLag | None = None,
        max_lag: float = float("inf"),
    ) -> None:
        self.app = app
        self.path = path
        self.limit = limit
        self.retry_after = retry_after
        self.lag = lag
        self.max_lag = max_lag
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        late = self.lag.seconds if self.lag is not None else 0.0
        if self.in_flight >= self.limit or late > self.max_lag:
            reason = "overloaded" if self.in_flight >= self.limit else "late"
            metrics.WEBHOOK_REJECTED.labels(reason=reason).inc()
            detail = (
                f"{self.in_flight} webhooks in flight"
                if reason == "overloaded"
                else f"the gateway runs {late:.1f}s behind"
            )
            response = problem_response(
                503,
                "Overloaded",
                f"{detail}; retry later",
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
