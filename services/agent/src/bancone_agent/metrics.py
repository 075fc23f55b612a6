"""Prometheus metrics of the agent, served at `/metrics` by the kit's app.

Module-level, so they are registered once per process however many apps a test builds.
The guard's findings are counted here too (`record_findings`). The handler times every
assistant turn (`observe_turn`, around `Assistant.respond`) and counts
the LLM tokens the turn reports in `Reply.run` — one place for every assistant, so an
assistant implementation fills `TurnRun` and does not touch these counters itself (that would
count its tokens twice).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

from bancone_agent.domain import Reply
from bancone_agent.domain.guard import Finding, run_log_findings
from bancone_agent.domain.run import GuardFinding
from bancone_kit.logging import get_logger

log = get_logger(__name__)

LLM_TOKENS = Counter(
    "bancone_agent_llm_tokens",
    "LLM tokens used by assistant turns, by kind (prompt, completion) and model.",
    ["kind", "model"],
)
TURN_SECONDS = Histogram(
    "bancone_agent_turn_seconds",
    "Time an assistant took to answer a customer turn, tool calls included, by assistant "
    "(offline, llm) and outcome (answered, escalated, fallback, muted, no_reply, error).",
    ["assistant", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0),
)
GUARD_VIOLATIONS = Counter(
    "bancone_agent_guard_violations",
    "Facts an LLM reply stated without a tool result behind them, by kind (price, stock, "
    "number, discount, product_name) and attempt (1 = first answer, 2 = corrective retry).",
    ["kind", "attempt"],
)


@dataclass
class TurnTiming:
    """What `observe_turn` records when its block ends; the block sets `reply`."""

    assistant: str
    reply: Reply | None = None


def turn_labels(default_assistant: str, reply: Reply | None) -> tuple[str, str]:
    """(assistant, outcome) for a finished turn: the run record's when there is one."""
    if reply is None:
        return default_assistant, "no_reply"
    if reply.run is None:
        return default_assistant, "escalated" if reply.wants_human else "answered"
    return reply.run.assistant, reply.run.outcome.value


def count_tokens(reply: Reply | None) -> None:
    """Add the tokens the turn's run record reports (none for the offline assistant)."""
    run = reply.run if reply is not None else None
    if run is None:
        return
    model = run.model or "unknown"
    if run.prompt_tokens:
        LLM_TOKENS.labels(kind="prompt", model=model).inc(run.prompt_tokens)
    if run.completion_tokens:
        LLM_TOKENS.labels(kind="completion", model=model).inc(run.completion_tokens)


@contextmanager
def observe_turn(default_assistant: str) -> Iterator[TurnTiming]:
    """Time the block as one turn; an exception counts as outcome `error` and propagates."""
    timing = TurnTiming(default_assistant)
    started = time.perf_counter()
    try:
        yield timing
    except Exception:
        TURN_SECONDS.labels(default_assistant, "error").observe(time.perf_counter() - started)
        raise
    assistant, outcome = turn_labels(default_assistant, timing.reply)
    TURN_SECONDS.labels(assistant, outcome).observe(time.perf_counter() - started)
    count_tokens(timing.reply)


def assistant_name(assistant: object) -> str:
    """A short label for an assistant object: its `name` if it has one, else its class name
    without the `Assistant` suffix (`OfflineAssistant` -> `offline`)."""
    name = getattr(assistant, "name", None)
    if isinstance(name, str) and name:
        return name
    cls = type(assistant).__name__
    return (cls.removesuffix("Assistant") or cls).lower()


def record_findings(
    findings: Sequence[Finding], attempt: int, *, tenant_id: str, conversation_id: str
) -> list[GuardFinding]:
    """Log and count a guard check's findings; the run-log form of them."""
    for finding in findings:
        GUARD_VIOLATIONS.labels(kind=finding.kind, attempt=str(attempt)).inc()
    if findings:
        log.warning(
            "llm.guard_violation",
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            attempt=attempt,
            findings=[f"{f.kind}:{f.value}" for f in findings],
        )
    return run_log_findings(findings, attempt)
