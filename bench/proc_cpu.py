"""CPU seconds of the platform's processes, read from /proc (user + system, children reaped
included), so a benchmark can say what one message costs each process.

Processes are found as descendants of a root pid (run.py) plus any process whose command line
names the benchmark's state directory (Kafka is started with `setsid`, outside the tree), and
named by what they run: gateway, agent, …, kafka, sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
NAMES = ("gateway", "agent", "notifier", "ingest", "catalog", "sandbox")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds: utime + stime + cutime + cstime) or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    ticks = sum(int(value) for value in fields[11:15])
    return int(fields[1]), ticks / TICKS


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def name_of(cmdline: str) -> str:
    if "java" in cmdline.split(" ", 1)[0] or ("kafka" in cmdline and "java" in cmdline):
        return "kafka"
    for name in NAMES:
        if f"bancone-{name}" in cmdline or f"bancone_{name}" in cmdline:
            return name
    if "bare_receiver" in cmdline:
        return "bare receiver"
    if "vegeta" in cmdline:
        return "vegeta"
    return "other"


@dataclass(frozen=True)
class Processes:
    """The pids to watch, by name (several pids may share one name)."""

    pids: Mapping[int, str]

    @classmethod
    def find(cls, root: int, markers: Iterable[str] = ()) -> Processes:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := _stat(int(entry))) is not None:
                parents[int(entry)] = stat[0]
        chosen: dict[int, str] = {}
        marks = tuple(markers)
        for pid in parents:
            node, seen = pid, 0
            inside = False
            while node > 1 and seen < 64:
                if node == root:
                    inside = True
                    break
                node, seen = parents.get(node, 0), seen + 1
            cmdline = _cmdline(pid)
            if inside or any(mark in cmdline for mark in marks):
                chosen[pid] = name_of(cmdline)
        return cls(chosen)

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far, summed by name (a process gone since counts as 0)."""
        totals: dict[str, float] = {}
        for pid, name in self.pids.items():
            stat = _stat(pid)
            totals[name] = totals.get(name, 0.0) + (stat[1] if stat else 0.0)
        return totals


def delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
