"""Prometheus metrics of the notifier, served at `/metrics` by the kit's app.

`bancone_notifier_sends_total` counts outbound messages once each, by how their send ended;
`bancone_notifier_graph_requests_total` counts every Graph API call, retried ones included,
so throttling (130429, 131056, ...) shows even when a retry then succeeds, and
`bancone_notifier_graph_request_seconds` times each of them. `error_code` is
Graph's `error.code` (a documented, bounded set), `http_<status>` for a refusal without one,
and empty when there is no error. `bancone_notifier_pacing_total` counts what the pacer gave up
or held: leased slots dropped because the replica used them too late, and sends held by the
dispatch window (woken late, they would have crowded a second at Meta);
`bancone_notifier_pacing_replicas` the live replicas the tier is split between.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge, Histogram

from bancone_notifier.domain.sending import (
    Accepted,
    NotSent,
    Rejected,
    SendOutcome,
    SendReport,
    Unknown,
)

SENDS = Counter(
    "bancone_notifier_sends",
    "Outbound messages by how their send ended: accepted, rejected, unreachable (never left), "
    "unknown (may have reached Meta, not resent), refused (channel not usable for the "
    "tenant), interrupted (a previous run died mid-send); and Graph API error code.",
    ["outcome", "error_code"],
)
GRAPH_REQUESTS = Counter(
    "bancone_notifier_graph_requests",
    "Graph API send calls (each retry counts) by outcome and Graph API error code.",
    ["outcome", "error_code"],
)
GRAPH_SECONDS = Histogram(
    "bancone_notifier_graph_request_seconds",
    "Graph API send calls from the request leaving to its answer: the pacer's dispatch window "
    "holds each send that long plus a second, so one replica sends at most tier / (1 s + this).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

PACING = Counter(
    "bancone_notifier_pacing",
    "Pacer events by kind: slot_dropped (a leased slot stale before use, rate lost), "
    "window_hold (a send held so what arrives at Meta keeps to the tier).",
    ["kind"],
)
SLOTS_DROPPED = PACING.labels("slot_dropped")
WINDOW_HOLDS = PACING.labels("window_hold")
LIVE_REPLICAS = Gauge(
    "bancone_notifier_pacing_replicas",
    "Live notifier replicas as this one last saw them: each number's tier is split between them.",
)


def outcome_labels(outcome: SendOutcome) -> tuple[str, str]:
    match outcome:
        case Accepted():
            return "accepted", ""
        case Rejected(error):
            code = str(error.code) if error.code is not None else f"http_{error.http_status}"
            return "rejected", code
        case NotSent():
            return "unreachable", ""
        case Unknown():
            return "unknown", ""


def count_send(report: SendReport) -> None:
    """Count a message whose send ended in `report`."""
    SENDS.labels(*outcome_labels(report.outcome)).inc()


def count_unsent(outcome: str) -> None:
    """Count a message settled without a Graph call (`refused`, `interrupted`)."""
    SENDS.labels(outcome, "").inc()


def counted(send: Callable[[], Awaitable[SendOutcome]]) -> Callable[[], Awaitable[SendOutcome]]:
    """`send`, counting each call's outcome in `GRAPH_REQUESTS` and timing it."""

    async def call() -> SendOutcome:
        started = time.perf_counter()
        outcome = await send()
        GRAPH_SECONDS.observe(time.perf_counter() - started)
        GRAPH_REQUESTS.labels(*outcome_labels(outcome)).inc()
        return outcome

    return call
