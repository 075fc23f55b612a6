"""What `make run` prints: each step done with its time since start, one status line of what
is still pending, and on failure the message, a hint and the tails of the logs that explain it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from bancone_devstack.logs import readable_tail
from bancone_devstack.process import Child


class StepError(Exception):
    """A start-up step failed; the message names the service and URL, `logs` are tailed."""

    def __init__(
        self, message: str, *, logs: Sequence[tuple[str, Path]] = (), hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.logs = tuple(logs)
        self.hint = hint


class Reporter:
    """The launcher's console: timed lines, a pending-steps status line, failure reports."""

    def __init__(self, console: Console, started: float | None = None) -> None:
        self.console = console
        self.started = time.monotonic() if started is None else started
        self.waiting: dict[str, str] = {}
        self.status: Status | None = None

    def since_start(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str, style: str = "") -> None:
        stamp = f"[{self.since_start():6.1f}s]"
        self.console.print(f"[dim]{stamp}[/] " + (f"[{style}]{text}[/]" if style else text))

    def done(self, text: str) -> None:
        self.say(f"[green]✓[/] {text}")

    def start_status(self) -> None:
        self.status = self.console.status("starting", spinner="dots")
        self.status.start()

    def stop_status(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def wait_for(self, key: str, label: str | None) -> None:
        """Show what is still pending on the one status line."""
        if label is None:
            self.waiting.pop(key, None)
        else:
            self.waiting[key] = label
        if self.status is not None:
            pending = ", ".join(self.waiting.values()) or "…"
            self.status.update(f"waiting for {pending}")

    def show_tail(self, name: str, path: Path) -> None:
        lines = readable_tail(path)
        if not lines:
            self.console.print(f"  [dim]{name} │ (no log at {path})[/]")
            return
        self.console.print(f"  [dim]last {len(lines)} lines of {path}:[/]")
        for line in lines:
            for part in line.splitlines():
                self.console.print(f"  [cyan]{name:>8}[/] [dim]│[/] {escape(part)}")

    def report_failure(self, error: StepError) -> None:
        self.console.print(f"[bold red]✗ {escape(str(error))}[/]")
        if error.hint:
            self.console.print(f"  [yellow]hint:[/] {escape(error.hint)}")
        for name, path in error.logs:
            self.show_tail(name, path)

    def report_death(self, child: Child) -> None:
        self.console.print(
            f"[bold red]✗ {child.name} {child.exit_description()} after {child.uptime:.1f}s "
            f"({child.command_line})[/]"
        )
        self.show_tail(child.name, child.log)
        self.console.print("[red]stopping everything[/]")
