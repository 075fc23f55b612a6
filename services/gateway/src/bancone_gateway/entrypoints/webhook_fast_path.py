"""POST `/webhooks/whatsapp` served below the generic middleware stack.

At 800 webhooks/s the generic stack (OpenTelemetry's ASGI middleware and its route lookup,
the metrics, request-id and error middlewares, FastAPI's routing and dependency solving) was
about 40 % of the gateway's CPU (docs/benchmarks.md). Meta's deliveries are the one path
that carries that rate, so this raw ASGI app answers them itself, placed outside the whole
stack (`install_webhook_fast_path`), and hands every other request to the stack unchanged.

What the path keeps: the signature checked on the raw body and everything else of
`handlers.webhook.receive_webhook` (group-commit writer included), the body limit, the same
200 body and the same problems (the gateway's `ErrorProblems` table; an unexpected error is
the kit's bare 500, logged with its traceback), the request id (header and problem member),
the `bancone_http_*` series under the route's template, the webhook histogram, and one
server span (a parent from `traceparent` when the sender gave one) that the published events
carry. What it drops: the access line per request (debug level here; the handler's
`webhook.accepted` or `webhook.rejected` line is the one line per webhook).

With no span exporter configured (`otel_exporter = "none"`, the default) nobody ever reads
that span: only its ids matter (in the log lines and the events' `traceparent`). Then the
path makes just its context (`_span_context_only`: the sender's trace id when given, a new
span id) instead of an SDK span with attributes, start/end times and processors: 12 to 15 % of
the gateway's samples at 800 webhooks/s on PostgreSQL (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_gateway import metrics
from bancone_gateway.domain.body_limit import (
    BadContentLengthError,
    BodyTooLargeError,
    check_declared_length,
    read_limited,
)
from bancone_gateway.domain.errors import (
    MalformedWebhookError,
    PayloadTooLargeError,
    WebhookAbandonedError,
    WebhookOverloadedError,
)
from bancone_gateway.handlers.deps import GatewayDeps
from bancone_gateway.handlers.webhook import receive_webhook
from bancone_kit.http.errors import ErrorProblems, problem_of
from bancone_kit.http.problems import problem_response
from bancone_kit.http.request_id import REQUEST_ID_HEADER, request_id_bound
from bancone_kit.logging import get_logger
from bancone_kit.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

log = get_logger("bancone.http")
_stdlib_log = logging.getLogger("bancone.http")
"""Asked whether debug is on before an access line is built (a cached level check)."""
tracer = trace.get_tracer(__name__)

_SIGNATURE = b"x-hub-signature-256"
_LENGTH = b"content-length"
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})


class _AbandonedError(Exception):
    """The sender hung up while its body was being read."""


class WebhookFastPath:
    """Serves POST `path` itself; anything else goes to `app` (the generic stack)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        deps: Callable[[], GatewayDeps],
        max_body_bytes: int,
        problems: ErrorProblems,
        export_spans: bool = True,
    ) -> None:
        self.app = app
        self._export_spans = export_spans
        self.path = path
        self._deps = deps
        self._max_body = max_body_bytes
        self._problems = problems

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in (_SIGNATURE, _LENGTH, _REQUEST_ID) or name in _TRACE_HEADERS:
                headers[name] = value.decode("latin-1")
        parent = _parent_context(headers)
        with (
            request_id_bound(headers.get(_REQUEST_ID)) as request_id,
            self._server_span(parent) as span,
        ):
            status, body, extra = await self._answer(receive, headers)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(trace.StatusCode.ERROR)
            await _send(send, status, body, extra, request_id)
        elapsed = time.perf_counter() - started
        labels = (self.path, "POST", str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_REQUEST_SECONDS.labels(*labels).observe(elapsed)
        if _stdlib_log.isEnabledFor(logging.DEBUG):
            log.debug("http.request", method="POST", path=self.path, status=status)

    def _server_span(self, parent: Any) -> AbstractContextManager[trace.Span]:
        if not self._export_spans:
            return _span_context_only(parent)
        return tracer.start_as_current_span(
            f"POST {self.path}",
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": "POST", "http.route": self.path},
        )

    async def _answer(
        self, receive: Receive, headers: dict[bytes, str]
    ) -> tuple[int, bytes, list[Any]]:
        """Status, body and extra headers (with the content type) of the answer."""
        try:
            return 200, _json(await self._accept(receive, headers)), [_JSON]
        except Exception as exc:
            problem = problem_of(self._problems, exc)
            if problem is None:
                log.exception("http.unhandled_error", method="POST", path=self.path)
                return _rendered(problem_response(500, instance=self.path))
            return _rendered(
                problem_response(
                    problem.status,
                    problem.title_for(exc),
                    problem.detail(exc),
                    type_=problem.type_,
                    instance=self.path,
                    headers=dict(problem.headers(exc)) or None,
                    **problem.extensions(exc),
                )
            )

    async def _accept(self, receive: Receive, headers: dict[bytes, str]) -> dict[str, Any]:
        deps = self._deps()
        if deps.writer.saturated:  # shed load before reading, parsing or verifying anything
            metrics.WEBHOOK_REJECTED.labels(reason="overloaded").inc()
            raise WebhookOverloadedError("busy; retry later")
        with metrics.WEBHOOK_SECONDS.time():
            raw = await self._read_body(receive, headers.get(_LENGTH))
            result = await receive_webhook(raw, headers.get(_SIGNATURE), deps)
        return {
            "status": "accepted",
            "published": result.published,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
        }

    async def _read_body(self, receive: Receive, declared: str | None) -> bytes:
        """The raw bytes, refused past the limit by Content-Length or while they stream in."""
        try:
            check_declared_length(declared, self._max_body)
            return await read_limited(_chunks(receive), self._max_body)
        except BodyTooLargeError as exc:
            metrics.WEBHOOK_REJECTED.labels(reason="too_large").inc()
            raise PayloadTooLargeError(f"the body exceeds {exc.limit} bytes") from exc
        except BadContentLengthError as exc:
            raise MalformedWebhookError("invalid Content-Length") from exc
        except _AbandonedError as exc:
            metrics.WEBHOOK_REJECTED.labels(reason="abandoned").inc()
            raise WebhookAbandonedError("the client closed the request") from exc


_JSON = (b"content-type", b"application/json")


def _json(content: dict[str, Any]) -> bytes:
    """As FastAPI's JSONResponse renders it."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


def _rendered(response: Any) -> tuple[int, bytes, list[Any]]:
    """A built problem response as status, body and headers (content type included)."""
    kept = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
    return int(response.status_code), bytes(response.body), kept


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise _AbandonedError
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _send(send: Send, status: int, body: bytes, extra: list[Any], request_id: str) -> None:
    headers = [
        *extra,
        (b"content-length", str(len(body)).encode()),
        (_REQUEST_ID, request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _parent_context(headers: dict[bytes, str]) -> Any:
    """The sender's trace context, if it sent one (Meta does not; the sandbox and tests may)."""
    carrier = {name.decode(): value for name, value in headers.items() if name in _TRACE_HEADERS}
    return propagate.extract(carrier) if carrier else None


@contextmanager
def _span_context_only(parent: Any) -> Iterator[trace.Span]:
    """A current span that is only ids: the parent's trace (or a new one), a new span id
    (random bits, as the SDK's id generator makes them), sampled as the SDK's default
    sampler would have it; `set_attribute` and the like do nothing on it."""
    above = trace.get_current_span(parent).get_span_context() if parent is not None else None
    if above is not None and above.is_valid:
        trace_id, flags, state = above.trace_id, above.trace_flags, above.trace_state
    else:
        trace_id = random.getrandbits(128) or 1
        flags, state = trace.TraceFlags(trace.TraceFlags.SAMPLED), None
    span = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id,
            random.getrandbits(64) or 1,
            is_remote=False,
            trace_flags=flags,
            trace_state=state,
        )
    )
    token = otel_context.attach(trace.set_span_in_context(span, parent))
    try:
        yield span
    finally:
        otel_context.detach(token)
