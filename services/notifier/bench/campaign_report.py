"""The campaign bench's numbers: what the sandbox received, what it refused, what the campaign
reported, and the reply latency without and during the campaign. Measures; asserts nothing."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich import box
from rich.table import Table

from bench.harness import console
from bench.traffic import Sent


@dataclass
class Outcome:
    """Everything the run collected, for the tables."""

    tier: float
    recipients: list[str]
    opted_out_before: set[str]
    opted_out_during: dict[str, float]
    """Customer → when their opt-out was recorded (epoch seconds), mid-campaign."""
    messages: list[dict[str, Any]]
    compliance: dict[str, Any]
    campaign: dict[str, Any]
    baseline: list[Sent]
    during: list[Sent]


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def most_in_any_second(times: list[float]) -> int:
    """The most arrivals in any sliding one-second window (how Meta counts throughput)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _received(message: Mapping[str, Any]) -> float:
    return datetime.fromisoformat(str(message["received_at"])).timestamp()


def send_table(outcome: Outcome) -> Table:
    wanted = set(outcome.recipients)
    sent = [
        m for m in outcome.messages if m.get("type") == "template" and str(m.get("to")) in wanted
    ]
    times = [_received(m) for m in sent]
    per_recipient = Counter(str(m["to"]) for m in sent)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    to_opted_out = sum(1 for wa in per_recipient if wa in outcome.opted_out_before) + sum(
        1
        for m in sent
        if str(m["to"]) in outcome.opted_out_during
        and _received(m) > outcome.opted_out_during[str(m["to"])]
    )
    refusals = Counter(int(r["code"]) for r in outcome.compliance.get("refusals", []))
    span = (max(times) - min(times)) if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    tier = outcome.tier
    table = Table(title=f"Campaign of {len(wanted)} at a tier of {tier:g}/s", box=box.MARKDOWN)
    for column, justify in (("measure", "left"), ("value", "right"), ("target", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row("marketing sends accepted by the sandbox", f"{len(sent)}", "")
    table.add_row("send rate, first to last (msg/s)", f"{rate:.1f}", f"{tier * 0.95:.0f}-{tier:g}")
    table.add_row("campaign wall time, first to last send (s)", f"{span:.1f}", "")
    table.add_row("most sends in any 1 s", f"{most_in_any_second(times)}", f"≤ {tier:g}")
    table.add_row("130429 refusals (throughput)", f"{refusals.get(130429, 0)}", "0")
    table.add_row("131056 refusals (pair rate)", f"{refusals.get(131056, 0)}", "0")
    table.add_row("duplicates (recipients sent twice)", f"{duplicates}", "0")
    table.add_row("sends to opted-out recipients (after their opt-out)", f"{to_opted_out}", "0")
    return table


def campaign_table(outcome: Outcome) -> Table:
    """The campaign's own final report, as the API gives it."""
    report = outcome.campaign
    table = Table(title="The campaign's final report (GET /campaigns/{id})", box=box.MARKDOWN)
    table.add_column("bucket")
    table.add_column("recipients", justify="right")
    for bucket, count in (report.get("counts") or {}).items():
        if count:
            table.add_row(bucket, str(count))
    for reason, count in (report.get("skipped") or {}).items():
        table.add_row(f"  skipped: {reason}", str(count))
    for reason, count in (report.get("failed") or {}).items():
        table.add_row(f"  failed: {reason}", str(count))
    table.add_row("total", str(report.get("total")))
    table.add_row("state", str(report.get("state")))
    return table


def latency_table(outcome: Outcome) -> Table:
    table = Table(title="Conversation replies (webhook → reply in the sandbox)", box=box.MARKDOWN)
    for column in ("run", "asked", "answered", "p50 ms", "p95 ms", "max ms"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for label, batch in (("no campaign", outcome.baseline), ("during", outcome.during)):
        values = [s.latency for s in batch if s.latency is not None]
        cells = [percentile(values, 50), percentile(values, 95), max(values, default=None)]
        table.add_row(
            label,
            str(len(batch)),
            str(len(values)),
            *("-" if v is None else f"{v * 1000:,.0f}" for v in cells),
        )
    return table


def print_report(outcome: Outcome) -> None:
    for table in (send_table(outcome), campaign_table(outcome), latency_table(outcome)):
        console.print()
        console.print(table)
