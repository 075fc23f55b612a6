"""The webhook bench's tables (`bench/webhook_load.py`): the rate ladder, CPU per message per
process, and the sustained pipeline. Formatting only; the numbers come from the bench."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.table import Table

from bench.gc_time import GcTotals
from bench.pipeline_load import PipelineResult
from bench.vegeta import Result


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ladder_table(title: str, rows: list[tuple[str, Result, float, float]]) -> Table:
    table = Table(title=title, box=box.MARKDOWN)
    for column in (
        "receiver",
        "asked/s",
        "sent/s",
        "200 %",
        "503",
        "other",
        "p50 ms",
        "p99 ms",
        "max ms",
        "CPU ms/req (receiver)",
        "CPU ms/req (all)",
    ):
        table.add_column(column, justify="left" if column == "receiver" else "right")
    for name, r, own, total in rows:
        other = r.requests - r.ok - r.status.get("503", 0)
        table.add_row(
            name,
            f"{r.asked:.0f}",
            f"{r.rate:.0f}",
            f"{100 * r.answered:.1f}",
            str(r.status.get("503", 0)),
            str(other),
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.0f}",
            f"{own:.2f}",
            f"{total:.2f}",
        )
    return table


NOT_PLATFORM = frozenset({"vegeta", "bare receiver", "other"})
"""Processes the bench watches that are not the platform: left out of every platform total."""


def platform_seconds(used: Mapping[str, float], *, also_without: str | None = None) -> float:
    """The platform's total of `used` (per process): every process but `NOT_PLATFORM`, and
    but `also_without` when given."""
    return sum(v for k, v in used.items() if k not in NOT_PLATFORM and k != also_without)


def cpu_table(title: str, used: Mapping[str, float], per: int, gc: GcTotals | None = None) -> Table:
    """CPU seconds per process and per message; with `gc`, the garbage collector's share of
    each service (its own clock, within the CPU column) and how many full collections ran."""
    table = Table(title=title, box=box.MARKDOWN)
    table.add_column("process")
    table.add_column("CPU s", justify="right")
    table.add_column("ms per message", justify="right")
    if gc is not None:
        table.add_column("of which GC ms", justify="right")
        table.add_column("full GCs (s)", justify="right")
    per = max(per, 1)
    for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
        if name in NOT_PLATFORM and seconds < 0.01:
            continue
        row = [name, f"{seconds:.2f}", f"{1000 * seconds / per:.1f}"]
        if gc is not None:
            spent, full, count = gc.get(name, (0.0, 0.0, 0.0))
            row += (
                [f"{1000 * spent / per:.2f}", f"{count:.0f} ({full:.2f})"]
                if name in gc
                else ["", ""]
            )
        table.add_row(*row)
    total = platform_seconds(used)
    last = ["[b]platform total[/]", f"{total:.2f}", f"{1000 * total / per:.1f}"]
    if gc is not None:
        last += [f"{1000 * sum(v[0] for v in gc.values()) / per:.2f}", ""]
    table.add_row(*last)
    return table


def idle_included_line(raw: Mapping[str, float], per: int) -> str:
    """CPU ms per message with idle included (idle polling is then part of the bill), each
    process and the platform without Kafka."""
    per = max(per, 1)
    shown = {k: v for k, v in raw.items() if k not in ("vegeta", "bare receiver")}
    platform = platform_seconds(shown, also_without="kafka")
    return (
        "CPU with idle included, ms per message: "
        + ", ".join(f"{k} {1000 * v / per:.1f}" for k, v in sorted(shown.items()))
        + f"; all but kafka and other {1000 * platform / per:.1f}"
    )


def pipeline_table(result: PipelineResult) -> Table:
    hits = result.hits
    acks = [h.latency_s for h in hits if h.code == 200]
    lat = result.latencies()
    counts = [len(result.replies.get(result.customers[h.seq], [])) for h in hits]
    table = Table(
        title=f"Pipeline: {result.rate:.0f} texts/s for {result.seconds:.0f}s, offline assistant",
        box=box.MARKDOWN,
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    sent = f"{result.report.rate:.1f}" if result.report else "?"
    table.add_row("asked / sent per second (vegeta)", f"{result.rate:.0f} / {sent}")
    table.add_row(
        "posted / answered 200 / 503",
        f"{len(hits)} / {len(acks)} / {sum(h.code == 503 for h in hits)}",
    )
    table.add_row(
        "replied exactly once / more than once / not",
        f"{counts.count(1)} / {sum(c > 1 for c in counts)} / {counts.count(0)}",
    )
    table.add_row(
        "webhook ack p50 / p99 ms", f"{1000 * _pct(acks, 0.5):.0f} / {1000 * _pct(acks, 0.99):.0f}"
    )
    table.add_row(
        "reply p50 / p95 / max ms",
        f"{1000 * _pct(lat, 0.5):.0f} / {1000 * _pct(lat, 0.95):.0f} / "
        f"{1000 * max(lat, default=float('nan')):.0f}",
    )
    table.add_row("replies counted after the last post, s", f"{result.drained_after:.1f}")
    return table
