"""What a send attempt can end in, and which outcomes are worth another attempt.

Branch on the Graph error `code`, never on its text (WHATSAPP.md): known transient codes are
retried, known permanent ones are not, and only an unlisted code falls back to the HTTP status
(429 and 5xx retried). A transport error is retried only when the request provably never left
(connect failures); once it may have reached Meta the outcome is *unknown* and is never retried,
because a customer must not get the same message twice. The retry loop itself (backoff,
`Retry-After`, limits) is the adapter's: `bancone_notifier.adapters.graph.send_with_retries`.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRYABLE_CODES = frozenset({130429, 131056, 4, 80007, 131057, 1, 2, 131000, 131016})
"""Throughput, pair and app rate limits, maintenance, transient/unknown/unavailable."""

PERMANENT_CODES = frozenset(
    {131047, 131026, 131051, 131048, 131049, 131050, 131008, 131009, 190, 368}
    | set(range(132000, 132019))
)
"""24 h window, undeliverable, unsupported, spam/marketing limits, bad parameters, templates,
expired token, policy block: sending again cannot help."""


@dataclass(frozen=True)
class GraphError:
    """A refusal from the Graph API, as `{"error": {...}}` and the HTTP status carried it."""

    http_status: int
    code: int | None = None
    subcode: int | None = None
    title: str | None = None
    retry_after_seconds: float | None = None


@dataclass(frozen=True)
class Accepted:
    """200 with a wamid: Meta took the message (delivery is reported later by statuses)."""

    wamid: str


@dataclass(frozen=True)
class Rejected:
    error: GraphError


@dataclass(frozen=True)
class NotSent:
    """The request never reached the Graph API (connection refused, DNS, pool exhausted)."""

    reason: str


@dataclass(frozen=True)
class Unknown:
    """The request may have reached Meta, but no answer came back (timeout, dropped connection,
    an unreadable 200): it might have been delivered, so it is never sent again."""

    reason: str


SendOutcome = Accepted | Rejected | NotSent | Unknown


def is_retryable(error: GraphError) -> bool:
    """Whether sending the same message again may succeed; decided by code first."""
    if error.code in RETRYABLE_CODES:
        return True
    if error.code in PERMANENT_CODES:
        return False
    return error.http_status == 429 or error.http_status >= 500


def should_retry(outcome: SendOutcome) -> bool:
    match outcome:
        case Rejected(error):
            return is_retryable(error)
        case NotSent():
            return True
        case _:
            return False


@dataclass(frozen=True)
class SendReport:
    """The last outcome, how many attempts it took, and whether retries ran out."""

    outcome: SendOutcome
    attempts: int
    exhausted: bool = False


def worth_another_attempt(report: SendReport) -> bool:
    """The message surely did not reach the customer and a later attempt may succeed: the
    Graph API was unreachable, or refused it for a retryable reason (throughput, 5xx) until the
    send path's retries ran out. Never after an unknown outcome (it may have arrived)."""
    outcome = report.outcome
    if isinstance(outcome, NotSent):
        return True
    return isinstance(outcome, Rejected) and is_retryable(outcome.error)
