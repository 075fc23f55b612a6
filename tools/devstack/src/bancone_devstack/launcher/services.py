"""The six processes `make run` starts: console script, default port, readiness probe, and
the names of the variables their settings read the host and port from."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bancone_devstack.launcher.report import StepError


@dataclass(frozen=True)
class Service:
    """One process `make run` starts: its console script, port and readiness probe."""

    name: str
    default_port: int
    probe: str = "/readyz"
    is_sandbox: bool = False

    @property
    def command(self) -> str:
        return f"bancone-{self.name}"

    @property
    def prefix(self) -> str:
        return f"BANCONE_{self.name.upper()}_"

    @property
    def port_var(self) -> str:
        return f"{self.prefix}PORT" if self.is_sandbox else f"{self.prefix}HTTP_PORT"

    @property
    def host_var(self) -> str:
        return f"{self.prefix}HOST" if self.is_sandbox else f"{self.prefix}HTTP_HOST"


GATEWAY = Service("gateway", 8080)
CATALOG = Service("catalog", 8081)
INGEST = Service("ingest", 8082)
AGENT = Service("agent", 8083)
NOTIFIER = Service("notifier", 8084)
SERVICES = (GATEWAY, CATALOG, INGEST, AGENT, NOTIFIER)
SANDBOX = Service("sandbox", 8090, probe="/healthz", is_sandbox=True)
PROCESSES = (*SERVICES, SANDBOX)


def console_script(name: str) -> str:
    """The console script installed beside this interpreter (the workspace venv)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise StepError(
            f"{name} is not installed next to {sys.executable}",
            hint="run through `make run` (uv sync --all-packages, then uv run)",
        )
    return str(path)
