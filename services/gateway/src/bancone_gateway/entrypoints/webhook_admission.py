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

The refusal is sent as bytes rendered once per distinct detail (`_Refusals`): past capacity
refusals come by the thousand a second, and building a `JSONResponse` for each (and sending
it through Starlette's response machinery) was 17.6 % of the gateway's samples at 800/s.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_gateway import metrics
from bancone_gateway.entrypoints.loop_lag import LoopLag
from bancone_kit.http.problems import PROBLEM_MEDIA_TYPE

_MAX_RENDERED = 256
"""Distinct refusal bodies kept; the details vary only with the lateness (to 0.1 s)."""


class _Refusals:
    """The 503's two ASGI messages, rendered once per detail and reused."""

    def __init__(self, path: str, retry_after: int) -> None:
        self._path = path
        self._retry_after = str(retry_after).encode()
        self._rendered: dict[str, tuple[Message, Message]] = {}

    def messages(self, detail: str) -> tuple[Message, Message]:
        found = self._rendered.get(detail)
        if found is None:
            if len(self._rendered) >= _MAX_RENDERED:
                self._rendered.clear()
            found = self._rendered[detail] = self._render(detail)
        return found

    def _render(self, detail: str) -> tuple[Message, Message]:
        """The body `problem_response(503, "Overloaded", detail, instance=path)` gives (no
        request id: admission runs before one is bound)."""
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Overloaded",
                "status": 503,
                "detail": detail,
                "instance": self._path,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = [
            (b"retry-after", self._retry_after),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        ]
        start: Message = {"type": "http.response.start", "status": 503, "headers": headers}
        return start, {"type": "http.response.body", "body": body}


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
        self._refusals = _Refusals(path, retry_after)

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
            start, body = self._refusals.messages(f"{detail}; retry later")
            await send(start)
            await send(body)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
