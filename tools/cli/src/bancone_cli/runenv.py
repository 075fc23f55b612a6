"""Reads `.bancone/run.env`, the file `make run` writes once the platform can answer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RUN_ENV_RELATIVE = Path(".bancone") / "run.env"
RUN_ENV_OVERRIDE = "BANCONE_RUN_ENV"


class RunEnvError(RuntimeError):
    """The run environment is missing or lacks a key the command needs."""


def parse_env_text(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines; blank lines, `#` comments and an `export ` prefix are allowed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def find_run_env(start: Path | None = None) -> Path | None:
    """`$BANCONE_RUN_ENV`, else the nearest `.bancone/run.env` from `start` upwards."""
    override = os.environ.get(RUN_ENV_OVERRIDE)
    if override:
        return Path(override)
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / RUN_ENV_RELATIVE
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class RunEnv:
    """Values from run.env, with process environment variables taking precedence."""

    values: Mapping[str, str]
    path: Path | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        return os.environ.get(key) or self.values.get(key) or default

    def require(self, key: str) -> str:
        value = self.get(key)
        if not value:
            where = str(self.path) if self.path else "no .bancone/run.env found"
            raise RunEnvError(f"{key} is not set ({where}); is `make run` up?")
        return value


def load_run_env(path: Path | None = None) -> RunEnv:
    """Load the given file, or the one `find_run_env` finds; an absent file gives env-only."""
    resolved = path or find_run_env()
    if resolved is None:
        return RunEnv(values={})
    if not resolved.is_file():
        raise RunEnvError(f"{resolved} does not exist; start the platform with `make run`")
    return RunEnv(values=parse_env_text(resolved.read_text(encoding="utf-8")), path=resolved)
