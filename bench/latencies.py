"""Latency numbers of the benchmarks: percentiles as numpy computes them, and the tables
they are printed in (the project measures here and asserts nothing)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.table import Table

from bench.traffic import Sent


@dataclass(frozen=True)
class Summary:
    count: int
    missing: int
    p50: float
    p95: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Summary:
        got = sorted(value for value in values if value is not None)
        missing = len(values) - len(got)
        if not got:
            nan = float("nan")
            return cls(0, missing, nan, nan, nan, nan)
        return cls(
            len(got),
            missing,
            percentile(got, 50),
            percentile(got, 95),
            got[-1],
            statistics.fmean(got),
        )


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.0f}"


def latency_table(
    title: str, rows: Sequence[tuple[str, Summary]], missing: str = "no reply"
) -> Table:
    table = Table(title=title, box=box.MARKDOWN)
    table.add_column("measured")
    for name in ("n", missing, "p50 ms", "p95 ms", "max ms", "mean ms"):
        table.add_column(name, justify="right")
    for label, summary in rows:
        table.add_row(
            label,
            str(summary.count),
            str(summary.missing),
            ms(summary.p50),
            ms(summary.p95),
            ms(summary.max),
            ms(summary.mean),
        )
    return table


def replies_and_acks(sent: Sequence[Sent]) -> list[tuple[str, Summary]]:
    return [
        ("webhook POST → reply recorded by the sandbox", Summary.of([s.latency for s in sent])),
        ("webhook POST → gateway's 200", Summary.of([s.ack_seconds for s in sent])),
    ]
