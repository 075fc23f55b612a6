"""The fault table: printed with rich and written as Markdown to docs/reliability.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich import box
from rich.table import Table

from bench.faults.accounting import Row

HEADERS = (
    "fault",
    "sent",
    "answered",
    "lost",
    "duplicated",
    "unknown",
    "retried by Meta",
    "max reply delay",
    "recovery",
)


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def cells(row: Row) -> list[str]:
    return [
        row.name,
        str(row.sent),
        str(row.answered),
        str(row.lost),
        str(row.duplicated),
        str(row.unknown),
        str(row.retried),
        seconds(row.max_delay),
        seconds(row.recovery),
    ]


def rich_table(rows: Sequence[Row]) -> Table:
    table = Table(box=box.SIMPLE_HEAVY, title="fault matrix")
    for header in HEADERS:
        table.add_column(header, justify="left" if header == "fault" else "right")
    for row in rows:
        style = "" if row.clean else "bold red"
        table.add_row(*cells(row), style=style)
    return table


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def markdown_notes(notes: Mapping[str, Sequence[str]]) -> str:
    return "\n".join(f"- **{name}**: {'; '.join(found)}" for name, found in notes.items() if found)
