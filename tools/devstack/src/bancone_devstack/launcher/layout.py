"""Where a run keeps its state (default `<repo>/.bancone`), private files in it, and the lock
that keeps a second `make run` off the same directory."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bancone_devstack.launcher.report import StepError


@dataclass(frozen=True)
class Layout:
    """Where a run keeps its state (default `<repo>/.bancone`)."""

    state: Path

    @property
    def data(self) -> Path:
        return self.state / "data"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def qdrant(self) -> Path:
        return self.data / "qdrant"

    @property
    def secrets_file(self) -> Path:
        return self.state / "secrets.env"

    @property
    def run_env(self) -> Path:
        return self.state / "run.env"

    @property
    def lock_file(self) -> Path:
        return self.state / "run.lock"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


def write_private(path: Path, text: str) -> None:
    """Write `text` readable by the owner only (0600), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def take_lock(layout: Layout) -> IO[str]:
    """Hold the state dir's lock (with our pid in it) for as long as the handle stays open."""
    lock = layout.lock_file.open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        owner = lock.read().strip() or "?"
        lock.close()
        raise StepError(
            f"another `make run` (pid {owner}) is using {layout.state}",
            hint="stop it first, or pass --state-dir and --port-offset for a second one",
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock
