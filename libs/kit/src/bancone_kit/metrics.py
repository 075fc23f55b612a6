"""Prometheus metrics shared by every service, and how `/metrics` renders them.

One registry per process: prometheus_client's default `REGISTRY` (one service = one process),
which also carries the process and Python collectors and every module-level metric a service
declares (the gateway's webhook counters, the agent's turn latency, the notifier's sends).
FastStream's Kafka middleware (`messaging.broker.make_broker`) registers there too.

Some values live in a database, and collectors are synchronous: those sources register an
async hook with `on_scrape`, which `render` awaits before encoding, so a scrape sees fresh
values without a query running inside a sync `collect()` (see `messaging.outbox_metrics`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder

from bancone_kit.logging import get_logger

log = get_logger(__name__)

ScrapeHook = Callable[[], Awaitable[None]]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a webhook answers in milliseconds, an assistant turn with tool calls in seconds."""

HTTP_REQUESTS = Counter(
    "bancone_http_requests",
    "HTTP requests answered, by route template (not the raw path), method and status code.",
    ["route", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "bancone_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template, method "
    "and status code.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_DEAD_LETTERED = Counter(
    "bancone_events_dead_lettered",
    "Events sent to `<topic>.dlq` after the last failed attempt (or unparseable), by source "
    "topic. Consumed/published counts per topic are FastStream's `faststream_*` series.",
    ["topic"],
)
EVENT_HANDLER_SECONDS = Histogram(
    "bancone_event_handler_seconds",
    "Time a queued event's handler took, retries included, by topic and outcome (handled, "
    "dead_lettered) — for consumers whose FastStream handler returns before the work is done "
    "(the keyed dispatcher); plain subscribers are timed by "
    "`faststream_received_processed_messages_duration_seconds`.",
    ["topic", "outcome"],
    buckets=LATENCY_BUCKETS,
)

_scrape_hooks: list[ScrapeHook] = []


def on_scrape(hook: ScrapeHook) -> Callable[[], None]:
    """Await `hook` before every render (it should cache: see `outbox_metrics`); returns a
    function that removes it again."""
    _scrape_hooks.append(hook)

    def remove() -> None:
        if hook in _scrape_hooks:
            _scrape_hooks.remove(hook)

    return remove


async def render(
    accept: str | None = None, registry: CollectorRegistry = REGISTRY
) -> tuple[bytes, str]:
    """The exposition (text format, or OpenMetrics when `accept` asks for it) and its
    content type, after the scrape hooks ran; a failing hook is logged, never fatal."""
    results = await asyncio.gather(
        *(hook() for hook in list(_scrape_hooks)), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            log.warning("metrics.scrape_hook_failed", error=type(result).__name__)
    encode, content_type = choose_encoder(accept or "")
    return encode(registry), content_type
