"""Log files of supervised processes: the previous run's kept as `<name>.log.1`, and tails that
stay readable when a process fails (structlog JSON rendered, repeated request lines folded)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAIL_LINES = 25
_READ_BYTES = 256 * 1024


def rotate(path: Path) -> None:
    """Keep the previous run's log as `<name>.log.1`."""
    if path.exists():
        path.replace(path.with_name(path.name + ".1"))


def _last_text(path: Path) -> str | None:
    """The end of a file (a bounded read: logs of long runs grow large)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _READ_BYTES))
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None


def tail_text(path: Path, lines: int = 30, missing: str = "") -> str:
    """The last `lines` raw lines of a log, joined; `missing` when there is no file."""
    text = _last_text(path)
    if text is None:
        return missing
    return "\n".join(text.splitlines()[-lines:])


def log_has_line(path: Path, *parts: str) -> bool:
    """Whether one line of the log contains every one of `parts` (a fault run's cue)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return False
    return any(all(part in line for part in parts) for line in text.splitlines())


def readable_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last `lines` lines of a log file, rendered, with runs of look-alike request lines
    (a launcher's own readiness polling) folded into one; empty when the file does not exist."""
    text = _last_text(path)
    if text is None:
        return []
    folded: list[tuple[str, str, int]] = []
    for raw in text.splitlines()[-2000:]:
        rendered, key = render_log_line(raw), _fold_key(raw)
        if folded and key is not None and folded[-1][1] == key:
            folded[-1] = (rendered, key, folded[-1][2] + 1)
        else:
            folded.append((rendered, key or "", 1))
    return [
        line if count == 1 else f"{line}  ({count} alike, last shown)"
        for line, _, count in folded[-lines:]
    ]


def _fold_key(line: str) -> str | None:
    """Request log lines that differ only in ids and durations share a key."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") != "http.request":
        return None
    return f"{record.get('method')} {record.get('path')} {record.get('status')}"


def render_log_line(line: str) -> str:
    """A structlog JSON line as `time level event key=value`, anything else without colours."""
    line = ANSI_ESCAPE.sub("", line)
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "event" not in record:
        return line
    stamp = str(record.pop("timestamp", ""))[11:19]
    level = str(record.pop("level", ""))
    event = str(record.pop("event"))
    error = record.pop("exception", None)
    for noise in ("service", "logger", "trace_id", "span_id"):
        record.pop(noise, None)
    extra = " ".join(f"{key}={value}" for key, value in record.items())
    rendered = f"{stamp} {level:<7} {event} {extra}".rstrip()
    if isinstance(error, list) and error and isinstance(error[-1], dict):
        last = error[-1]
        frames = last.get("frames") or [{}]
        where = f"{frames[-1].get('filename', '?')}:{frames[-1].get('lineno', '?')}"
        rendered += f"\n    ↳ {last.get('exc_type')}: {last.get('exc_value')} ({where})"
    elif isinstance(error, str):
        rendered += "\n    ↳ " + error.strip().splitlines()[-1]
    return rendered
